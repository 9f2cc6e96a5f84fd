import net from 'node:net';

import { afterEach, describe, expect, it } from '@jest/globals';

// Relative import: tsc would resolve '@sessionkit/testing' to this package's own (possibly stale) dist.
import { ProxyFarmOptionError, startAntiBotSite, startProxyFarm } from '../src/index.js';
import type { AntiBotSite, ProxyFarm, ProxyFarmOptions } from '../src/index.js';

import { basicAuth, getViaConnect, getViaProxy, setCookiePair } from './helpers.js';

const closers: Array<{ close(): Promise<void> }> = [];

async function farm(options: ProxyFarmOptions): Promise<ProxyFarm> {
    const f = await startProxyFarm(options);
    closers.push(f);
    return f;
}

async function site(options?: Parameters<typeof startAntiBotSite>[0]): Promise<AntiBotSite> {
    const s = await startAntiBotSite(options);
    closers.push(s);
    return s;
}

afterEach(async () => {
    await Promise.all(closers.splice(0).map((c) => c.close()));
});

interface Echo {
    ip: string;
    headers: Record<string, string>;
}

function connectRefused(host: string, port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = net.connect({ host, port });
        socket.once('connect', () => {
            socket.destroy();
            resolve(false);
        });
        socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
    });
}

