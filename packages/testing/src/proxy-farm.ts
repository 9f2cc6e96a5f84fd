import http from 'node:http';
import net from 'node:net';

import { Server } from 'proxy-chain';
import type { PrepareRequestFunctionOpts, PrepareRequestFunctionResult } from 'proxy-chain';

import { ProxyFarmOptionError } from './errors.js';

export interface ProxyFarmCredentials {
    username: string;
    password: string;
}

export interface ProxyFarmOptions {
    /** Number of proxies. Integer 1..250. */
    count: number;
    /** Loopback address of proxy 0; proxy i listens on firstAddress + i. Default '127.0.0.2'. */
    firstAddress?: string;
    /** When set, every proxy requires these Basic credentials (Proxy-Authorization), else 407. */
    credentials?: ProxyFarmCredentials;
}

export interface FarmProxy {
    /** 'http://[user:pass@]127.0.0.x:port' (credentials URL-encoded). */
    url: string;
    /** Listening address, which is also the source address of its upstream connections. */
    ip: string;
    port: number;
}

export interface FarmProxyStats {
    url: string;
    ip: string;
    port: number;
    /** Proxied requests accepted: one per plain-HTTP request, one per CONNECT tunnel. */
    requests: number;
    /** TCP connections accepted from clients. */
    connections: number;
    /** Requests answered 407 (missing or wrong credentials). */
    authFailures: number;
}

export interface ProxyFarm {
    readonly proxies: readonly FarmProxy[];
    /** `proxies.map((p) => p.url)`. */
    readonly urls: readonly string[];
    /** Snapshot of the per-proxy counters, in proxy order. */
    stats(): FarmProxyStats[];
    /** Zeroes the per-proxy counters. */
    resetStats(): void;
    /** Force-closes every proxy (open client connections included) and its upstream keep-alive agent. Idempotent. */
    close(): Promise<void>;
}

export const PROXY_FARM_DEFAULTS = { firstAddress: '127.0.0.2', maxCount: 250 } as const;

const OPTION_KEYS = new Set(['count', 'firstAddress', 'credentials']);
const LAST_LOOPBACK = 0x7ffffffe; // 127.255.255.254

