import { afterEach, describe, expect, it } from '@jest/globals';
import {
    MemorySessionStore,
    type ProxyStats,
    type RetireReason,
    type Session,
    type SessionLease,
    SessionPool,
    type SessionPoolOptions,
    SessionPoolTimeoutError,
    type SessionReuseStrategy,
    type SessionStore,
    SessionUnavailableError,
} from '@sessionkit/core';
import { MemorySharedSessionStore } from '@sessionkit/core/spi';
import { Fixture, quietLog, sleep, uniquePoolId, waitFor } from './helpers.js';

// One specification of SessionPool, run against every backend: the in-process one, a remote-like one in memory
// (the shared backend over an in-process store: asynchronous, records serialised) and the Redis one. What a
// caller can see must not depend on where the sessions live (except timing: a shared pool writes in the
// background, so the spec reads pool-wide figures with fetchStats(), which also waits for those writes).

interface Backend {
    name: string;
    /** Pools opened on one store are workers of one shared pool. */
    shared: boolean;
    /** Where one pool's state lives; a second pool opened on it sees the first one's sessions. */
    newStore(): SessionStore;
    open(store: SessionStore, options?: SessionPoolOptions): Promise<SessionPool>;
}

const fx = new Fixture();
const memoryPools: SessionPool[] = [];
afterEach(async () => {
    for (const pool of memoryPools.splice(0)) await pool.teardown();
    await fx.cleanup();
});

const BACKENDS: Backend[] = [
    {
        name: 'memory',
        shared: false,
        newStore: () => new MemorySessionStore(),
        open: async (store, options = {}) => {
            const pool = await SessionPool.open({ store, log: quietLog(), ...options });
            memoryPools.push(pool);
            return pool;
        },
    },
    {
        // The shared backend's code path (session cache, background writes, merged cookies) without Redis.
        name: 'remote-like (in memory)',
        shared: true,
        newStore: () => new MemorySharedSessionStore(),
        open: async (store, options = {}) => {
            const pool = new SessionPool({ store, log: quietLog(), ...options });
            memoryPools.push(pool);
            await pool.initialize();
            return pool;
        },
    },
    {
        name: 'redis',
        shared: true,
        newStore: () => fx.store(uniquePoolId('spec')),
        open: async (store, options = {}) => {
            const pool = new SessionPool({ store, log: quietLog(), ...options });
            fx.pools.push(pool);
            await pool.initialize();
            return pool;
        },
    },
];

const P = 'http://127.0.0.2:8000';

