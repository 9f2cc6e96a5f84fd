import http from 'node:http';

import { afterEach, describe, expect, it } from '@jest/globals';

// Relative import: tsc would resolve '@sessionkit/testing' to this package's own (possibly stale) dist.
import { AntiBotSiteOptionError, startAntiBotSite } from '../src/index.js';
import type { AntiBotSite, AntiBotSiteOptions, AntiBotSiteStats } from '../src/index.js';

import { get, setCookiePair, sleep } from './helpers.js';

const open: AntiBotSite[] = [];

async function site(options?: AntiBotSiteOptions): Promise<AntiBotSite> {
    const s = await startAntiBotSite(options);
    open.push(s);
    return s;
}

afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
});

/** No rules that get in the way of counting tests. */
const permissive: AntiBotSiteOptions = { newVisitorLimit: false, pagesPerVisitor: false };

describe('startAntiBotSite: basics', () => {
    it('listens on 127.0.0.1 on an ephemeral port and builds page URLs', async () => {
        const s = await site({ pageCount: 20 });
        expect(s.host).toBe('127.0.0.1');
        expect(s.port).toBeGreaterThan(0);
        expect(s.url).toBe(`http://127.0.0.1:${s.port}`);
        expect(s.pageUrl(3)).toBe(`${s.url}/page/3`);
        expect(s.pageUrls()).toHaveLength(20);
        expect(s.pageUrls(3, 5)).toEqual([`${s.url}/page/5`, `${s.url}/page/6`, `${s.url}/page/7`]);
        expect(() => s.pageUrl(20)).toThrow(RangeError);
        expect(() => s.pageUrls(30)).toThrow(/raise the "pageCount" option/);
    });

    it('serves deterministic pages with title, h1 and links; / links to pages; unknown paths 404', async () => {
        const s = await site({ ...permissive, pageCount: 50 });
        const page = await get(s.pageUrl(7));
        expect(page.status).toBe(200);
        expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
        expect(page.body).toContain('<title>Page 7</title>');
        expect(page.body).toContain('<h1>Page 7</h1>');
        const links = [...page.body.matchAll(/href="\/page\/(\d+)"/g)].map((m) => Number(m[1]));
        expect(links).toHaveLength(5);
        expect(links[0]).toBe(8);
        expect(new Set(links).size).toBe(5);
        expect(links).not.toContain(7);
        expect((await get(s.pageUrl(7))).body).toBe(page.body);

        const home = await get(`${s.url}/`);
        expect(home.status).toBe(200);
        expect(home.body).toContain('<title>Home</title>');
        expect(home.body).toContain('href="/page/0"');

        for (const path of ['/page/50', '/page/abc', '/page/07', '/page/', '/nope', '/page/1/x']) {
            expect((await get(`${s.url}${path}`)).status).toBe(404);
        }
        const head = await get(s.pageUrl(1), { method: 'HEAD' });
        expect(head.status).toBe(200);
        expect(head.body).toBe('');
        expect(Number(head.headers['content-length'])).toBeGreaterThan(100);
        expect((await get(s.pageUrl(1), { method: 'POST' })).status).toBe(405);
        expect(s.stats().notFound).toBe(6);
    });
});

