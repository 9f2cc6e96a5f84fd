export { sleep } from '@sessionkit/test-utils';
import http from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';

export interface SimpleResponse {
    status: number;
    headers: IncomingHttpHeaders;
    body: string;
}

export interface GetOptions {
    /** Source address of the connection, e.g. '127.0.0.2' — how tests simulate distinct client IPs. */
    localAddress?: string;
    cookie?: string;
    method?: string;
    headers?: Record<string, string>;
    /** Default `false`: a fresh connection per request (no lingering keep-alive sockets). */
    agent?: http.Agent | false;
}

function collect(req: http.ClientRequest): Promise<SimpleResponse> {
    return new Promise((resolve, reject) => {
        req.on('error', reject);
        req.on('response', (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('error', reject);
            res.on('end', () => resolve({
                status: res.statusCode ?? 0,
                headers: res.headers,
                body: Buffer.concat(chunks).toString('utf8'),
            }));
        });
        req.end();
    });
}

/** GET (or `method`) `url` directly, optionally from a given loopback source address. */
export function get(url: string, options: GetOptions = {}): Promise<SimpleResponse> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.cookie) headers.cookie = options.cookie;
    const req = http.request(url, {
        method: options.method ?? 'GET',
        headers,
        agent: options.agent ?? false,
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    });
    return collect(req);
}

export function basicAuth(username: string, password: string): string {
    return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/** Plain-HTTP proxying: absolute URL as the request target, sent to the proxy. */
export function getViaProxy(
    proxy: { ip: string; port: number },
    target: string,
    options: { proxyAuthorization?: string; cookie?: string } = {},
): Promise<SimpleResponse> {
    const headers: Record<string, string> = { host: new URL(target).host };
    if (options.proxyAuthorization) headers['proxy-authorization'] = options.proxyAuthorization;
    if (options.cookie) headers.cookie = options.cookie;
    const req = http.request({ host: proxy.ip, port: proxy.port, method: 'GET', path: target, headers, agent: false });
    return collect(req);
}

/** Opens a CONNECT tunnel through the proxy and sends one GET through it. */
export function getViaConnect(
    proxy: { ip: string; port: number },
    target: string,
    options: { proxyAuthorization?: string } = {},
): Promise<SimpleResponse> {
    const url = new URL(target);
    const headers: Record<string, string> = { host: url.host };
    if (options.proxyAuthorization) headers['proxy-authorization'] = options.proxyAuthorization;
    return new Promise((resolve, reject) => {
        const connectReq = http.request({
            host: proxy.ip, port: proxy.port, method: 'CONNECT', path: url.host, headers, agent: false,
        });
        connectReq.on('error', reject);
        // node:http emits 'connect' for every answer to CONNECT, whatever its status.
        connectReq.on('connect', (res, socket) => {
            if (res.statusCode !== 200) {
                socket.destroy();
                resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' });
                return;
            }
            const inner = http.request({
                host: url.hostname,
                port: url.port,
                path: `${url.pathname}${url.search}`,
                headers: { host: url.host, connection: 'close' },
                createConnection: () => socket,
            });
            collect(inner).then((r) => {
                socket.destroy();
                resolve(r);
            }, (error: unknown) => {
                socket.destroy();
                reject(error instanceof Error ? error : new Error(String(error)));
            });
        });
        connectReq.end();
    });
}

/** `name=value` of the cookie set by a response, or undefined. */
export function setCookiePair(res: SimpleResponse, name: string): string | undefined {
    const setCookie = res.headers['set-cookie'] ?? [];
    const line = setCookie.find((c) => c.startsWith(`${name}=`));
    return line?.split(';')[0];
}

