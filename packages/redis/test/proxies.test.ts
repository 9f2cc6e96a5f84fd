import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import { type ProxyStats, type SessionLease, type SessionPool, SessionPoolTimeoutError } from '@sessionkit/core';
import { Fixture, keyPrefix, rawClient, sleep, uniquePoolId, waitFor } from './helpers.js';

const fx = new Fixture();
let redis: Redis;
beforeAll(() => {
    redis = rawClient();
});
afterEach(() => fx.cleanup());
afterAll(() => redis.disconnect());

// Proxy URLs are only bound to sessions here: nothing connects to them.
const P = ['http://127.0.0.2:8000', 'http://127.0.0.3:8000', 'http://127.0.0.4:8000'];

/** Leases sessions until one on `proxyUrl` comes up; gives the others back unjudged. */
async function leaseOnProxy(pool: SessionPool, proxyUrl: string): Promise<SessionLease> {
    const others: SessionLease[] = [];
    try {
        for (let i = 0; i < 20; i++) {
            const lease = await pool.acquire({ timeoutSecs: 5 });
            if (lease.proxyUrl === proxyUrl) return lease;
            others.push(lease);
        }
        throw new Error(`no session on ${proxyUrl}`);
    } finally {
        for (const other of others) other.release();
    }
}

async function proxyStats(pool: SessionPool, url: string): Promise<ProxyStats> {
    return (await pool.fetchStats()).proxies.find((proxy) => proxy.url === url)!;
}

/** Proxy keys are named by the SHA-1 of the URL (a URL may carry a password). */
const sha1 = (text: string): string => createHash('sha1').update(text).digest('hex');

