import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import type { Session, SessionPool } from '@sessionkit/core';
import type { SharedPoolConnection } from '@sessionkit/core/spi';
import { Fixture, keyPrefix, rawClient, uniquePoolId, waitFor, connectionOfPool } from './helpers.js';

const fx = new Fixture();
let redis: Redis;
beforeAll(() => {
    redis = rawClient();
});
afterEach(() => fx.cleanup());
afterAll(() => redis.disconnect());

function connectionOf(pool: SessionPool): SharedPoolConnection {
    return connectionOfPool(pool);
}

async function sessionField(poolId: string, id: string, field: string): Promise<string | null> {
    return redis.hget(`${keyPrefix(poolId)}s:${id}`, field);
}

/** Two workers (two pools, two connections) on one pool id. */
async function twoWorkers(poolId: string, options: Parameters<Fixture['pool']>[1]): Promise<[SessionPool, SessionPool]> {
    return [await fx.pool(poolId, options), await fx.pool(poolId, options)];
}

/** A session used once (warm: it may be shared by several leases). */
async function warmSession(pool: SessionPool): Promise<Session> {
    const lease = await pool.acquire();
    lease.session.markGood();
    lease.release();
    return lease.session;
}

describe('concurrent leases of one session merge their cookie changes', () => {
    const URL = 'http://shop.example.com/';

    it('cookies set, changed and removed by two workers\' leases all reach the store (no last release wins)', async () => {
        const poolId = uniquePoolId('merge');
        const [a, b] = await twoWorkers(poolId, { maxPoolSize: 1, maxConcurrencyPerSession: 2 });
        const first = await a.acquire();
        first.session.setCookie('base=1; Path=/', URL);
        first.session.setCookie('gone=1; Path=/', URL);
        first.session.markGood();
        first.release();
        await a.fetchStats();
        const leaseA = await a.acquire();
        const leaseB = await b.acquire();
        expect(leaseB.session.id).toBe(leaseA.session.id); // one session, two leases, two workers
        expect(leaseB.session.getCookieString(URL)).toBe('base=1; gone=1');
        leaseA.session.setCookie('a=1; Path=/', URL);
        leaseA.session.setCookie('base=2; Path=/', URL);
        leaseB.session.setCookie('b=1; Path=/', URL);
        leaseB.session.setCookie('gone=; Path=/; Max-Age=0', URL);
        leaseA.release();
        await a.fetchStats();
        leaseB.release();
        await b.fetchStats();
        const expected = ['a=1', 'b=1', 'base=2'];
        const sorted = (header: string) => header.split('; ').sort();
        // Both workers' next leases (and a third worker) see every change.
        for (const pool of [a, b, await fx.pool(poolId, { maxPoolSize: 1, maxConcurrencyPerSession: 2 })]) {
            const lease = await pool.acquire();
            expect(sorted(lease.session.getCookieString(URL))).toEqual(expected);
            lease.release();
            await pool.fetchStats();
        }
    });
});