describe.each(BACKENDS)('SessionPool on the $name backend', (backend) => {
    const open = (options: SessionPoolOptions = {}) => backend.open(backend.newStore(), options);

    describe('leases', () => {
        it('reuses an idle session before minting a new one', async () => {
            const pool = await open({ maxPoolSize: 10 });
            const first = await pool.acquire();
            first.session.markGood();
            first.release();
            await pool.fetchStats();
            const second = await pool.acquire();
            expect(second.session.id).toBe(first.session.id);
            second.release();
            expect((await pool.fetchStats()).sessionsCreated).toBe(1);
        });

        it('leases are exclusive by default: concurrent acquires get different sessions', async () => {
            const pool = await open({ maxPoolSize: 10 });
            const warm = await pool.acquire();
            warm.session.markGood();
            warm.release();
            await pool.fetchStats();
            const a = await pool.acquire();
            const b = await pool.acquire();
            expect(a.session.id).not.toBe(b.session.id);
            a.release();
            b.release();
        });

        it('with maxConcurrencyPerSession 2 a warm session is shared, a fresh one is held for its creator', async () => {
            const pool = await open({ maxPoolSize: 10, maxConcurrencyPerSession: 2 });
            const fresh = await pool.acquire();
            const other = await pool.acquire(); // the fresh session has no cookie yet: not shared
            expect(other.session.id).not.toBe(fresh.session.id);
            other.release();
            fresh.session.markGood();
            fresh.release();
            await pool.fetchStats();
            const leases: SessionLease[] = [];
            for (let i = 0; i < 4; i++) leases.push(await pool.acquire());
            const perSession = new Map<string, number>();
            for (const lease of leases) perSession.set(lease.session.id, (perSession.get(lease.session.id) ?? 0) + 1);
            expect(Math.max(...perSession.values())).toBe(2); // shared, never beyond the limit
            expect(perSession.size).toBe(2);
            for (const lease of leases) lease.release();
        });

        it('release() is idempotent', async () => {
            const pool = await open();
            const lease = await pool.acquire();
            expect(lease.release()).toBe(true);
            expect(lease.release()).toBe(false);
            expect(lease.released).toBe(true);
            expect((await pool.fetchStats()).activeLeases).toBe(0);
        });
    });

    describe('waiting', () => {
        it('waits for a release when every session is leased and the pool is full', async () => {
            const pool = await open({ maxPoolSize: 1 });
            const held = await pool.acquire();
            const waiting = pool.acquire({ timeoutSecs: 5 });
            await sleep(50);
            expect(pool.waitingCount).toBe(1);
            held.session.markGood();
            held.release();
            const lease = await waiting;
            expect(lease.session.id).toBe(held.session.id);
            expect(pool.waitingCount).toBe(0);
            lease.release();
        });

        it('times out with SessionPoolTimeoutError saying why, and counts it', async () => {
            const pool = await open({ maxPoolSize: 1 });
            const held = await pool.acquire();
            const error = await pool.acquire({ timeoutSecs: 0.2 }).catch((caught: unknown) => caught);
            expect(error).toBeInstanceOf(SessionPoolTimeoutError);
            expect((error as Error).message).toMatch(/^Timed out after [\d.]+ s waiting for a free session.*1 of 1 sessions leased.*maxPoolSize 1/);
            expect(pool.waitingCount).toBe(0);
            expect(pool.getStats().acquireTimeouts).toBe(1);
            held.release();
        });

        it('an aborted acquire rejects with the signal\'s reason and leaves the queue', async () => {
            const pool = await open({ maxPoolSize: 1 });
            const held = await pool.acquire();
            const controller = new AbortController();
            const waiting = pool.acquire({ signal: controller.signal, timeoutSecs: 5 });
            await sleep(20);
            controller.abort(new Error('the request was cancelled'));
            await expect(waiting).rejects.toThrow('the request was cancelled');
            expect(pool.waitingCount).toBe(0);
            await expect(pool.acquire({ signal: controller.signal })).rejects.toThrow('the request was cancelled');
            held.release();
            const next = await pool.acquire({ timeoutSecs: 5 }); // the aborted waiter did not take the session
            next.release();
        });

        it('teardown rejects the waiters', async () => {
            const pool = await open({ maxPoolSize: 1 });
            await pool.acquire();
            const waiting = pool.acquire({ timeoutSecs: 5 });
            await sleep(20);
            const rejected = expect(waiting).rejects.toThrow(/torn down/);
            await pool.teardown();
            await rejected;
        });
    });

    describe('pinned acquire', () => {
        it('leases that session, waiting while it is leased', async () => {
            const pool = await open({ maxPoolSize: 5 });
            const first = await pool.acquire();
            const id = first.session.id;
            const pinned = pool.acquire({ sessionId: id, timeoutSecs: 5 });
            await sleep(50);
            first.session.markGood();
            first.release();
            const lease = await pinned;
            expect(lease.session.id).toBe(id);
            lease.release();
        });

        it('fails with SessionUnavailableError for an unknown session, or one retired while waiting', async () => {
            const pool = await open({ maxPoolSize: 5 });
            await expect(pool.acquire({ sessionId: 'no-such-session' })).rejects.toThrow(SessionUnavailableError);
            const first = await pool.acquire();
            const pinned = pool.acquire({ sessionId: first.session.id, timeoutSecs: 5 });
            await sleep(50);
            first.session.retire();
            first.release();
            await expect(pinned).rejects.toThrow(SessionUnavailableError);
        });
    });

    describe('cooldown', () => {
        it('a session cooled down with Retry-After is not handed out before it ends', async () => {
            const pool = await open({ maxPoolSize: 1 });
            const lease = await pool.acquire();
            const id = lease.session.id;
            lease.session.coolDown(400);
            expect(lease.session.isCoolingDown()).toBe(true);
            lease.release();
            const started = Date.now();
            const next = await pool.acquire({ timeoutSecs: 5 });
            expect(next.session.id).toBe(id);
            expect(Date.now() - started).toBeGreaterThanOrEqual(300);
            next.release();
            expect((await pool.fetchStats()).rateLimited).toBe(1);
        });

        it('a rate limit without Retry-After backs off (rateLimitBackoffSecs)', async () => {
            const pool = await open({ maxPoolSize: 1, rateLimitBackoffSecs: 0.2, rateLimitMaxBackoffSecs: 0.2 });
            const lease = await pool.acquire();
            expect(lease.session.retireOnBlockedStatusCodes(429)).toBe(false);
            expect(lease.session.cooldownUntilMs).toBeGreaterThan(Date.now());
            lease.release();
            const started = Date.now();
            (await pool.acquire({ timeoutSecs: 5 })).release();
            expect(Date.now() - started).toBeGreaterThanOrEqual(50);
        });

        it('a cooldown longer than maxCooldownSecs is capped', async () => {
            const pool = await open({ maxPoolSize: 1, maxCooldownSecs: 0.2 });
            const lease = await pool.acquire();
            lease.session.coolDown(3_600_000);
            lease.release();
            const next = await pool.acquire({ timeoutSecs: 3 });
            next.release();
        });
    });

    describe('retirement', () => {
        it('is terminal and happens once: one event, one count, never handed out again', async () => {
            const pool = await open({ maxPoolSize: 2 });
            const retired: string[] = [];
            pool.on('sessionRetired', (session, reason) => retired.push(`${session.id}:${reason}`));
            const lease = await pool.acquire();
            const { session } = lease;
            session.retire();
            session.retire('blocked');
            expect(pool.retireSession(session)).toBe(false);
            session.markGood();
            lease.release();
            expect(retired).toEqual([`${session.id}:manual`]);
            expect(session.usageCount).toBe(1); // retire() counts the use it ends, as Crawlee's does
            const stats = await pool.fetchStats();
            expect(stats.sessionsRetired).toBe(1);
            expect(stats.retiredByReason.manual).toBe(1);
            for (let i = 0; i < 3; i++) {
                const next = await pool.acquire();
                expect(next.session.id).not.toBe(session.id);
                next.release();
            }
        });

        const limits: [string, RetireReason, (session: Session) => void][] = [
            ['maxUsageCount uses', 'maxUsageCount', (session) => session.markGood()],
            ['maxErrorScore errors', 'errorScore', (session) => session.markBad()],
            ['a blocked status code', 'blocked', (session) => session.retireOnBlockedStatusCodes(403)],
        ];
        it.each(limits)('after %s the session is retired (%s)', async (_what, reason, use) => {
            const pool = await open({ maxPoolSize: 2, sessionOptions: { maxUsageCount: 3, maxErrorScore: 2 } });
            const lease = await pool.acquire();
            for (let i = 0; i < 3 && !lease.session.retired; i++) use(lease.session);
            lease.release();
            expect(lease.session.retireReason).toBe(reason);
            expect((await pool.fetchStats()).retiredByReason[reason]).toBe(1);
        });
    });

    describe('learnUsageLimit', () => {
        /** One visitor of a site that blocks after `budget` pages: uses the session until blocked or retired. */
        async function visit(pool: SessionPool, budget: number): Promise<{ blocked: boolean; uses: number }> {
            const lease = await pool.acquire({ timeoutSecs: 5 });
            const { session } = lease;
            let uses = 0;
            try {
                for (;;) {
                    if (session.usageCount >= budget) {
                        session.retireOnBlockedStatusCodes(403);
                        return { blocked: true, uses };
                    }
                    session.markGood();
                    uses += 1;
                    if (session.retired) return { blocked: false, uses };
                }
            } finally {
                lease.release();
                await pool.fetchStats();
            }
        }

        it('learns the budget from blocks at a consistent usage count and retires sessions as they reach it', async () => {
            const pool = await open({ maxPoolSize: 5 });
            for (let i = 0; i < 3; i++) expect(await visit(pool, 7)).toEqual({ blocked: true, uses: 7 });
            await waitFor(async () => (await pool.fetchStats()).learnedUsageLimit === 7, 3000, 'the learned limit');
            for (let i = 0; i < 4; i++) expect(await visit(pool, 7)).toEqual({ blocked: false, uses: 7 });
            const stats = await pool.fetchStats();
            expect(stats.retiredByReason).toMatchObject({ blocked: 3, maxUsageCount: 4 });
            expect(pool.getStats().learnedUsageLimit).toBe(7);
        });

        it('learns nothing when turned off, or from blocks on first uses', async () => {
            const off = await open({ maxPoolSize: 5, learnUsageLimit: false });
            for (let i = 0; i < 4; i++) expect((await visit(off, 5)).blocked).toBe(true);
            expect((await off.fetchStats()).learnedUsageLimit).toBeUndefined();
            const early = await open({ maxPoolSize: 5 });
            for (let i = 0; i < 4; i++) expect((await visit(early, 1)).blocked).toBe(true);
            expect((await early.fetchStats()).learnedUsageLimit).toBeUndefined();
        });
    });

    describe('proxy health', () => {
        // One scenario per rule: what the sessions of one proxy report, and the proxy's state afterwards.
        type Report = 'good' | 'bad' | 'handlerBug' | 'blocked' | 'rateLimited';
        const scenarios: [string, Report[], Partial<ProxyStats>][] = [
            ['banThreshold failures in a row bench the proxy', ['bad', 'bad'], { state: 'benched', timesBenched: 1, errors: 2 }],
            ['a success between failures resets the streak', ['bad', 'good', 'bad'], { state: 'healthy', timesBenched: 0, successes: 1 }],
            ['failures in the handler never count against the proxy', ['handlerBug', 'handlerBug', 'handlerBug'], { state: 'healthy', errors: 0 }],
            ['blocks count like errors', ['blocked', 'blocked'], { state: 'benched', timesBenched: 1, blocks: 2 }],
            ['rate limits are no failures', ['rateLimited', 'rateLimited', 'rateLimited'], { state: 'healthy', timesBenched: 0, rateLimits: 3 }],
        ];
        it.each(scenarios)('%s', async (_rule, reports, expected) => {
            const pool = await open({ maxPoolSize: 10, proxyConfiguration: { proxyUrls: [P] }, proxyBanThreshold: 2, rateLimitBackoffSecs: 0.01, rateLimitMaxBackoffSecs: 0.01 });
            for (const report of reports) {
                const lease = await pool.acquire({ timeoutSecs: 5 });
                expect(lease.proxyUrl).toBe(P);
                const { session } = lease;
                if (report === 'good') session.markGood();
                else if (report === 'bad') session.markBad();
                else if (report === 'handlerBug') session.markBad({ blameProxy: false });
                else if (report === 'blocked') session.retireOnBlockedStatusCodes(403);
                else session.coolDown(10);
                lease.release();
                await pool.fetchStats();
                await sleep(15);
            }
            const proxy = (await pool.fetchStats()).proxies.find((stats) => stats.url === P);
            expect(proxy).toMatchObject(expected);
        });

        it('a benched proxy burns its sessions, takes no new ones, and comes back on probation until a success', async () => {
            const proxies = [P, 'http://127.0.0.3:8000'];
            const pool = await open({ maxPoolSize: 10, proxyConfiguration: { proxyUrls: proxies }, proxyBanThreshold: 1, proxyBenchSecs: 0.3, proxyMaxBenchSecs: 0.3 });
            const benched: string[] = [];
            pool.on('proxyBenched', (proxy) => benched.push(proxy.url));
            let onP = await pool.acquire();
            while (onP.proxyUrl !== P) {
                onP.session.markGood();
                onP.release();
                onP = await pool.acquire();
            }
            const burned = onP.session;
            burned.markBad();
            onP.release();
            await waitFor(() => benched.includes(P), 3000, 'the bench');
            expect((await pool.fetchStats()).proxies.find((proxy) => proxy.url === P)?.state).toBe('benched');
            for (let i = 0; i < 3; i++) expect((await pool.addSession()).proxyUrl).toBe(proxies[1]);
            await sleep(400);
            // Back on probation: a session may be minted there again; its success makes the proxy healthy.
            let lease: SessionLease | undefined;
            const others: SessionLease[] = [];
            for (let i = 0; i < 10 && !lease; i++) {
                const next = await pool.acquire({ timeoutSecs: 5 });
                if (next.proxyUrl === P) lease = next;
                else others.push(next);
            }
            for (const other of others) other.release();
            expect(lease).toBeDefined();
            expect(lease!.session.id).not.toBe(burned.id);
            lease!.session.markGood();
            lease!.release();
            expect((await pool.fetchStats()).proxies.find((proxy) => proxy.url === P)?.state).toBe('healthy');
        });
    });

    describe('events, stats and state', () => {
        it('announces each new session once and counts leases and marks', async () => {
            const pool = await open({ maxPoolSize: 3 });
            const created: string[] = [];
            pool.on('sessionCreated', (session) => created.push(session.id));
            const a = await pool.acquire();
            const b = await pool.acquire();
            a.session.markGood();
            b.session.markBad();
            a.release();
            b.release();
            const added = await pool.addSession();
            expect(created).toEqual([a.session.id, b.session.id, added.id]);
            const stats = await pool.fetchStats();
            expect(stats).toMatchObject({ maxPoolSize: 3, sessions: 3, sessionsCreated: 3, leasesGranted: 2, markedGood: 1, markedBad: 1, activeLeases: 0, waitingAcquires: 0 });
            expect(pool.getStats().maxPoolSize).toBe(3);
        });

        it('a pool opened again on the same store finds the sessions, their cookies and counters', async () => {
            const store = backend.newStore();
            const first = await backend.open(store, { maxPoolSize: 5 });
            const lease = await first.acquire();
            lease.session.setCookie('visitor=42; Path=/', 'http://shop.example.com/');
            lease.session.markGood();
            const id = lease.session.id;
            lease.release();
            await first.teardown();
            const second = await backend.open(store, { maxPoolSize: 5 });
            const again = await second.acquire({ sessionId: id, timeoutSecs: 5 });
            expect(again.session.getCookieString('http://shop.example.com/')).toBe('visitor=42');
            expect(again.session.usageCount).toBe(1);
            again.release();
        });

        it('refuses to add a session whose id is taken, and a full pool says so', async () => {
            const pool = await open({ maxPoolSize: 2 });
            await pool.addSession({ id: 'fixed' });
            await expect(pool.addSession({ id: 'fixed' })).rejects.toThrow('Option "id" is taken by a session already in the pool');
            await pool.addSession();
            await expect(pool.addSession()).rejects.toThrow(/pool is full \(maxPoolSize 2\)/);
        });
    });
});