describe('visitor cookie', () => {
    it('mints an HttpOnly cookie for a new visitor and recognises it afterwards', async () => {
        const s = await site(permissive);
        const first = await get(s.pageUrl(1));
        expect(first.status).toBe(200);
        const setCookie = first.headers['set-cookie'];
        expect(setCookie).toHaveLength(1);
        expect(setCookie![0]).toMatch(/^sk_visitor=[0-9a-f]{32}; Path=\/; HttpOnly$/);
        const cookie = setCookiePair(first, 'sk_visitor')!;

        const second = await get(s.pageUrl(2), { cookie: `other=1; ${cookie}` });
        expect(second.status).toBe(200);
        expect(second.headers['set-cookie']).toBeUndefined();
        const home = await get(`${s.url}/`, { cookie });
        expect(home.headers['set-cookie']).toBeUndefined();

        // An unknown cookie value is a new visitor.
        const forged = await get(s.pageUrl(3), { cookie: 'sk_visitor=0123456789abcdef0123456789abcdef' });
        expect(setCookiePair(forged, 'sk_visitor')).toBeDefined();
        expect(setCookiePair(forged, 'sk_visitor')).not.toBe(cookie);

        const st = s.stats();
        expect(st.newVisitors).toBe(2);
        expect(st.visitors).toBe(2);
        expect(st.pagesServed).toBe(4);
        expect(st.byIp['127.0.0.1']).toEqual({ requests: 4, pagesServed: 4, newVisitors: 2, rateLimited: 0, blocked: 0 });
    });

    it('derives visitor ids from the seed', async () => {
        const a = await site({ ...permissive, seed: 42 });
        const b = await site({ ...permissive, seed: 42 });
        const c = await site({ ...permissive, seed: 43 });
        const idA = setCookiePair(await get(a.pageUrl(0)), 'sk_visitor');
        const idA2 = setCookiePair(await get(a.pageUrl(0)), 'sk_visitor');
        const idB = setCookiePair(await get(b.pageUrl(5)), 'sk_visitor');
        const idC = setCookiePair(await get(c.pageUrl(0)), 'sk_visitor');
        expect(idA).toBe(idB);
        expect(idA2).not.toBe(idA);
        expect(idC).not.toBe(idA);
    });

    it('honours a custom cookie name', async () => {
        const s = await site({ ...permissive, cookieName: 'sid' });
        const first = await get(s.pageUrl(0));
        const cookie = setCookiePair(first, 'sid')!;
        expect(cookie).toMatch(/^sid=[0-9a-f]{32}$/);
        expect((await get(s.pageUrl(0), { cookie })).headers['set-cookie']).toBeUndefined();
    });
});

