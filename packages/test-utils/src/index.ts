// Helpers shared by the test suites of every package (jest maps `@sessionkit/test-utils` here; tsconfig.base.json
// maps it for the type checker). Real components only: servers listen on loopback addresses.
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check()` is truthy (or throws after `timeoutMs`). */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 5000, what = 'the condition'): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const value = await check();
        if (value) return value;
        if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
        await sleep(10);
    }
}

/** Settles within `ms` or reports that it is still pending (never rejects on its own). */
export async function settledWithin<T>(promise: Promise<T>, ms: number): Promise<'pending' | { value: T } | { error: unknown }> {
    let timer: NodeJS.Timeout | undefined;
    const pending = new Promise<'pending'>((resolve) => {
        timer = setTimeout(() => resolve('pending'), ms);
    });
    try {
        return await Promise.race([promise.then((value) => ({ value }), (error: unknown) => ({ error })), pending]);
    } finally {
        clearTimeout(timer);
    }
}

/** Deterministic PRNG (mulberry32): the same seed gives the same sequence, so a failing random test replays. */
export function prng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

/** A fresh temporary directory; remove it with `removeTempDir`. */
export function makeTempDir(prefix = 'sessionkit-test-'): Promise<string> {
    return mkdtemp(join(tmpdir(), prefix));
}

export function removeTempDir(dir: string): Promise<void> {
    return rm(dir, { recursive: true, force: true });
}

/** An IPv4-mapped IPv6 address as plain IPv4 ('::ffff:127.0.0.2' → '127.0.0.2'). */
export function normalizeIp(address: string | undefined): string {
    return (address ?? '').replace(/^::ffff:/, '');
}

/** Reads one cookie from a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
    for (const part of (header ?? '').split(';')) {
        const index = part.indexOf('=');
        if (index > 0 && part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
    }
    return undefined;
}

/** One request a test server received. */
export interface Hit {
    method: string;
    path: string;
    headers: http.IncomingHttpHeaders;
    /** The client's IP: the proxy's own address when the request came through a loopback proxy. */
    remoteAddress: string;
    at: number;
}

export interface TestServer {
    /** `http://host:port` */
    origin: string;
    host: string;
    port: number;
    hits: Hit[];
    url(path: string): string;
    close(): Promise<void>;
}

export type Route = (req: http.IncomingMessage, res: http.ServerResponse, url: URL, hit: Hit) => unknown;

/** A real `node:http` server on a loopback address and an ephemeral port; records every request. */
export async function startServer(route: Route, host = '127.0.0.1'): Promise<TestServer> {
    const hits: Hit[] = [];
    const server = http.createServer((req, res) => {
        const url = new URL(req.url ?? '/', `http://${host}`);
        const hit: Hit = { method: req.method ?? 'GET', path: url.pathname + url.search, headers: req.headers, remoteAddress: normalizeIp(req.socket.remoteAddress), at: Date.now() };
        hits.push(hit);
        Promise.resolve()
            .then(() => route(req, res, url, hit))
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
        host,
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

/** A loopback port nothing listens on (bound, then released). */
export async function closedPort(host = '127.0.0.1'): Promise<number> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
}

/** Servers, farms and sites a test started, closed together (in an afterEach) whatever the test's outcome. */
export class Closers {
    private readonly open: { close(): Promise<void> }[] = [];

    /** Awaits `started` and remembers it for `closeAll()`. */
    async track<T extends { close(): Promise<void> }>(started: Promise<T>): Promise<T> {
        const value = await started;
        this.open.push(value);
        return value;
    }

    async closeAll(): Promise<void> {
        for (const closer of this.open.splice(0)) await closer.close();
    }
}