describe('startProxyFarm', () => {
    it('starts proxies on consecutive loopback addresses with ephemeral ports', async () => {
        const f = await farm({ count: 3 });
        expect(f.proxies.map((p) => p.ip)).toEqual(['127.0.0.2', '127.0.0.3', '127.0.0.4']);
        for (const p of f.proxies) {
            expect(p.port).toBeGreaterThan(0);
            expect(p.port).not.toBe(8000);
            expect(p.url).toBe(`http://${p.ip}:${p.port}`);
        }
        expect(f.urls).toEqual(f.proxies.map((p) => p.url));
        const custom = await farm({ count: 2, firstAddress: '127.0.1.254' });
        expect(custom.proxies.map((p) => p.ip)).toEqual(['127.0.1.254', '127.0.1.255']);
    });

    it('the site sees one distinct client IP per proxy (plain HTTP proxying)', async () => {
        const s = await site({ newVisitorLimit: false });
        const f = await farm({ count: 2 });
        const [a, b] = f.proxies;
        const echoA = JSON.parse((await getViaProxy(a!, `${s.url}/echo`)).body) as Echo;
        const echoB = JSON.parse((await getViaProxy(b!, `${s.url}/echo`)).body) as Echo;
        expect(echoA.ip).toBe('127.0.0.2');
        expect(echoB.ip).toBe('127.0.0.3');
        // Proxy-Authorization is hop-by-hop: never forwarded to the site.
        expect(echoA.headers['proxy-authorization']).toBeUndefined();

        for (let i = 0; i < 3; i++) expect((await getViaProxy(a!, s.pageUrl(i))).status).toBe(200);
        expect((await getViaProxy(b!, s.pageUrl(0))).status).toBe(200);
        const st = s.stats();
        expect(st.byIp['127.0.0.2']).toMatchObject({ requests: 3, newVisitors: 3 });
        expect(st.byIp['127.0.0.3']).toMatchObject({ requests: 1, newVisitors: 1 });
        expect(st.byIp['127.0.0.1']).toBeUndefined();

        const ps = f.stats();
        expect(ps.map((p) => [p.ip, p.requests, p.connections, p.authFailures])).toEqual([
            ['127.0.0.2', 4, 4, 0],
            ['127.0.0.3', 2, 2, 0],
        ]);
        expect(ps[0]!.url).toBe(a!.url);
        f.resetStats();
        expect(f.stats()[0]).toMatchObject({ requests: 0, connections: 0, authFailures: 0 });
    });

    it('CONNECT tunnels also leave from the proxy address', async () => {
        const s = await site();
        const f = await farm({ count: 2 });
        const viaA = JSON.parse((await getViaConnect(f.proxies[0]!, `${s.url}/echo`)).body) as Echo;
        const viaB = JSON.parse((await getViaConnect(f.proxies[1]!, `${s.url}/echo`)).body) as Echo;
        expect(viaA.ip).toBe('127.0.0.2');
        expect(viaB.ip).toBe('127.0.0.3');
        expect(f.stats().map((p) => p.requests)).toEqual([1, 1]);
    });

    it('a cookie minted through one proxy is refused through another (bindCookieToIp)', async () => {
        const s = await site();
        const f = await farm({ count: 2 });
        const cookie = setCookiePair(await getViaProxy(f.proxies[0]!, s.pageUrl(0)), 'sk_visitor')!;
        expect((await getViaProxy(f.proxies[0]!, s.pageUrl(1), { cookie })).status).toBe(200);
        expect((await getViaProxy(f.proxies[1]!, s.pageUrl(1), { cookie })).status).toBe(403);
        expect(s.stats().blockedIpMove).toBe(1);
    });

    it('rate limits are per proxy IP: one proxy limited, the other still served', async () => {
        const s = await site({ newVisitorLimit: { max: 1, windowMs: 10_000, retryAfterSecs: 30 } });
        const f = await farm({ count: 2 });
        expect((await getViaProxy(f.proxies[0]!, s.pageUrl(0))).status).toBe(200);
        const limited = await getViaProxy(f.proxies[0]!, s.pageUrl(1));
        expect(limited.status).toBe(429);
        expect(limited.headers['retry-after']).toBe('30');
        expect((await getViaProxy(f.proxies[1]!, s.pageUrl(1))).status).toBe(200);
    });

    it('requires credentials when configured: 407 without or with wrong ones, counted', async () => {
        const s = await site();
        const f = await farm({ count: 2, credentials: { username: 'user', password: 'p@ss:word' } });
        const p = f.proxies[0]!;
        expect(p.url).toBe(`http://user:p%40ss%3Aword@127.0.0.2:${p.port}`);
        expect(new URL(p.url).password).toBe('p%40ss%3Aword');

        const none = await getViaProxy(p, `${s.url}/echo`);
        expect(none.status).toBe(407);
        expect(none.headers['proxy-authenticate']).toMatch(/^Basic realm=/);
        expect((await getViaProxy(p, `${s.url}/echo`, { proxyAuthorization: basicAuth('user', 'nope') })).status)
            .toBe(407);
        expect((await getViaConnect(p, `${s.url}/echo`)).status).toBe(407);
        // proxy-chain itself answers 400 to a non-Basic Proxy-Authorization (prepareRequestFunction is not called).
        expect((await getViaProxy(p, `${s.url}/echo`, { proxyAuthorization: 'Bearer abc' })).status).toBe(400);

        const ok = await getViaProxy(p, `${s.url}/echo`, { proxyAuthorization: basicAuth('user', 'p@ss:word') });
        expect(ok.status).toBe(200);
        expect((JSON.parse(ok.body) as Echo).ip).toBe('127.0.0.2');
        const tunnel = await getViaConnect(f.proxies[1]!, `${s.url}/echo`, {
            proxyAuthorization: basicAuth('user', 'p@ss:word'),
        });
        expect((JSON.parse(tunnel.body) as Echo).ip).toBe('127.0.0.3');

        expect(f.stats().map((x) => [x.requests, x.authFailures])).toEqual([[1, 3], [1, 0]]);
    });

    it('close() frees every port and drops open client connections', async () => {
        const s = await site();
        const f = await startProxyFarm({ count: 3 });
        try {
            expect((await getViaProxy(f.proxies[0]!, `${s.url}/echo`)).status).toBe(200);
            // An idle client connection stays open until close().
            const idle = net.connect({ host: f.proxies[1]!.ip, port: f.proxies[1]!.port });
            await new Promise<void>((resolve) => idle.once('connect', () => resolve()));
            const idleClosed = new Promise<void>((resolve) => idle.once('close', () => resolve()));
            idle.on('error', () => undefined);

            await f.close();
            await idleClosed;
            await f.close(); // idempotent
            for (const p of f.proxies) expect(await connectRefused(p.ip, p.port)).toBe(true);
        } finally {
            await f.close();
        }
    });

    describe('option validation', () => {
        const cases: Array<[unknown, string, RegExp]> = [
            [{ count: 0 }, 'count', /option "count" must be an integer from 1 to 250, got 0/],
            [{ count: 251 }, 'count', /got 251/],
            [{ count: 1.5 }, 'count', /got 1\.5/],
            [{}, 'count', /got undefined/],
            [{ count: 1, firstAddress: 'abc' }, 'firstAddress', /must be an IPv4 loopback address .*got "abc"/],
            [{ count: 1, firstAddress: '10.0.0.1' }, 'firstAddress', /got "10\.0\.0\.1"/],
            [{ count: 10, firstAddress: '127.255.255.250' }, 'firstAddress', /leaves no room for 10 consecutive/],
            [{ count: 1, credentials: { username: '', password: 'x' } }, 'credentials.username', /non-empty/],
            [{ count: 1, credentials: { username: 'a:b', password: 'x' } }, 'credentials.username', /without ":"/],
            [{ count: 1, credentials: { username: 'a', password: 1 } }, 'credentials.password', /must be a string, got 1/],
            [{ count: 1, port: 8000 }, 'port', /"port" is not a known option/],
        ];
        it.each(cases)('rejects %p', async (options, option, message) => {
            const error = await startProxyFarm(options as ProxyFarmOptions).then(
                (f) => f.close().then(() => undefined), (e: unknown) => e);
            expect(error).toBeInstanceOf(ProxyFarmOptionError);
            expect(error).toBeInstanceOf(TypeError);
            expect((error as ProxyFarmOptionError).option).toBe(option);
            expect((error as ProxyFarmOptionError).message).toMatch(/^startProxyFarm: option "/);
            expect((error as ProxyFarmOptionError).message).toMatch(message);
        });
    });
});
