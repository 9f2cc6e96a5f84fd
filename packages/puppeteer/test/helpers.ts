import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

import { Server as ProxyServer } from 'proxy-chain';

export interface Hit {
    host: string;
    path: string;
    remoteAddress: string;
    cookie: string;
}

export interface TargetServer {
    /** `http://<host>:<port>` */
    origin: string;
    port: number;
    hits: Hit[];
    close(): Promise<void>;
}

/**
 * Loopback HTTP server. `GET /set-cookie?name=value&…` answers with one `Set-Cookie` per query pair
 * (value used verbatim, so `a=1; HttpOnly; Max-Age=60` works when URL-encoded); every response is a
 * small HTML page whose `<title>` is the path and whose body echoes the Cookie header.
 */
export async function startTargetServer(host = '127.0.0.1'): Promise<TargetServer> {
    const hits: Hit[] = [];
    const server = http.createServer((req, res) => {
        const url = new URL(req.url ?? '/', 'http://x');
        if (url.pathname === '/favicon.ico') {
            res.statusCode = 404;
            res.end();
            return;
        }
        hits.push({
            host: req.headers.host ?? '',
            path: url.pathname,
            remoteAddress: req.socket.remoteAddress ?? '',
            cookie: req.headers.cookie ?? '',
        });
        if (url.pathname === '/set-cookie') {
            res.setHeader(
                'set-cookie',
                [...url.searchParams.entries()].map(([name, value]) => `${name}=${value}`),
            );
        }
        res.setHeader('content-type', 'text/html; charset=utf-8');
        res.setHeader('connection', 'close');
        // An inline icon: Chromium then never fetches /favicon.ico, which would show up as an extra proxied request.
        res.end(`<!doctype html><link rel="icon" href="data:,"><title>${url.pathname}</title><pre id="cookie">${req.headers.cookie ?? ''}</pre>`);
    });
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    const { port } = server.address() as AddressInfo;
    return {
        origin: `http://${host}:${port}`,
        port,
        hits,
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

export interface ProxyRequest {
    hostname: string;
    port: number;
    username: string;
}

export interface TestProxy {
    /** `http://[user:pass@]<host>:<port>` */
    url: string;
    port: number;
    requests: ProxyRequest[];
    close(): Promise<void>;
}

/**
 * proxy-chain Server on `host` (port 0). Outgoing connections use `host` as local address, so a
 * target on 127.0.0.1 sees the proxy's IP. With `auth`, other credentials get 407.
 */
export async function startProxy(host: string, auth?: { username: string; password: string }): Promise<TestProxy> {
    const requests: ProxyRequest[] = [];
    const server = new ProxyServer({
        host,
        port: 0,
        prepareRequestFunction: ({ hostname, port, username, password }) => {
            if (auth !== undefined && (username !== auth.username || password !== auth.password)) {
                return { requestAuthentication: true };
            }
            requests.push({ hostname, port, username });
            return { localAddress: host };
        },
    });
    await server.listen();
    const credentials = auth === undefined ? '' : `${auth.username}:${auth.password}@`;
    return {
        url: `http://${credentials}${host}:${server.port}`,
        port: server.port,
        requests,
        close: () => server.close(true),
    };
}

/** Resolves `true` when something accepts TCP connections on host:port. */
export function canConnect(host: string, port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = net.connect({ host, port });
        socket.once('connect', () => {
            socket.destroy();
            resolve(true);
        });
        socket.once('error', () => resolve(false));
    });
}

export async function waitFor(condition: () => boolean, timeoutMillis = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMillis;
    while (!condition()) {
        if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMillis} ms`);
        await new Promise((resolve) => setTimeout(resolve, 20));
    }
}
