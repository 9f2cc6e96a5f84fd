import { afterEach, describe, expect, it } from '@jest/globals';

import { type Session, SessionPool, type SessionPoolOptions, backoffMs, parseRetryAfterMs } from '../src/index.js';
import { quietLog } from './helpers.js';

const A = 'http://127.0.0.2:8000';
const B = 'http://127.0.0.3:8000';

const pools: SessionPool[] = [];

async function makePool(options: SessionPoolOptions = {}): Promise<SessionPool> {
    const pool = await SessionPool.open({ persist: false, log: quietLog(), ...options });
    pools.push(pool);
    return pool;
}

afterEach(async () => {
    for (const pool of pools.splice(0)) await pool.teardown();
});

/** Calls `coolDown` and returns the wait it produced, bracketed by Date.now() before and after. */
function measureCoolDown(session: Session, retryAfterMs?: number): { min: number; max: number } {
    const before = Date.now();
    session.coolDown(retryAfterMs);
    const after = Date.now();
    return { min: session.cooldownUntilMs - after, max: session.cooldownUntilMs - before };
}

describe('Retry-After and backoff helpers', () => {
    it('parses delta-seconds and HTTP dates', () => {
        const now = Date.parse('2030-01-01T00:00:00Z');
        expect(parseRetryAfterMs('1', now)).toBe(1000);
        expect(parseRetryAfterMs(' 120 ', now)).toBe(120_000);
        expect(parseRetryAfterMs('1.5', now)).toBe(1500);
        expect(parseRetryAfterMs(['2', '9'], now)).toBe(2000);
        expect(parseRetryAfterMs(3, now)).toBe(3000);
        expect(parseRetryAfterMs('Tue, 01 Jan 2030 00:00:30 GMT', now)).toBe(30_000);
        expect(parseRetryAfterMs('Mon, 31 Dec 2029 23:00:00 GMT', now)).toBe(0);
        expect(parseRetryAfterMs('soon', now)).toBeUndefined();
        expect(parseRetryAfterMs('-5', now)).toBeUndefined();
        expect(parseRetryAfterMs(undefined, now)).toBeUndefined();
        expect(parseRetryAfterMs(null, now)).toBeUndefined();
        expect(parseRetryAfterMs([], now)).toBeUndefined();
        expect(parseRetryAfterMs(-1, now)).toBeUndefined();
    });

    it('backs off exponentially with equal jitter, capped', () => {
        expect(backoffMs(0, 1000, 60_000, () => 0)).toBe(500);
        expect(backoffMs(0, 1000, 60_000, () => 0.5)).toBe(750);
        expect(backoffMs(0, 1000, 60_000, () => 0.999999)).toBe(1000);
        expect(backoffMs(1, 1000, 60_000, () => 0.5)).toBe(1500);
        expect(backoffMs(3, 1000, 60_000, () => 0.5)).toBe(6000);
        expect(backoffMs(20, 1000, 60_000, () => 0.5)).toBe(45_000);
        expect(backoffMs(-3, 1000, 60_000, () => 0)).toBe(500);
    });
});

