import { describe, expect, it } from '@jest/globals';
import { InvalidOptionError, SessionPool } from '../src/index.js';

// Behaviours added after review: who a failure is blamed on, nameless cookies, capped cooldowns,
// per-session options refused at pool level, case-insensitive Retry-After, pre-aborted acquires.
const PROXIES = ['http://127.0.0.2:8000', 'http://127.0.0.3:8000'];

describe('markBad blame', () => {
    it('markBad({ blameProxy: false }) scores the session but never benches its proxy', async () => {
        const pool = new SessionPool({ persist: false, proxyConfiguration: { proxyUrls: PROXIES }, proxyBanThreshold: 2, sessionOptions: { maxErrorScore: 100 } });
        const lease = await pool.acquire();
        for (let i = 0; i < 5; i++) lease.session.markBad({ blameProxy: false });
        expect(lease.session.errorScore).toBe(5);
        const proxy = pool.getStats().proxies.find((entry) => entry.url === lease.session.proxyUrl)!;
        expect(proxy).toMatchObject({ state: 'healthy', errors: 0 });
        lease.session.markBad();
        lease.session.markBad();
        expect(pool.getStats().proxies.find((entry) => entry.url === lease.session.proxyUrl)).toMatchObject({ state: 'benched', errors: 2 });
        lease.release();
        await pool.teardown();
    });
});

describe('nameless cookies', () => {
    it('without name and value are rejected and counted; a bare value is kept, as browsers do', async () => {
        const pool = new SessionPool({ persist: false });
        const session = await pool.getSession();
        expect(session.setCookie('=;', 'http://127.0.0.1/')).toBe(false);
        expect(session.setCookie('=; Path=/', 'http://127.0.0.1/')).toBe(false);
        expect(session.setCookie('good=1; Path=/', 'http://127.0.0.1/')).toBe(true);
        expect(session.setCookie('token; Path=/', 'http://127.0.0.1/')).toBe(true);
        expect(session.getCookieString('http://127.0.0.1/')).toBe('good=1; token');
        expect(pool.getStats().malformedCookies).toBe(2);
        await pool.teardown();
    });
});

describe('cooldown cap', () => {
    it('caps a huge Retry-After at maxCooldownSecs', async () => {
        const pool = new SessionPool({ persist: false, maxCooldownSecs: 5 });
        const lease = await pool.acquire();
        const before = Date.now();
        lease.session.coolDown(86_400_000, 429);
        expect(lease.session.cooldownUntilMs - before).toBeLessThanOrEqual(5_000 + 50);
        expect(lease.session.cooldownUntilMs - before).toBeGreaterThanOrEqual(4_900);
        lease.release();
        await pool.teardown();
    });

    it('validates maxCooldownSecs', () => {
        expect(() => new SessionPool({ persist: false, maxCooldownSecs: -1 })).toThrow(/Option "maxCooldownSecs" must be a number >= 0, got -1/);
    });
});

describe('sessionOptions of a pool', () => {
    it.each([
        ['proxyUrl', 'http://127.0.0.2:8000'],
        ['usageCount', 3],
        ['cookies', [{ name: 'a', value: '1', domain: 'example.com' }]],
    ])('refuses the per-session option %s (it would be silently dropped)', (key, value) => {
        let thrown: unknown;
        try {
            new SessionPool({ persist: false, sessionOptions: { [key]: value } });
        } catch (error) {
            thrown = error;
        }
        expect(thrown).toBeInstanceOf(InvalidOptionError);
        expect((thrown as InvalidOptionError).option).toBe(`sessionOptions.${key}`);
        expect((thrown as Error).message).toMatch(/describes one session, not every session of a pool/);
    });

    it('still accepts limits and userData', () => {
        expect(() => new SessionPool({ persist: false, sessionOptions: { maxAgeSecs: 10, maxUsageCount: 5, userData: { a: 1 } } })).not.toThrow();
    });
});

describe('classifyResponse', () => {
    it('reads Retry-After whatever its case', () => {
        const pool = new SessionPool({ persist: false });
        expect(pool.classifyResponse(503, { 'Retry-After': '2' })).toEqual({ kind: 'rateLimited', statusCode: 503, retryAfterMs: 2000 });
        expect(pool.classifyResponse(429, { 'RETRY-AFTER': '1' })).toEqual({ kind: 'rateLimited', statusCode: 429, retryAfterMs: 1000 });
        expect(pool.classifyResponse(503, { 'x-other': '1' })).toEqual({ kind: 'ok' });
    });
});

describe('acquire with an aborted signal', () => {
    it('rejects at once with the signal reason even when a session is free', async () => {
        const pool = new SessionPool({ persist: false });
        await pool.addSession();
        const controller = new AbortController();
        controller.abort(new Error('stop'));
        await expect(pool.acquire({ signal: controller.signal })).rejects.toThrow('stop');
        expect(pool.getStats().activeLeases).toBe(0);
        await pool.teardown();
    });
});