describe('newVisitorLimit', () => {
    it('answers 429 + Retry-After to every request of the IP after too many new visitors, then recovers', async () => {
        // A 1 s penalty: long enough that a loaded machine still sends the next requests inside it.
        const s = await site({ pagesPerVisitor: false, newVisitorLimit: { max: 2, windowMs: 4000, retryAfterMs: 1000 } });
        const a = setCookiePair(await get(s.pageUrl(0), { localAddress: '127.0.0.2' }), 'sk_visitor')!;
        expect((await get(s.pageUrl(1), { localAddress: '127.0.0.2' })).status).toBe(200);

        const third = await get(s.pageUrl(2), { localAddress: '127.0.0.2' });
        expect(third.status).toBe(429);
        expect(third.headers['retry-after']).toBe('1');
        expect(third.headers['set-cookie']).toBeUndefined();
        // Known visitors of the penalised IP are refused too…
        expect((await get(s.pageUrl(3), { localAddress: '127.0.0.2', cookie: a })).status).toBe(429);
        // …other IPs are not.
        expect((await get(s.pageUrl(3), { localAddress: '127.0.0.3' })).status).toBe(200);

        await sleep(1050);
        expect((await get(s.pageUrl(3), { localAddress: '127.0.0.2', cookie: a })).status).toBe(200);
        // A fresh window starts after the penalty: new visitors are welcome again.
        expect((await get(s.pageUrl(4), { localAddress: '127.0.0.2' })).status).toBe(200);
        expect((await get(s.pageUrl(5), { localAddress: '127.0.0.2' })).status).toBe(200);
        expect((await get(s.pageUrl(6), { localAddress: '127.0.0.2' })).status).toBe(429);

        const st = s.stats();
        expect(st.rateLimited).toBe(3);
        expect(st.byIp['127.0.0.2']!.rateLimited).toBe(3);
        expect(st.byIp['127.0.0.2']!.newVisitors).toBe(4);
        expect(st.byIp['127.0.0.3']!.rateLimited).toBe(0);
    });

    it('sends retryAfterSecs as Retry-After and counts windows per IP', async () => {
        const s = await site({ pagesPerVisitor: false, newVisitorLimit: { max: 1, windowMs: 60_000, retryAfterSecs: 7 } });
        expect((await get(s.pageUrl(0), { localAddress: '127.0.0.2' })).status).toBe(200);
        expect((await get(s.pageUrl(0), { localAddress: '127.0.0.3' })).status).toBe(200);
        const limited = await get(s.pageUrl(0), { localAddress: '127.0.0.2' });
        expect(limited.status).toBe(429);
        expect(limited.headers['retry-after']).toBe('7');
        expect(limited.headers['x-sk-reason']).toBe('new-visitor-limit');
    });

    it('a new window opens after windowMs', async () => {
        const s = await site({ pagesPerVisitor: false, newVisitorLimit: { max: 1, windowMs: 150, retryAfterSecs: 5 } });
        expect((await get(s.pageUrl(0), { localAddress: '127.0.0.2' })).status).toBe(200);
        await sleep(200);
        expect((await get(s.pageUrl(0), { localAddress: '127.0.0.2' })).status).toBe(200);
    });

    it('extendPenaltyOnViolation keeps a known visitor out while the IP keeps hammering', async () => {
        const penaltyMs = 600;
        // Timestamps make the assertions independent of machine load: a request is certainly inside the penalty
        // if it was answered less than penaltyMs after the (previous) penalising request was sent, and certainly
        // outside if it was sent more than penaltyMs after that request was answered.
        const run = async (extendPenaltyOnViolation: boolean) => {
            const s = await site({
                pagesPerVisitor: false,
                newVisitorLimit: { max: 1, windowMs: 10_000, retryAfterMs: penaltyMs, extendPenaltyOnViolation },
            });
            const cookie = setCookiePair(await get(s.pageUrl(0)), 'sk_visitor')!;
            const sent0 = performance.now();
            expect((await get(s.pageUrl(0))).status).toBe(429); // violation
            const received0 = performance.now();
            const log: Array<{ sent: number; received: number; status: number }> = [];
            while (performance.now() - received0 < penaltyMs + 500) {
                await sleep(100);
                const sent = performance.now();
                const { status } = await get(s.pageUrl(1), { cookie });
                log.push({ sent, received: performance.now(), status });
            }
            return { sent0, received0, log };
        };
        const [extended, plain] = await Promise.all([run(true), run(false)]);

        let prevSent = extended.sent0;
        let checked = 0;
        for (const { sent, received, status } of extended.log) {
            if (received - prevSent < penaltyMs) {
                expect(status).toBe(429);
                checked++;
            }
            prevSent = sent;
        }
        expect(checked).toBeGreaterThan(0);
        // Normally every request lands within 600 ms of the previous one, so the IP never gets out.
        if (checked === extended.log.length) expect(extended.log.at(-1)!.status).toBe(429);

        for (const { sent, received, status } of plain.log) {
            if (received - plain.sent0 < penaltyMs) expect(status).toBe(429);
            if (sent - plain.received0 > penaltyMs) expect(status).toBe(200);
        }
        expect(plain.log.at(-1)!.status).toBe(200);
    });
});

describe('pagesPerVisitor', () => {
    it('burns a visitor after its page budget: 403', async () => {
        const s = await site({ newVisitorLimit: false, pagesPerVisitor: 3 });
        const cookie = setCookiePair(await get(s.pageUrl(0)), 'sk_visitor')!;
        expect((await get(s.pageUrl(1), { cookie })).status).toBe(200);
        expect((await get(`${s.url}/`, { cookie })).status).toBe(200);
        const burned = await get(s.pageUrl(2), { cookie });
        expect(burned.status).toBe(403);
        expect(burned.headers['x-sk-reason']).toBe('budget');
        expect((await get(s.pageUrl(2), { cookie })).status).toBe(403);
        // A new visitor starts with a fresh budget.
        expect((await get(s.pageUrl(2))).status).toBe(200);
        const st = s.stats();
        expect(st.blockedBudget).toBe(2);
        expect(st.byIp['127.0.0.1']!.blocked).toBe(2);
        expect(st.pagesServed).toBe(4);
    });
});