describe('classifyResponse', () => {
    it('tells blocked, rate limited and ok apart', async () => {
        const pool = await makePool();
        expect(pool.classifyResponse(429, { 'retry-after': '1' })).toEqual({ kind: 'rateLimited', statusCode: 429, retryAfterMs: 1000 });
        expect(pool.classifyResponse(429)).toEqual({ kind: 'rateLimited', statusCode: 429, retryAfterMs: undefined });
        expect(pool.classifyResponse(429, { 'retry-after': 'garbage' })).toEqual({ kind: 'rateLimited', statusCode: 429, retryAfterMs: undefined });
        expect(pool.classifyResponse(503, { 'retry-after': '7' })).toEqual({ kind: 'rateLimited', statusCode: 503, retryAfterMs: 7000 });
        expect(pool.classifyResponse(503)).toEqual({ kind: 'ok' });
        expect(pool.classifyResponse(503, { 'content-type': 'text/html' })).toEqual({ kind: 'ok' });
        expect(pool.classifyResponse(403)).toEqual({ kind: 'blocked', statusCode: 403 });
        expect(pool.classifyResponse(401, { 'retry-after': '5' })).toEqual({ kind: 'blocked', statusCode: 401 });
        expect(pool.classifyResponse(200)).toEqual({ kind: 'ok' });
        expect(pool.classifyResponse(500)).toEqual({ kind: 'ok' });
        const date = new Date(Date.now() + 60_000).toUTCString();
        const verdict = pool.classifyResponse(429, { 'retry-after': date });
        expect(verdict.kind).toBe('rateLimited');
        const retryAfterMs = verdict.kind === 'rateLimited' ? verdict.retryAfterMs : undefined;
        expect(retryAfterMs).toBeGreaterThan(55_000);
        expect(retryAfterMs).toBeLessThanOrEqual(60_000);
    });

    it('follows the pool status code lists', async () => {
        const strict = await makePool({ blockedStatusCodes: [401, 403, 429] });
        expect(strict.classifyResponse(429, { 'retry-after': '1' })).toEqual({ kind: 'blocked', statusCode: 429 });
        const custom = await makePool({ blockedStatusCodes: [451], rateLimitStatusCodes: [420, 429] });
        expect(custom.classifyResponse(403)).toEqual({ kind: 'ok' });
        expect(custom.classifyResponse(451)).toEqual({ kind: 'blocked', statusCode: 451 });
        expect(custom.classifyResponse(420)).toEqual({ kind: 'rateLimited', statusCode: 420, retryAfterMs: undefined });
    });
});

