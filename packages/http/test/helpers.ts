import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

import { Server as ProxyServer } from 'proxy-chain';

import { type TestServer, readCookie, startServer } from '@sessionkit/test-utils';

export { type Hit, type Route, type TestServer, closedPort, normalizeIp, readCookie, sleep, startServer } from '@sessionkit/test-utils';

/** A raw TCP server answering every connection with `reply` (for malformed HTTP). */
export async function startRawServer(reply: string, host = '127.0.0.1'): Promise<{ url(path: string): string; connections: number; close(): Promise<void> }> {
    const sockets = new Set<net.Socket>();
    const state = { connections: 0 };
    const server = net.createServer((socket) => {
        state.connections += 1;
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => {});
        socket.once('data', () => socket.end(reply));
    });
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    const { port } = server.address() as AddressInfo;
    return {
        url: (path) => `http://${host}:${port}${path}`,
        get connections() {
            return state.connections;
        },
        close: () =>
            new Promise<void>((resolve) => {
                for (const socket of sockets) socket.destroy();
                server.close(() => resolve());
            }),
    };
}

export interface TestProxy {
    /** `http://<ip>:<port>` */
    url: string;
    ip: string;
    /** Requests that went through this proxy. */
    requests: number;
    close(): Promise<void>;
}

/**
 * A real proxy-chain proxy on `ip` (127.0.0.2, 127.0.0.3, …). It connects to targets FROM `ip`
 * (`localAddress`), so a target sees which proxy a request came through in `req.socket.remoteAddress`.
 */
export async function startProxy(ip: string): Promise<TestProxy> {
    const agent = new http.Agent({ keepAlive: false });
    const proxy: TestProxy = {
        url: '',
        ip,
        requests: 0,
        close: async () => {
            await server.close(true);
            agent.destroy();
        },
    };
    const server = new ProxyServer({
        host: ip,
        port: 0,
        prepareRequestFunction: () => {
            proxy.requests += 1;
            return { localAddress: ip, ipFamily: 4, httpAgent: agent };
        },
    });
    await server.listen();
    proxy.url = `http://${ip}:${server.port}`;
    return proxy;
}

/**
 * Gives every new client a visitor cookie (`visitor=vN`, plus a matching `token=tN`), remembers each
 * visitor's user agents, and answers with `visitor=<id> ip=<client ip>` (after `route`, when it does not answer).
 */
export interface VisitorSite extends TestServer {
    userAgents: Map<string, Set<string>>;
    minted(): number;
}

export async function startVisitorSite(
    route: (req: http.IncomingMessage, res: http.ServerResponse, url: URL, visitor: string) => boolean | void = () => false,
    host = '127.0.0.1',
): Promise<VisitorSite> {
    let minted = 0;
    const userAgents = new Map<string, Set<string>>();
    const server = await startServer((req, res, url, hit) => {
        let visitor = readCookie(req.headers.cookie, 'visitor');
        if (!visitor) {
            minted += 1;
            visitor = `v${minted}`;
            res.setHeader('set-cookie', [`visitor=${visitor}; Path=/; HttpOnly`, `token=t${minted}; Path=/`]);
        }
        if (!userAgents.has(visitor)) userAgents.set(visitor, new Set());
        userAgents.get(visitor)!.add(req.headers['user-agent'] ?? '');
        if (route(req, res, url, visitor) === true) return;
        res.setHeader('content-type', 'text/html; charset=utf-8');
        res.end(`<html><head><title>${url.pathname}</title></head><body>visitor=${visitor} ip=${hit.remoteAddress}</body></html>`);
    }, host);
    return Object.assign(server, { userAgents, minted: () => minted });
}