describe('bindCookieToIp', () => {
    it('answers 403 when a cookie moves to another IP, and counts it', async () => {
        const s = await site(permissive);
        const cookie = setCookiePair(await get(s.pageUrl(0), { localAddress: '127.0.0.2' }), 'sk_visitor')!;
        const moved = await get(s.pageUrl(1), { localAddress: '127.0.0.3', cookie });
        expect(moved.status).toBe(403);
        expect(moved.headers['x-sk-reason']).toBe('ip-move');
        // Still fine from the IP it was first seen from.
        expect((await get(s.pageUrl(1), { localAddress: '127.0.0.2', cookie })).status).toBe(200);
        const st = s.stats();
        expect(st.blockedIpMove).toBe(1);
        expect(st.byIp['127.0.0.3']!.blocked).toBe(1);
    });

    it('can be turned off', async () => {
        const s = await site({ ...permissive, bindCookieToIp: false });
        const cookie = setCookiePair(await get(s.pageUrl(0), { localAddress: '127.0.0.2' }), 'sk_visitor')!;
        const moved = await get(s.pageUrl(1), { localAddress: '127.0.0.3', cookie });
        expect(moved.status).toBe(200);
        expect(moved.headers['set-cookie']).toBeUndefined();
    });
});

describe('bannedIps', () => {
    it('answers 403 to every request from a banned IP; helper routes stay open', async () => {
        const s = await site({ bannedIps: ['127.0.0.4', '::ffff:127.0.0.5'] });
        for (const path of ['/', '/page/1', '/nope']) {
            expect((await get(`${s.url}${path}`, { localAddress: '127.0.0.4' })).status).toBe(403);
        }
        expect((await get(s.pageUrl(1), { localAddress: '127.0.0.5' })).status).toBe(403);
        expect((await get(s.pageUrl(1), { localAddress: '127.0.0.6' })).status).toBe(200);
        expect((await get(`${s.url}/echo`, { localAddress: '127.0.0.4' })).status).toBe(200);
        const st = s.stats();
        expect(st.blockedBannedIp).toBe(4);
        expect(st.byIp['127.0.0.4']).toEqual({ requests: 3, pagesServed: 0, newVisitors: 0, rateLimited: 0, blocked: 3 });
        expect(st.newVisitors).toBe(1);
    });
});

describe('transientErrorRate', () => {
    async function failures(seed: number, n: number): Promise<number[]> {
        const s = await site({ ...permissive, seed, pageCount: n, transientErrorRate: 0.2 });
        const failed: number[] = [];
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        try {
            for (let i = 0; i < n; i++) {
                const res = await get(s.pageUrl(i), { agent });
                if (res.status === 503) {
                    expect(res.headers['retry-after']).toBeUndefined();
                    failed.push(i);
                } else {
                    expect(res.status).toBe(200);
                }
            }
            expect(s.stats().transientErrors).toBe(failed.length);
            // A retry of a failed URL is a new attempt: most succeed.
            let retriedOk = 0;
            for (const i of failed) if ((await get(s.pageUrl(i), { agent })).status === 200) retriedOk++;
            expect(retriedOk).toBeGreaterThan(failed.length * 0.6);
        } finally {
            agent.destroy();
        }
        return failed;
    }

    it('answers about rate × requests with 503 (no Retry-After), deterministically per seed', async () => {
        const a = await failures(7, 600);
        expect(a.length).toBeGreaterThan(600 * 0.2 - 40);
        expect(a.length).toBeLessThan(600 * 0.2 + 40);
        expect(await failures(7, 600)).toEqual(a);
        expect(await failures(8, 600)).not.toEqual(a);
    });

    it('does not depend on the request order across paths', async () => {
        const s1 = await site({ ...permissive, transientErrorRate: 0.3, pageCount: 40 });
        const s2 = await site({ ...permissive, transientErrorRate: 0.3, pageCount: 40 });
        const forward = await Promise.all(s1.pageUrls().map((u) => get(u).then((r) => r.status)));
        const reversed = (await Promise.all(s2.pageUrls().reverse().map((u) => get(u).then((r) => r.status)))).reverse();
        expect(reversed).toEqual(forward);
    });
});