describe('proxy health is shared', () => {
    it('failures reported by two workers bench a proxy for both; its sessions are burned; new sessions avoid it', async () => {
        const poolId = uniquePoolId('bench');
        const options = { maxPoolSize: 30, proxyConfiguration: { proxyUrls: P }, proxyBanThreshold: 2, proxyBenchSecs: 30 };
        const a = await fx.pool(poolId, options);
        const b = await fx.pool(poolId, options);
        const benched: string[] = [];
        a.on('proxyBenched', (proxy) => benched.push(`a:${proxy.url}:${proxy.state}`));
        b.on('proxyBenched', (proxy) => benched.push(`b:${proxy.url}:${proxy.state}`));
        const bystander = await leaseOnProxy(b, P[0]!); // another session on P[0], idle while its proxy gets benched
        const other = await leaseOnProxy(a, P[0]!);
        bystander.release();
        other.session.markBad(); // a's report
        other.release();
        const again = await leaseOnProxy(b, P[0]!);
        again.session.markBad(); // b's report: 2 in a row → benched
        again.release();
        await waitFor(() => benched.length === 2, 3000, 'both workers to hear of the bench');
        expect(benched.sort()).toEqual([`a:${P[0]}:benched`, `b:${P[0]}:benched`]);
        const stats = await proxyStats(a, P[0]!);
        expect(stats).toMatchObject({ state: 'benched', errors: 2, timesBenched: 1 });
        expect(Date.parse(stats.benchedUntil!)).toBeGreaterThan(Date.now() + 10_000);
        // New sessions (minted by either worker) go to the other proxies only.
        for (let i = 0; i < 4; i++) {
            expect((await a.addSession()).proxyUrl).not.toBe(P[0]);
            expect((await b.addSession()).proxyUrl).not.toBe(P[0]);
        }
        // Sessions bound to the benched proxy are retired when met, never handed out.
        const seen = new Set<string | undefined>();
        const leases = [];
        for (let i = 0; i < 8; i++) leases.push(await a.acquire());
        for (const lease of leases) seen.add(lease.proxyUrl);
        for (const lease of leases) lease.release();
        expect(seen.has(P[0])).toBe(false);
        expect((await a.fetchStats()).retiredByReason.proxyBenched).toBeGreaterThanOrEqual(1);
    });

    it('after the bench: probation with one session at a time, healthy again after a success', async () => {
        const poolId = uniquePoolId('probation');
        const options = {
            maxPoolSize: 5,
            proxyConfiguration: { proxyUrls: [P[0]!] },
            proxyBanThreshold: 1,
            proxyBenchSecs: 0.2,
            proxyMaxBenchSecs: 0.2,
            random: () => 0, // bench = half of proxyBenchSecs
        };
        const a = await fx.pool(poolId, options);
        const b = await fx.pool(poolId, options);
        const revived: string[] = [];
        a.on('proxyRevived', (proxy) => revived.push(`a:${proxy.state}`));
        b.on('proxyRevived', (proxy) => revived.push(`b:${proxy.state}`));
        const first = await a.acquire();
        first.session.markBad();
        first.release(); // benched; the session is burned with it
        const onProbation = await a.acquire({ timeoutSecs: 3 }); // waits for the bench to end, then mints
        expect(onProbation.session.id).not.toBe(first.session.id);
        await waitFor(() => revived.length === 2, 3000, 'both workers to hear of the revival');
        expect(revived.sort()).toEqual(['a:probation', 'b:probation']);
        expect((await proxyStats(b, P[0]!)).state).toBe('probation');
        // On probation the proxy takes one session at a time: b can neither share the fresh one nor mint another.
        await expect(b.acquire({ timeoutSecs: 0.3 })).rejects.toThrow(SessionPoolTimeoutError);
        onProbation.session.markGood();
        onProbation.release();
        expect((await proxyStats(b, P[0]!)).state).toBe('healthy');
        const next = [await b.acquire(), await b.acquire()];
        expect(next.every((lease) => lease.proxyUrl === P[0])).toBe(true);
        for (const lease of next) lease.release();
    });

    it('new sessions go to the proxy with the fewest live sessions, whoever mints them', async () => {
        const poolId = uniquePoolId('spread');
        const options = { maxPoolSize: 12, proxyConfiguration: { proxyUrls: P } };
        const a = await fx.pool(poolId, options);
        const b = await fx.pool(poolId, options);
        for (let i = 0; i < 3; i++) {
            await a.addSession();
            await b.addSession();
        }
        const stats = (await a.fetchStats()).proxies;
        expect(stats.map((proxy) => [proxy.url, proxy.activeSessions, proxy.sessionsCreated])).toEqual(P.map((url) => [url, 2, 2]));
    });

    it('a rate limit cools the session and its proxy down for every worker', async () => {
        const poolId = uniquePoolId('cool');
        const options = { maxPoolSize: 6, proxyConfiguration: { proxyUrls: [P[0]!, P[1]!] } };
        const a = await fx.pool(poolId, options);
        const b = await fx.pool(poolId, options);
        for (let i = 0; i < 2; i++) {
            await a.addSession();
            await b.addSession();
        }
        const lease = await leaseOnProxy(a, P[0]!);
        const cooled = lease.session.id;
        lease.session.coolDown(800, 429);
        expect(lease.session.isCoolingDown()).toBe(true);
        lease.release();
        const cooledAt = Date.now();
        await a.fetchStats();
        // While the proxy cools, b gets no session on it, and mints none on it.
        const during: string[] = [];
        while (Date.now() - cooledAt < 500) {
            const next = await b.acquire({ timeoutSecs: 2 });
            during.push(next.proxyUrl!);
            next.release();
            await sleep(20);
        }
        expect(during.length).toBeGreaterThan(5);
        expect(during.every((url) => url === P[1])).toBe(true);
        expect((await proxyStats(b, P[0]!)).cooldownUntil).toBeDefined();
        // The cooled session itself: a pinned acquire in the other worker waits for the end of its cooldown.
        const pinned = await b.acquire({ sessionId: cooled, timeoutSecs: 3 });
        expect(Date.now() - cooledAt).toBeGreaterThanOrEqual(790);
        pinned.release();
        expect((await proxyStats(b, P[0]!)).rateLimits).toBe(1);
    });

    it('the rate-limit backoff (no Retry-After) grows with the rate limits of all workers', async () => {
        const poolId = uniquePoolId('streak');
        const options = { maxPoolSize: 4, proxyConfiguration: { proxyUrls: [P[0]!] }, rateLimitBackoffSecs: 0.05, random: () => 0 };
        const a = await fx.pool(poolId, options);
        const b = await fx.pool(poolId, options);
        const first = await a.acquire();
        first.session.coolDown(undefined, 429);
        first.release();
        await sleep(60);
        const second = await b.acquire({ timeoutSecs: 2 });
        second.session.coolDown(undefined, 429);
        second.release();
        await b.fetchStats();
        const route = await redis.hgetall(`${keyPrefix(poolId)}px:${sha1(P[0]!)}`);
        expect(route).toMatchObject({ rl: '2', rls: '2' });
        // a markGood on the route resets the streak
        const third = await a.acquire({ timeoutSecs: 3 });
        third.session.markGood();
        third.release();
        await a.fetchStats();
        expect(await redis.hget(`${keyPrefix(poolId)}px:${sha1(P[0]!)}`, 'rls')).toBe('0');
    });

    it('with newUrlFunction, a benched proxy it names is refused and the function is asked again', async () => {
        const poolId = uniquePoolId('function');
        let calls = 0;
        const options = {
            maxPoolSize: 10,
            proxyBanThreshold: 1,
            proxyConfiguration: { newUrlFunction: () => P[calls++ % 2]! },
        };
        const a = await fx.pool(poolId, options);
        const b = await fx.pool(poolId, options);
        const first = await a.acquire(); // on P[0]
        expect(first.proxyUrl).toBe(P[0]);
        first.session.markBad();
        first.release();
        await waitFor(async () => (await proxyStats(b, P[0]!))?.state === 'benched', 3000, 'the bench');
        for (let i = 0; i < 4; i++) expect((await b.addSession()).proxyUrl).toBe(P[1]);
    });
});