describe('counters travel as deltas, applied atomically in Redis', () => {
    it('concurrent marks of two workers on one session add up exactly', async () => {
        const poolId = uniquePoolId('deltas');
        const options = { maxPoolSize: 1, maxConcurrencyPerSession: 16, sessionOptions: { maxUsageCount: 1_000_000, maxErrorScore: 1_000_000, errorScoreDecrement: 0 } };
        const [a, b] = await twoWorkers(poolId, options);
        const session = await warmSession(a);
        const run = async (pool: SessionPool, good: boolean) => {
            const loop = async () => {
                for (let i = 0; i < 25; i++) {
                    const lease = await pool.acquire();
                    if (good) lease.session.markGood();
                    else lease.session.markBad();
                    await new Promise((resolve) => setImmediate(resolve));
                    lease.release();
                }
            };
            await Promise.all(Array.from({ length: 8 }, loop));
        };
        await Promise.all([run(a, true), run(b, false)]);
        await a.fetchStats();
        await b.fetchStats(); // both connections have flushed their releases
        expect(Number(await sessionField(poolId, session.id, 'u'))).toBe(1 + 200 + 200);
        expect(Number(await sessionField(poolId, session.id, 'ec'))).toBe(200);
        expect(Number(await sessionField(poolId, session.id, 'e'))).toBe(200);
        const stats = await a.fetchStats();
        expect(stats.markedGood).toBe(201);
        expect(stats.markedBad).toBe(200);
        expect(stats.leasesGranted).toBe(401);
        expect(stats.activeLeases).toBe(0);
    });

    it('replays the marks of a lease in order, the error score clamped at 0 like a local session', async () => {
        const poolId = uniquePoolId('order');
        const [a, b] = await twoWorkers(poolId, { sessionOptions: { maxErrorScore: 10 } });
        const lease = await a.acquire();
        const { session } = lease;
        session.markBad(); // 1
        session.markGood(); // 0.5
        session.markGood(); // 0
        session.markGood(); // 0 (not -0.5)
        session.markBad(); // 1
        expect(session.errorScore).toBe(1);
        lease.release();
        const again = await b.acquire({ sessionId: session.id });
        expect(again.session.errorScore).toBe(1);
        expect(again.session.usageCount).toBe(5);
        expect(again.session.errorCount).toBe(2);
        again.release();
    });

    it('maxErrorScore is checked in Redis on the sum of all workers’ marks: retired once, heard by both', async () => {
        const poolId = uniquePoolId('errscore');
        const [a, b] = await twoWorkers(poolId, { maxPoolSize: 1, maxConcurrencyPerSession: 2, sessionOptions: { maxErrorScore: 2 } });
        const events: string[] = [];
        a.on('sessionRetired', (session, reason) => events.push(`a:${session.id}:${reason}`));
        b.on('sessionRetired', (session, reason) => events.push(`b:${session.id}:${reason}`));
        const { id } = await warmSession(a);
        const [la, lb] = [await a.acquire(), await b.acquire()];
        expect([la.session.id, lb.session.id]).toEqual([id, id]);
        la.session.markBad();
        lb.session.markBad();
        // Each worker's copy saw one error: below maxErrorScore, neither retires it by itself.
        expect([la.session.retired, lb.session.retired]).toEqual([false, false]);
        la.release();
        lb.release();
        await waitFor(() => events.length === 2, 3000, 'both workers to hear of the retirement');
        expect(events.sort()).toEqual([`a:${id}:errorScore`, `b:${id}:errorScore`]);
        expect(await sessionField(poolId, id, 'r')).toBe('errorScore');
        const stats = await a.fetchStats();
        expect(stats.sessionsRetired).toBe(1);
        expect(stats.retiredByReason.errorScore).toBe(1);
        expect(a.getStats().sessionsRetired + b.getStats().sessionsRetired).toBe(1); // counted by the worker whose release crossed it
        expect(stats.sessions).toBe(0);
    });

    it('maxUsageCount is checked in Redis on the sum of all workers’ uses', async () => {
        const poolId = uniquePoolId('usage');
        const [a, b] = await twoWorkers(poolId, { maxPoolSize: 1, maxConcurrencyPerSession: 2, sessionOptions: { maxUsageCount: 3 } });
        const { id } = await warmSession(a);
        const [la, lb] = [await a.acquire(), await b.acquire()];
        la.session.markGood();
        lb.session.markGood();
        la.release();
        lb.release();
        await waitFor(async () => (await sessionField(poolId, id, 'r')) === 'maxUsageCount', 3000, 'the retirement');
        await waitFor(() => la.session.retired && lb.session.retired, 3000, 'both copies to be retired');
        expect(Number(await sessionField(poolId, id, 'u'))).toBe(3);
        const next = await a.acquire();
        expect(next.session.id).not.toBe(id); // a used-up session is never handed out again
        next.release();
    });

    it('retires once: five workers retiring one session at the same time count one retirement', async () => {
        const poolId = uniquePoolId('once');
        const pools: SessionPool[] = [];
        for (let i = 0; i < 5; i++) pools.push(await fx.pool(poolId, { maxPoolSize: 3 }));
        const created = await pools[0]!.addSession();
        const copies = await Promise.all(pools.map((pool) => pool.getSession(created.id)));
        const events = pools.map(() => 0);
        pools.forEach((pool, index) => pool.on('sessionRetired', () => (events[index] = events[index]! + 1)));
        for (const copy of copies) copy!.retire('blocked');
        await Promise.all(pools.map((pool) => pool.fetchStats()));
        await waitFor(() => pools.reduce((sum, pool) => sum + pool.getStats().sessionsRetired, 0) === 1, 3000, 'the retirement to be counted');
        const stats = await pools[0]!.fetchStats();
        expect(stats.sessionsRetired).toBe(1);
        expect(stats.retiredByReason.blocked).toBe(1);
        expect(events).toEqual([1, 1, 1, 1, 1]); // every worker that knew the session heard of it once
        // retirement is terminal: a mark does not revive it anywhere
        copies[1]!.markGood();
        expect(copies[1]!.retired).toBe(true);
        expect(await pools[2]!.getSession(created.id)).toBeUndefined();
        expect(pools[3]!.retireSession(created.id)).toBe(false);
    });

    it('marks of a session used without a lease (getSession) are applied at once', async () => {
        const poolId = uniquePoolId('nolease');
        const [a, b] = await twoWorkers(poolId, { sessionOptions: { maxErrorScore: 10 } });
        const session = await a.getSession();
        session.markGood();
        session.markBad();
        session.markGood();
        session.setCookie('k=v; Path=/', 'http://example.com/');
        await waitFor(async () => Number(await sessionField(poolId, session.id, 'u')) === 3, 3000, 'the marks');
        await waitFor(async () => (await sessionField(poolId, session.id, 'jar'))?.includes('"k"'), 3000, 'the cookie');
        const copy = await b.getSession(session.id);
        expect(copy).toMatchObject({ usageCount: 3, errorCount: 1, errorScore: 0.5 });
        expect(copy!.getCookieString('http://example.com/')).toBe('k=v');
    });
});