describe('rateLimit503Rate', () => {
    it('answers 503 with Retry-After', async () => {
        const s = await site({ ...permissive, rateLimit503Rate: 1, rateLimit503RetryAfterSecs: 3 });
        const res = await get(s.pageUrl(0));
        expect(res.status).toBe(503);
        expect(res.headers['retry-after']).toBe('3');
        expect(s.stats().rateLimited503).toBe(1);
        expect(s.stats().transientErrors).toBe(0);
    });

    it('hits about the configured share', async () => {
        const s = await site({ ...permissive, rateLimit503Rate: 0.5, pageCount: 200 });
        const statuses = await Promise.all(s.pageUrls().map((u) => get(u).then((r) => r.status)));
        const limited = statuses.filter((st) => st === 503).length;
        expect(limited).toBe(s.stats().rateLimited503);
        expect(limited).toBeGreaterThan(60);
        expect(limited).toBeLessThan(140);
    });
});

describe('softBlockRate', () => {
    it('answers 200 with <title>Blocked</title> for about the configured share, fixed per (visitor, path)', async () => {
        const s = await site({ ...permissive, softBlockRate: 0.3, pageCount: 300 });
        const root = await get(`${s.url}/`);
        const rootBlocked = root.body.includes('<title>Blocked</title>') ? 1 : 0;
        const cookie = setCookiePair(root, 'sk_visitor')!;
        const blocked: number[] = [];
        for (let i = 0; i < 300; i++) {
            const res = await get(s.pageUrl(i), { cookie });
            expect(res.status).toBe(200);
            if (res.body.includes('<title>Blocked</title>')) blocked.push(i);
            else expect(res.body).toContain(`<title>Page ${i}</title>`);
        }
        expect(blocked.length).toBeGreaterThan(60);
        expect(blocked.length).toBeLessThan(120);
        // Same visitor, same path: blocked again. The crawler has to rotate the session.
        for (const i of blocked.slice(0, 10)) {
            expect((await get(s.pageUrl(i), { cookie })).body).toContain('<title>Blocked</title>');
        }
        const st: AntiBotSiteStats = s.stats();
        expect(st.softBlocks).toBe(rootBlocked + blocked.length + 10);
        expect(st.pagesServed + st.softBlocks).toBe(311);
        // Another visitor is blocked on other pages.
        const other = setCookiePair(await get(`${s.url}/`), 'sk_visitor')!;
        const otherBlocked: number[] = [];
        for (let i = 0; i < 50; i++) {
            if ((await get(s.pageUrl(i), { cookie: other })).body.includes('<title>Blocked</title>')) otherBlocked.push(i);
        }
        expect(otherBlocked).not.toEqual(blocked.filter((i) => i < 50));
    });

    it('rate 1 blocks every page view and still mints the cookie', async () => {
        const s = await site({ ...permissive, softBlockRate: 1 });
        const res = await get(s.pageUrl(0));
        expect(res.body).toContain('<title>Blocked</title>');
        expect(setCookiePair(res, 'sk_visitor')).toBeDefined();
        expect(s.stats().softBlocks).toBe(1);
        expect(s.stats().pagesServed).toBe(0);
    });
});

describe('latencyMs', () => {
    it('delays counted responses but not helper routes', async () => {
        const s = await site({ ...permissive, latencyMs: 300 });
        let t = performance.now();
        expect((await get(s.pageUrl(0))).status).toBe(200);
        expect(performance.now() - t).toBeGreaterThanOrEqual(290);
        t = performance.now();
        await get(`${s.url}/__stats`);
        expect(performance.now() - t).toBeLessThan(250);
    });
});

