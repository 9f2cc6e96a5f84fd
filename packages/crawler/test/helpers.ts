import http from 'node:http';
import type { AddressInfo } from 'node:net';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One request a test server received. */
export interface Hit {
    method: string;
    path: string;
    headers: http.IncomingHttpHeaders;
    remoteAddress: string;
}

export interface TestServer {
    /** `http://host:port` */
    origin: string;
    port: number;
    hits: Hit[];
    url(path: string): string;
    close(): Promise<void>;
}

export type Route = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => unknown;

/** A real `node:http` server on a loopback address and an ephemeral port. */
export async function startServer(route: Route, host = '127.0.0.1'): Promise<TestServer> {
    const hits: Hit[] = [];
    const server = http.createServer((req, res) => {
        const url = new URL(req.url ?? '/', `http://${req.headers.host ?? host}`);
        hits.push({ method: req.method ?? 'GET', path: url.pathname + url.search, headers: req.headers, remoteAddress: req.socket.remoteAddress ?? '' });
        Promise.resolve()
            .then(() => route(req, res, url))
            .catch((error: unknown) => {
                res.statusCode = 500;
                res.end(String(error));
            });
    });
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    const { port } = server.address() as AddressInfo;
    const origin = `http://${host}:${port}`;
    return {
        origin,
        port,
        hits,
        url: (path) => `${origin}${path}`,
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

/** Reads one cookie from a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
    for (const part of (header ?? '').split(';')) {
        const [key, ...rest] = part.trim().split('=');
        if (key === name) return rest.join('=');
    }
    return undefined;
}