/** A seeded random source (mulberry32): the 'random' strategy's picks are the same on every run. */
function seededRandom(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
        state = (state + 0x6d2b79f5) >>> 0;
        let t = state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

const STRATEGIES: SessionReuseStrategy[] = ['use-until-failure', 'round-robin', 'random'];

// A shared store applies the strategy in its atomic acquire: the same behaviour, pool-wide.
describe.each(BACKENDS)('sessionReuseStrategy on the $name backend', (backend) => {
    const open = (options: SessionPoolOptions = {}) => backend.open(backend.newStore(), { random: seededRandom(15), ...options });

    /** `count` sequential acquire + markGood + release: the ids handed out, in order. */
    async function useInTurn(pool: SessionPool, count: number): Promise<string[]> {
        const ids: string[] = [];
        for (let i = 0; i < count; i++) {
            const lease = await pool.acquire({ timeoutSecs: 5 });
            ids.push(lease.session.id);
            lease.session.markGood();
            lease.release();
        }
        return ids;
    }

    it("'use-until-failure' (the default) keeps reusing one session", async () => {
        const pool = await open({ maxPoolSize: 5 });
        const ids = await useInTurn(pool, 12);
        expect(new Set(ids).size).toBe(1);
        expect((await pool.fetchStats()).sessionsCreated).toBe(1);
    });

    it("'round-robin' mints up to maxPoolSize, then cycles through the sessions in order", async () => {
        const pool = await open({ maxPoolSize: 5, sessionReuseStrategy: 'round-robin' });
        const ids = await useInTurn(pool, 17);
        expect(new Set(ids.slice(0, 5)).size).toBe(5);
        for (let i = 5; i < ids.length; i++) expect(ids[i]).toBe(ids[i - 5]);
        expect((await pool.fetchStats()).sessionsCreated).toBe(5);
    });

    it("'round-robin' takes sessions released at once (within one ms) in their release order", async () => {
        const pool = await open({ maxPoolSize: 5, sessionReuseStrategy: 'round-robin' });
        const filled: SessionLease[] = [];
        for (let i = 0; i < 5; i++) filled.push(await pool.acquire());
        const order = [3, 0, 4, 1, 2].map((i) => filled[i]!);
        for (const lease of order) {
            lease.session.markGood();
            lease.release();
        }
        expect(await useInTurn(pool, 5)).toEqual(order.map((lease) => lease.session.id));
    });

    it("'random' mints up to maxPoolSize, then spreads requests over all of them", async () => {
        const pool = await open({ maxPoolSize: 5, sessionReuseStrategy: 'random' });
        const ids = await useInTurn(pool, 60);
        expect(new Set(ids.slice(0, 5)).size).toBe(5);
        const reused = ids.slice(5);
        expect(new Set(reused)).toEqual(new Set(ids.slice(0, 5)));
        // Not a disguised round-robin: some session comes up again before all the others have had a turn.
        expect(reused.some((id, i) => i >= 1 && reused.slice(Math.max(0, i - 4), i).includes(id))).toBe(true);
        expect((await pool.fetchStats()).sessionsCreated).toBe(5);
    });

    it.each(STRATEGIES)("under '%s' a cooling session and a leased one are never handed out", async (strategy) => {
        // A cooldown rests the session's whole route: one proxy per session, so it rests that session alone.
        const proxyUrls = [0, 1, 2, 3, 4].map((i) => `http://127.0.0.2:${8000 + i}`);
        const pool = await open({ maxPoolSize: 5, sessionReuseStrategy: strategy, proxyConfiguration: { proxyUrls } });
        const filled: SessionLease[] = [];
        for (let i = 0; i < 5; i++) filled.push(await pool.acquire());
        expect(new Set(filled.map((lease) => lease.session.proxyUrl)).size).toBe(5);
        for (const lease of filled) {
            lease.session.markGood();
            lease.release();
        }
        const cooled = await pool.acquire();
        cooled.session.coolDown(60_000);
        cooled.release();
        const held = await pool.acquire();
        const ids = await useInTurn(pool, 30);
        expect(ids).not.toContain(cooled.session.id);
        expect(ids).not.toContain(held.session.id);
        // Every strategy reuses the free sessions it has, least recently used first unless 'random': the other three.
        expect(new Set(ids).size).toBe(3);
        held.release();
        expect((await pool.fetchStats()).sessionsCreated).toBe(5);
    });

    it.each(STRATEGIES)("under '%s' a fresh session is held for its creator until its first use completes", async (strategy) => {
        const pool = await open({ maxPoolSize: 5, maxConcurrencyPerSession: 2, sessionReuseStrategy: strategy });
        const fresh = await pool.acquire();
        const other = await pool.acquire();
        expect(other.session.id).not.toBe(fresh.session.id);
        fresh.release();
        other.release();
    });
});

describe.each(BACKENDS.filter((backend) => backend.shared))('workers sharing one pool on the $name backend', (backend) => {
    const URL = 'http://shop.example.com/';

    it('concurrent leases of one session merge their cookie changes (no last release wins)', async () => {
        const store = backend.newStore();
        const options = { maxPoolSize: 1, maxConcurrencyPerSession: 2 };
        const a = await backend.open(store, options);
        const b = await backend.open(store, options);
        const first = await a.acquire();
        first.session.setCookie('base=1; Path=/', URL);
        first.session.setCookie('gone=1; Path=/', URL);
        first.session.markGood();
        first.release();
        await a.fetchStats();
        const leaseA = await a.acquire();
        const leaseB = await b.acquire();
        expect(leaseB.session.id).toBe(leaseA.session.id);
        leaseA.session.setCookie('a=1; Path=/', URL);
        leaseA.session.setCookie('base=2; Path=/', URL);
        leaseB.session.setCookie('b=1; Path=/', URL);
        leaseB.session.setCookie('gone=; Path=/; Max-Age=0', URL);
        leaseA.release();
        await a.fetchStats();
        leaseB.release();
        await b.fetchStats();
        for (const pool of [a, b, await backend.open(store, options)]) {
            const lease = await pool.acquire();
            expect(lease.session.getCookieString(URL).split('; ').sort()).toEqual(['a=1', 'b=1', 'base=2']);
            lease.release();
            await pool.fetchStats();
        }
    });

    it('a retirement by one worker is heard by the others, and counted once', async () => {
        const store = backend.newStore();
        const a = await backend.open(store, { maxPoolSize: 2 });
        const b = await backend.open(store, { maxPoolSize: 2 });
        const heard: string[] = [];
        b.on('sessionRetired', (session, reason) => heard.push(`${session.id}:${reason}`));
        const lease = await a.acquire();
        lease.session.markGood();
        lease.release();
        await a.fetchStats();
        const seen = await b.getSession(lease.session.id);
        expect(seen?.id).toBe(lease.session.id);
        lease.session.retire();
        await waitFor(() => heard.length === 1, 3000, 'the retirement to reach the other worker');
        expect(heard).toEqual([`${lease.session.id}:manual`]);
        expect(seen?.retired).toBe(true);
        const stats = await b.fetchStats();
        expect(stats.sessionsRetired).toBe(1);
        expect(await b.getSession(lease.session.id)).toBeUndefined();
    });
});