describe('helper routes', () => {
    it('GET /__stats returns the counters as JSON and is not counted', async () => {
        const s = await site(permissive);
        await get(s.pageUrl(0), { localAddress: '127.0.0.2' });
        await get(`${s.url}/missing`);
        const res = await get(`${s.url}/__stats`);
        expect(res.status).toBe(200);
        expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
        const json = JSON.parse(res.body) as AntiBotSiteStats;
        expect(json).toEqual(s.stats());
        expect(json).toMatchObject({ requests: 2, pagesServed: 1, newVisitors: 1, notFound: 1, visitors: 1 });
        expect(Object.keys(json.byIp).sort()).toEqual(['127.0.0.1', '127.0.0.2']);
    });

    it('GET /echo returns headers and the client IP; /set-cookie sets a cookie; neither is counted', async () => {
        const s = await site({ bannedIps: ['127.0.0.9'] });
        const echo = await get(`${s.url}/echo?x=1`, {
            localAddress: '127.0.0.9', cookie: 'a=b; c=d', headers: { 'user-agent': 'sk-test/1' },
        });
        const body = JSON.parse(echo.body) as { ip: string; url: string; headers: Record<string, string>; cookies: object };
        expect(body.ip).toBe('127.0.0.9');
        expect(body.url).toBe('/echo?x=1');
        expect(body.headers['user-agent']).toBe('sk-test/1');
        expect(body.headers.cookie).toBe('a=b; c=d');
        expect(body.cookies).toEqual({ a: 'b', c: 'd' });

        const set = await get(`${s.url}/set-cookie?name=theme&value=dark`);
        expect(set.status).toBe(200);
        expect(set.headers['set-cookie']).toEqual(['theme=dark; Path=/']);
        expect((await get(`${s.url}/set-cookie?name=bad%20name&value=x`)).status).toBe(400);
        expect((await get(`${s.url}/set-cookie?name=ok&value=a%3Bb`)).status).toBe(400);
        expect(s.stats().requests).toBe(0);
    });
});

describe('stats', () => {
    it('resetStats() zeroes counters but keeps visitors; reset() forgets everything', async () => {
        const s = await site({ pagesPerVisitor: 1, newVisitorLimit: false });
        const first = await get(s.pageUrl(0));
        const cookie = setCookiePair(first, 'sk_visitor')!;
        s.resetStats();
        expect(s.stats()).toMatchObject({ requests: 0, pagesServed: 0, visitors: 1, byIp: {} });
        expect((await get(s.pageUrl(1), { cookie })).status).toBe(403);
        s.reset();
        expect(s.stats()).toMatchObject({ requests: 0, blockedBudget: 0, visitors: 0 });
        const again = await get(s.pageUrl(0));
        // Re-seeded: the same id is minted again, as a new visitor.
        expect(setCookiePair(again, 'sk_visitor')).toBe(cookie);
    });
});