describe('cooldowns', () => {
    it('a 429 with Retry-After cools the session for that long', async () => {
        const pool = await makePool();
        const events: number[] = [];
        pool.on('sessionCooledDown', (_session, untilMs) => events.push(untilMs));
        const lease = await pool.acquire();
        const verdict = pool.classifyResponse(429, { 'retry-after': '1' });
        if (verdict.kind !== 'rateLimited') throw new Error('expected rateLimited');
        const { min, max } = measureCoolDown(lease.session, verdict.retryAfterMs);
        expect(min).toBeLessThanOrEqual(1000);
        expect(max).toBeGreaterThanOrEqual(1000);
        expect(events).toEqual([lease.session.cooldownUntilMs]);
        expect(lease.session.isCoolingDown()).toBe(true);
        lease.release();
        const stats = pool.getStats();
        expect(stats.coolingSessions).toBe(1);
        expect(stats.availableSessions).toBe(0);
        expect(stats.rateLimited).toBe(1);
        expect(lease.session.retired).toBe(false);
    });

    it('a cooled session is not handed out before its cooldown ends', async () => {
        const pool = await makePool({ maxPoolSize: 1 });
        const lease = await pool.acquire();
        lease.session.coolDown(150);
        const until = lease.session.cooldownUntilMs;
        lease.release();
        const next = await pool.acquire();
        expect(Date.now()).toBeGreaterThanOrEqual(until);
        expect(next.session).toBe(lease.session);
        expect(next.session.cooldownUntilMs).toBe(0);
        expect(pool.getStats().coolingSessions).toBe(0);
        next.release();
    });

    it('a pinned acquire waits for its cooling session', async () => {
        const pool = await makePool();
        const lease = await pool.acquire();
        lease.session.coolDown(100);
        const until = lease.session.cooldownUntilMs;
        lease.release();
        const pinned = await pool.acquire({ sessionId: lease.session.id });
        expect(Date.now()).toBeGreaterThanOrEqual(until);
        expect(pinned.session).toBe(lease.session);
        pinned.release();
    });

    it('the direct route cools too: other sessions and new ones wait', async () => {
        const pool = await makePool({ maxPoolSize: 5 });
        const [a, b] = await Promise.all([pool.acquire(), pool.acquire()]);
        b.release();
        a.session.coolDown(200);
        const until = a.session.cooldownUntilMs;
        a.release();
        const [c, d] = await Promise.all([pool.acquire(), pool.acquire()]);
        expect(Date.now()).toBeGreaterThanOrEqual(until);
        // Both old sessions were reused after the wait: none was minted around the cooldown.
        expect(new Set([c.session, d.session])).toEqual(new Set([a.session, b.session]));
        expect(pool.getStats().sessionsCreated).toBe(2);
        c.release();
        d.release();
    });

    it('a cooling proxy waits while sessions on other proxies continue', async () => {
        const pool = await makePool({ maxPoolSize: 10, proxyConfiguration: { proxyUrls: [A, B] } });
        const onA = await pool.addSession({ proxyUrl: A });
        const onB = await pool.addSession({ proxyUrl: B });
        const lease = await pool.acquire({ sessionId: onA.id });
        lease.session.coolDown(300);
        const until = lease.session.cooldownUntilMs;
        lease.release();
        const proxyStats = pool.getStats().proxies.find((proxy) => proxy.url === A);
        expect(proxyStats?.rateLimits).toBe(1);
        expect(proxyStats?.cooldownUntil).toBe(new Date(until).toISOString());

        const leases = await Promise.all(Array.from({ length: 4 }, () => pool.acquire()));
        const grantedAt = Date.now();
        if (grantedAt < until) {
            // B's session is reused and new sessions go to B: nothing on A while A cools.
            expect(leases.map((l) => l.proxyUrl)).toEqual([B, B, B, B]);
            expect(leases.map((l) => l.session)).toContain(onB);
        }
        for (const l of leases) l.release();
        const pinned = await pool.acquire({ sessionId: onA.id });
        expect(Date.now()).toBeGreaterThanOrEqual(until);
        expect(pinned.proxyUrl).toBe(A);
        pinned.release();
    });

    it('without Retry-After the backoff grows, and a success resets it', async () => {
        const pool = await makePool({ rateLimitBackoffSecs: 0.1, rateLimitMaxBackoffSecs: 0.4, random: () => 0.5 });
        const lease = await pool.acquire();
        const session = lease.session;
        const waits = [measureCoolDown(session), measureCoolDown(session), measureCoolDown(session), measureCoolDown(session)];
        // 0.75 × 100·2^n ms, capped at 400 ms: 75, 150, 300, 300
        for (const [index, expected] of [75, 150, 300, 300].entries()) {
            expect(waits[index]!.min).toBeLessThanOrEqual(expected);
            expect(waits[index]!.max).toBeGreaterThanOrEqual(expected);
        }
        session.markGood();
        const after = measureCoolDown(session);
        // The streak restarted (75 ms), but the route's earlier, longer cooldown still stands.
        expect(after.max).toBeGreaterThanOrEqual(75);
        lease.release();
        const second = await pool.acquire();
        expect(second.session).toBe(session);
        second.session.markGood();
        const fresh = measureCoolDown(second.session);
        expect(fresh.min).toBeLessThanOrEqual(75);
        expect(fresh.max).toBeGreaterThanOrEqual(75);
        second.release();
    });

    it('retireOnBlockedStatusCodes(429) in a pool cools down with the backoff', async () => {
        const pool = await makePool({ rateLimitBackoffSecs: 0.2, random: () => 0 });
        const lease = await pool.acquire();
        const before = Date.now();
        expect(lease.session.retireOnBlockedStatusCodes(429)).toBe(false);
        expect(lease.session.cooldownUntilMs - before).toBeGreaterThanOrEqual(100);
        expect(lease.session.cooldownUntilMs - Date.now()).toBeLessThanOrEqual(100);
        const until = lease.session.cooldownUntilMs;
        lease.release();
        const next = await pool.acquire();
        expect(Date.now()).toBeGreaterThanOrEqual(until);
        next.release();
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
        expect(() => new SessionPool({ persist: false, maxCooldownSecs: -1 })).toThrow(/Option "maxCooldownSecs" must be a number of seconds >= 0 and <= 2147483 \(about 24\.8 days\), got -1/);
    });
});

describe('classifyResponse and Retry-After', () => {
    it('reads Retry-After whatever its case', () => {
        const pool = new SessionPool({ persist: false });
        expect(pool.classifyResponse(503, { 'Retry-After': '2' })).toEqual({ kind: 'rateLimited', statusCode: 503, retryAfterMs: 2000 });
        expect(pool.classifyResponse(429, { 'RETRY-AFTER': '1' })).toEqual({ kind: 'rateLimited', statusCode: 429, retryAfterMs: 1000 });
        expect(pool.classifyResponse(503, { 'x-other': '1' })).toEqual({ kind: 'ok' });
    });
});