function ipv4ToInt(ip: string): number {
    return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

function intToIpv4(value: number): string {
    return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

interface Resolved {
    count: number;
    addresses: string[];
    credentials: ProxyFarmCredentials | null;
}

function resolveOptions(options: ProxyFarmOptions): Resolved {
    if (typeof options !== 'object' || options === null || Array.isArray(options)) {
        throw new ProxyFarmOptionError('options', 'must be an object { count, firstAddress?, credentials? }', options);
    }
    const o = options as unknown as Record<string, unknown>;
    for (const key of Object.keys(o)) {
        if (!OPTION_KEYS.has(key)) throw new ProxyFarmOptionError(key, 'is not a known option', o[key]);
    }
    const { count } = o;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > PROXY_FARM_DEFAULTS.maxCount) {
        throw new ProxyFarmOptionError('count', `must be an integer from 1 to ${PROXY_FARM_DEFAULTS.maxCount}`, count);
    }
    const first = o.firstAddress === undefined ? PROXY_FARM_DEFAULTS.firstAddress : o.firstAddress;
    if (typeof first !== 'string' || !net.isIPv4(first) || !first.startsWith('127.') || first === '127.0.0.0') {
        throw new ProxyFarmOptionError('firstAddress', 'must be an IPv4 loopback address (127.0.0.1 … 127.255.255.254)',
            first);
    }
    const start = ipv4ToInt(first);
    if (start + count - 1 > LAST_LOOPBACK) {
        throw new ProxyFarmOptionError('firstAddress',
            `leaves no room for ${count} consecutive loopback addresses (the last would be past 127.255.255.254)`,
            first);
    }
    let credentials: ProxyFarmCredentials | null = null;
    if (o.credentials !== undefined) {
        const c = o.credentials;
        if (typeof c !== 'object' || c === null) {
            throw new ProxyFarmOptionError('credentials', 'must be an object { username, password }', c);
        }
        const { username, password } = c as Record<string, unknown>;
        if (typeof username !== 'string' || username.length === 0 || username.includes(':')) {
            throw new ProxyFarmOptionError('credentials.username', 'must be a non-empty string without ":"', username);
        }
        if (typeof password !== 'string') {
            throw new ProxyFarmOptionError('credentials.password', 'must be a string', password);
        }
        credentials = { username, password };
    }
    const addresses = Array.from({ length: count }, (_, i) => intToIpv4(start + i));
    return { count, addresses, credentials };
}

interface Member {
    server: Server;
    agent: http.Agent;
    info: FarmProxy;
    stats: FarmProxyStats;
}

/**
 * Starts `count` real HTTP proxies (proxy-chain `Server`) on consecutive loopback addresses. Proxy i listens on
 * firstAddress+i and opens its upstream connections FROM that address (`localAddress`), both for plain HTTP
 * requests and CONNECT tunnels, so a target sees one distinct client IP per proxy.
 * Throws `ProxyFarmOptionError` (a TypeError) for invalid options.
 */
export async function startProxyFarm(options: ProxyFarmOptions): Promise<ProxyFarm> {
    const { addresses, credentials } = resolveOptions(options);
    const auth = credentials
        ? `${encodeURIComponent(credentials.username)}:${encodeURIComponent(credentials.password)}@`
        : '';

    const members: Member[] = addresses.map((ip) => {
        const stats: FarmProxyStats = { url: '', ip, port: 0, requests: 0, connections: 0, authFailures: 0 };
        // Own keep-alive agent per proxy: proxy-chain would otherwise use http.globalAgent. Node keys pooled
        // sockets by localAddress too, but a private agent can be destroyed on close().
        const agent = new http.Agent({ keepAlive: true });
        const prepareRequestFunction = (
            { username, password }: PrepareRequestFunctionOpts,
        ): PrepareRequestFunctionResult => {
            if (credentials && (username !== credentials.username || password !== credentials.password)) {
                stats.authFailures++;
                return { requestAuthentication: true, failMsg: 'Proxy credentials required.' };
            }
            stats.requests++;
            // proxy-chain passes localAddress (and ipFamily) to http.request() in forward() and to
            // net.createConnection() in direct() (CONNECT). ipFamily 4 makes names like 'localhost' resolve to an
            // IPv4 address, which an IPv4 localAddress can reach.
            return { localAddress: ip, ipFamily: 4, httpAgent: agent };
        };
        const server = new Server({ host: ip, port: 0, prepareRequestFunction });
        server.server.on('connection', () => {
            stats.connections++;
        });
        return { server, agent, stats, info: { url: '', ip, port: 0 } };
    });

    const closeAll = async (): Promise<void> => {
        await Promise.allSettled(members.map((m) => m.server.close(true)));
        for (const m of members) m.agent.destroy();
    };

    const results = await Promise.allSettled(members.map((m) => m.server.listen()));
    const failed = results.findIndex((r) => r.status === 'rejected');
    if (failed !== -1) {
        const listening = members.filter((_, i) => results[i]!.status === 'fulfilled');
        await Promise.allSettled(listening.map((m) => m.server.close(true)));
        for (const m of members) m.agent.destroy();
        const reason = (results[failed] as PromiseRejectedResult).reason as Error;
        throw new Error(`startProxyFarm: proxy ${failed} could not listen on ${addresses[failed]}: ${reason.message}`,
            { cause: reason });
    }

    for (const m of members) {
        const { port } = m.server;
        m.info.port = port;
        m.info.url = `http://${auth}${m.info.ip}:${port}`;
        m.stats.port = port;
        m.stats.url = m.info.url;
    }
    const proxies = members.map((m) => m.info);
    let closing: Promise<void> | undefined;

    return {
        proxies,
        urls: proxies.map((p) => p.url),
        stats: () => members.map((m) => ({ ...m.stats })),
        resetStats(): void {
            for (const m of members) {
                m.stats.requests = 0;
                m.stats.connections = 0;
                m.stats.authFailures = 0;
            }
        },
        close(): Promise<void> {
            closing ??= closeAll();
            return closing;
        },
    };
}