describe('close()', () => {
    it('closes keep-alive connections and refuses new ones', async () => {
        const s = await startAntiBotSite(permissive);
        const agent = new http.Agent({ keepAlive: true });
        try {
            expect((await get(s.pageUrl(0), { agent })).status).toBe(200);
            const socket = Object.values(agent.freeSockets).flat()[0]!;
            expect(socket).toBeDefined();
            const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
            await s.close();
            await closed;
            await s.close(); // idempotent
            await expect(get(s.pageUrl(0))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
        } finally {
            agent.destroy();
        }
    });

    it('close() does not wait for delayed responses', async () => {
        const s = await startAntiBotSite({ latencyMs: 10_000 });
        const pending = get(s.pageUrl(0)).catch((error: unknown) => error);
        await sleep(50);
        const t = performance.now();
        await s.close();
        expect(performance.now() - t).toBeLessThan(1000);
        // (instanceof Error fails across jest's realms for errors raised by node:http.)
        expect(await pending).toMatchObject({ code: 'ECONNRESET' });
    });
});

describe('option validation', () => {
    // [option passed, value, option named in the error, message]
    const cases: Array<[string, unknown, string, RegExp]> = [
        ['softBlockRate', 1.5, 'softBlockRate', /option "softBlockRate" must be a number between 0 and 1, got 1\.5/],
        ['transientErrorRate', -0.1, 'transientErrorRate', /must be a number between 0 and 1, got -0\.1/],
        ['rateLimit503Rate', Number.NaN, 'rateLimit503Rate', /got NaN/],
        ['pageCount', 10.5, 'pageCount', /"pageCount" must be an integer from 1 to 10000000, got 10\.5/],
        ['pageCount', 0, 'pageCount', /got 0/],
        ['pagesPerVisitor', 0, 'pagesPerVisitor', /"pagesPerVisitor" must be false or an integer >= 1, got 0/],
        ['pagesPerVisitor', true, 'pagesPerVisitor', /got true/],
        ['bannedIps', ['127.0.0.2', '300.1.1.1'], 'bannedIps[1]',
            /"bannedIps\[1\]" must be an IPv4 or IPv6 address, got "300\.1\.1\.1"/],
        ['bannedIps', '127.0.0.2', 'bannedIps', /must be an array/],
        ['latencyMs', -1, 'latencyMs', /"latencyMs" must be a finite number >= 0, got -1/],
        ['host', 'example.com', 'host', /"host" must be an IP address or "localhost", got "example\.com"/],
        ['port', 70000, 'port', /got 70000/],
        ['seed', 1.5, 'seed', /"seed" must be a safe integer, got 1\.5/],
        ['cookieName', 'a b', 'cookieName', /got "a b"/],
        ['bindCookieToIp', 'yes', 'bindCookieToIp', /"bindCookieToIp" must be true or false, got "yes"/],
        ['rateLimit503RetryAfterSecs', 1.5, 'rateLimit503RetryAfterSecs', /must be an integer >= 0, got 1\.5/],
        ['newVisitorLimit', true, 'newVisitorLimit', /"newVisitorLimit" must be false or an object/],
        ['newVisitorLimit', { max: -1 }, 'newVisitorLimit.max', /"newVisitorLimit\.max" must be an integer >= 0, got -1/],
        ['newVisitorLimit', { windowMs: 0 }, 'newVisitorLimit.windowMs', /got 0/],
        ['newVisitorLimit', { retryAfterSecs: 0.5 }, 'newVisitorLimit.retryAfterSecs', /must be an integer >= 1, got 0\.5/],
        ['newVisitorLimit', { retryAfterSecs: 1, retryAfterMs: 10 }, 'newVisitorLimit.retryAfterMs',
            /cannot be combined with "retryAfterSecs"/],
        ['newVisitorLimit', { maxx: 1 }, 'newVisitorLimit.maxx', /"newVisitorLimit\.maxx" is not a known option/],
        ['softblockRate', 0.1, 'softblockRate', /option "softblockRate" is not a known option, got 0\.1/],
        ['extendPenaltyOnViolation', true, 'extendPenaltyOnViolation', /belongs in "newVisitorLimit"/],
    ];

    it.each(cases)('rejects %s = %p', async (option, value, named, message) => {
        const error = await startAntiBotSite({ [option]: value } as AntiBotSiteOptions).then(
            (s) => s.close().then(() => undefined), (e: unknown) => e);
        expect(error).toBeInstanceOf(AntiBotSiteOptionError);
        expect(error).toBeInstanceOf(TypeError);
        const e = error as AntiBotSiteOptionError;
        expect(e.name).toBe('AntiBotSiteOptionError');
        expect(e.option).toBe(named);
        expect(e.message).toMatch(/^startAntiBotSite: option "/);
        expect(e.message).toMatch(message);
    });

    it('gives the exact message for a bad rate', async () => {
        await expect(startAntiBotSite({ softBlockRate: 1.5 })).rejects.toThrow(
            'startAntiBotSite: option "softBlockRate" must be a number between 0 and 1, got 1.5');
    });
});