describe('every update is idempotent: a re-sent call (after a reconnection) is applied once', () => {
    it('release, apply, coolDown and retire', async () => {
        const poolId = uniquePoolId('idem');
        const pool = await fx.pool(poolId, { sessionOptions: { maxUsageCount: 100 } });
        const connection = connectionOf(pool);
        const lease = await pool.acquire();
        expect(lease.leaseId).toEqual(expect.any(String));
        const id = lease.session.id;
        const update = { marks: 'g', random: 0.5, opId: 'op-1' };
        const first = await connection.release(lease.leaseId!, id, update);
        const second = await connection.release(lease.leaseId!, id, update);
        expect(first.duplicate).toBe(false);
        expect(second.duplicate).toBe(true);
        expect(Number(await sessionField(poolId, id, 'u'))).toBe(1);

        const applyUpdate = { marks: 'gg', random: 0.5, opId: 'op-2' };
        await connection.apply(id, applyUpdate);
        expect((await connection.apply(id, applyUpdate)).duplicate).toBe(true);
        expect(Number(await sessionField(poolId, id, 'u'))).toBe(3);

        const until = await connection.coolDown(id, 500, 0.5, 'op-3');
        expect(await connection.coolDown(id, 500, 0.5, 'op-3')).toBeCloseTo(until!, -1);
        expect((await connection.stats()).rateLimited).toBe(1);

        expect(await connection.retire(id, 'manual', 0.5, 'op-4')).toBe(true);
        expect(await connection.retire(id, 'manual', 0.5, 'op-4')).toBe(true); // the same call again: still "this call did it"
        expect(await connection.retire(id, 'manual', 0.5, 'op-5')).toBe(false); // another call: already retired
        expect((await connection.stats()).sessionsRetired).toBe(1);
        lease.release(); // the pool's own release of the lease already given back: a duplicate, ignored
        expect((await pool.fetchStats()).activeLeases).toBe(0);
    });
});
