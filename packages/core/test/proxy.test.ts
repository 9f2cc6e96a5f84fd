import { afterEach, describe, expect, it } from '@jest/globals';

import {
    ProxyConfiguration,
    type ProxyStats,
    type RetireReason,
    SessionPool,
    type SessionPoolOptions,
    SessionPoolTimeoutError,
} from '../src/index.js';
import { leaseOnProxy, quietLog, sleep } from './helpers.js';

// Fake proxies: the pool never connects to them.
const A = 'http://user:secret@127.0.0.2:8000';
/** How A appears in stats and events: its password masked. */
const A_SHOWN = 'http://user:***@127.0.0.2:8000';
const B = 'http://127.0.0.3:8000';
const C = 'http://127.0.0.4:8000';

const pools: SessionPool[] = [];

async function makePool(options: SessionPoolOptions = {}): Promise<SessionPool> {
    const pool = await SessionPool.open({
        persist: false,
        log: quietLog(),
        random: () => 0.5,
        proxyConfiguration: { proxyUrls: [A, B, C] },
        ...options,
    });
    pools.push(pool);
    return pool;
}

afterEach(async () => {
    for (const pool of pools.splice(0)) await pool.teardown();
});

function proxyStats(pool: SessionPool, url: string): ProxyStats {
    const shown = url === A ? A_SHOWN : url;
    const stats = pool.getStats().proxies.find((proxy) => proxy.url === shown);
    if (!stats) throw new Error(`no stats for ${url}`);
    return stats;
}

/** Blocks `count` sessions on `url` in a row (retire 'blocked'). */
async function blockOn(pool: SessionPool, url: string, count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
        const lease = await leaseOnProxy(pool, url);
        lease.session.retire('blocked');
        lease.release();
    }
}

/** Blocks `count` new sessions on `url` in a row, leasing each by id so that other sessions stay untouched. */
async function blockPinned(pool: SessionPool, url: string, count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
        const session = await pool.addSession({ proxyUrl: url });
        const lease = await pool.acquire({ sessionId: session.id });
        lease.session.retire('blocked');
        lease.release();
    }
}

describe('proxy assignment', () => {
    it('spreads sessions over proxies, fewest active sessions first', async () => {
        const pool = await makePool();
        expect(pool.getStats().proxies.map((proxy) => [proxy.url, proxy.state, proxy.activeSessions])).toEqual([
            [A_SHOWN, 'healthy', 0],
            [B, 'healthy', 0],
            [C, 'healthy', 0],
        ]);
        const leases = await Promise.all(Array.from({ length: 6 }, () => pool.acquire()));
        const perProxy = new Map<string, number>();
        for (const lease of leases) perProxy.set(lease.proxyUrl!, (perProxy.get(lease.proxyUrl!) ?? 0) + 1);
        expect(Object.fromEntries(perProxy)).toEqual({ [A]: 2, [B]: 2, [C]: 2 });
        for (const url of [A, B, C]) {
            expect(proxyStats(pool, url)).toMatchObject({ activeSessions: 2, sessionsCreated: 2, state: 'healthy' });
        }
        // Retire both sessions on B: the next new session goes to B.
        for (const lease of leases.filter((l) => l.proxyUrl === B)) lease.session.retire('blocked');
        for (const lease of leases) lease.release();
        const extra = await Promise.all(Array.from({ length: 5 }, () => pool.acquire()));
        const minted = extra.filter((lease) => lease.session.usageCount === 0 && !leases.some((old) => old.session === lease.session));
        expect(minted.map((lease) => lease.proxyUrl)).toEqual([B]);
        for (const lease of extra) lease.release();
    });

    it('counts a new session on its proxy as soon as the proxy is picked, so concurrent mints spread', async () => {
        const pool = await makePool();
        // B and C hold one busy session each; A has none.
        const onB = await pool.acquire({ sessionId: (await pool.addSession({ proxyUrl: B })).id });
        const onC = await pool.acquire({ sessionId: (await pool.addSession({ proxyUrl: C })).id });
        const leases = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()]);
        const onA = leases.filter((lease) => lease.proxyUrl === A).length;
        // A first (0 sessions), then all three are tied: A must not take all three.
        expect(onA).toBeGreaterThanOrEqual(1);
        expect(onA).toBeLessThanOrEqual(2);
        expect(pool.getStats().proxies.map((proxy) => proxy.activeSessions).sort()).toEqual([1, 2, 2]);
        for (const lease of [onB, onC, ...leases]) lease.release();
    });

    it('exposes proxy info on the lease', async () => {
        const pool = await makePool({ proxyConfiguration: { proxyUrls: [A] } });
        const lease = await pool.acquire();
        expect(lease.proxyUrl).toBe(A);
        expect(lease.session.proxyUrl).toBe(A);
        expect(lease.proxyInfo).toEqual({ url: A, protocol: 'http:', hostname: '127.0.0.2', port: 8000, username: 'user', password: 'secret' });
        lease.release();
        const direct = await SessionPool.open({ persist: false, log: quietLog() });
        pools.push(direct);
        const directLease = await direct.acquire();
        expect(directLease.proxyUrl).toBeUndefined();
        expect(directLease.proxyInfo).toBeUndefined();
        directLease.release();
    });

    it('accepts a ProxyConfiguration instance', async () => {
        const config = new ProxyConfiguration({ proxyUrls: [B] });
        const pool = await makePool({ proxyConfiguration: config });
        expect(pool.proxyConfiguration).toBe(config);
        const lease = await pool.acquire();
        expect(lease.proxyUrl).toBe(B);
        lease.release();
    });

    it('passes the new session id to newUrlFunction', async () => {
        const calls: (string | undefined)[] = [];
        const pool = await makePool({
            proxyConfiguration: {
                newUrlFunction: (sessionId) => {
                    calls.push(sessionId);
                    return `http://${sessionId}:pw@127.0.0.5:9000`;
                },
            },
        });
        const leases = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()]);
        expect(calls).toEqual(leases.map((lease) => lease.session.id));
        for (const lease of leases) {
            expect(lease.proxyUrl).toBe(`http://${lease.session.id}:pw@127.0.0.5:9000`);
            expect(lease.proxyInfo?.username).toBe(lease.session.id);
        }
        for (const lease of leases) lease.release();
        // Reuse does not ask for a new URL.
        (await pool.acquire()).release();
        expect(calls).toHaveLength(3);
    });

    it('a newUrlFunction returning nothing means a direct connection', async () => {
        const pool = await makePool({ proxyConfiguration: { newUrlFunction: () => null } });
        const lease = await pool.acquire();
        expect(lease.proxyUrl).toBeUndefined();
        lease.release();
    });
});

describe('proxy health', () => {
    it('benches a proxy after 3 consecutive blocks and retires its sessions when met', async () => {
        const pool = await makePool({ proxyBenchSecs: 60 });
        const benched: ProxyStats[] = [];
        const retired = new Map<string, RetireReason>();
        pool.on('proxyBenched', (stats) => benched.push(stats));
        pool.on('sessionRetired', (session, reason) => retired.set(session.id, reason));

        const idleOnA = await pool.addSession({ proxyUrl: A });
        const busyOnA = await pool.addSession({ proxyUrl: A });
        const busyLease = await pool.acquire({ sessionId: busyOnA.id });

        await blockPinned(pool, A, 2);
        expect(proxyStats(pool, A).state).toBe('healthy');
        await blockPinned(pool, A, 1);

        expect(benched).toHaveLength(1);
        expect(benched[0]).toMatchObject({ url: A_SHOWN, state: 'benched', blocks: 3, timesBenched: 1 });
        const stats = proxyStats(pool, A);
        expect(stats.state).toBe('benched');
        expect(Date.parse(stats.benchedUntil!)).toBeGreaterThan(Date.now() + 30_000);
        expect(pool.getStats().proxiesBenched).toBe(1);

        // A session leased on A is retired when it comes back.
        busyLease.release();
        expect(retired.get(busyOnA.id)).toBe('proxyBenched');
        // New leases never use A; the idle session on A is retired when the pool meets it.
        const leases = await Promise.all(Array.from({ length: 8 }, () => pool.acquire()));
        expect(leases.filter((lease) => lease.proxyUrl === A)).toEqual([]);
        expect(retired.get(idleOnA.id)).toBe('proxyBenched');
        expect(proxyStats(pool, A).activeSessions).toBe(0);
        expect(pool.getStats().retiredByReason.proxyBenched).toBe(2);
        for (const lease of leases) lease.release();
    });

    it('a session of a benched proxy is burned even when the pool only meets it after the bench', async () => {
        const pool = await makePool({ proxyBenchSecs: 0.1 });
        const idleOnA = await pool.addSession({ proxyUrl: A });
        await blockPinned(pool, A, 3);
        await sleep(Math.max(0, Date.parse(proxyStats(pool, A).benchedUntil!) - Date.now()) + 20);
        expect(proxyStats(pool, A).state).toBe('probation');
        await expect(pool.acquire({ sessionId: idleOnA.id })).rejects.toThrow(
            `Session "${idleOnA.id}" is not available: it was retired (proxyBenched).`,
        );
        expect(idleOnA.retireReason).toBe('proxyBenched');
        // Its place on A is free for the probation session.
        expect(proxyStats(pool, A).activeSessions).toBe(0);
    });

    it('a success in between resets the count', async () => {
        const pool = await makePool();
        await blockOn(pool, A, 2);
        const lease = await leaseOnProxy(pool, A);
        lease.session.markGood();
        lease.release();
        await blockOn(pool, A, 2);
        expect(proxyStats(pool, A)).toMatchObject({ state: 'healthy', blocks: 4, successes: 1 });
        await blockOn(pool, A, 1);
        expect(proxyStats(pool, A).state).toBe('benched');
    });

    it('markBad errors count toward benching', async () => {
        const pool = await makePool({ sessionOptions: { maxErrorScore: 10 } });
        const benched: string[] = [];
        pool.on('proxyBenched', (stats) => benched.push(stats.url));
        for (let i = 0; i < 3; i++) {
            const lease = await leaseOnProxy(pool, B);
            lease.session.markBad();
            expect(lease.session.retired).toBe(false);
            lease.release();
        }
        expect(benched).toEqual([B]);
        expect(proxyStats(pool, B)).toMatchObject({ state: 'benched', errors: 3, blocks: 0 });
        // The session that took the errors is burned with its proxy.
        expect(pool.getStats().retiredByReason.proxyBenched).toBe(1);
    });

    it('after the bench a proxy is on probation: one session at a time, a success makes it healthy', async () => {
        // random 0.5: the first bench lasts 0.75 × 200 ms = 150 ms.
        const pool = await makePool({ proxyBenchSecs: 0.2 });
        const revived: ProxyStats[] = [];
        pool.on('proxyRevived', (stats) => revived.push(stats));
        const before = Date.now();
        await blockOn(pool, A, 3);
        const benchedUntil = Date.parse(proxyStats(pool, A).benchedUntil!);
        expect(benchedUntil - before).toBeGreaterThanOrEqual(150);
        expect(benchedUntil - Date.now()).toBeLessThanOrEqual(150);
        await sleep(Math.max(0, benchedUntil - Date.now()) + 20);

        expect(proxyStats(pool, A)).toMatchObject({ state: 'probation', timesBenched: 1 });
        expect(revived.map((stats) => stats.url)).toEqual([A_SHOWN]);

        // The next new session goes to A (it has the fewest sessions) ...
        const idle = pool.getSessions().map((session) => session.id);
        const busy = await Promise.all(idle.map((sessionId) => pool.acquire({ sessionId })));
        const trial = await pool.acquire();
        expect(trial.proxyUrl).toBe(A);
        for (const lease of [...busy, trial]) lease.release();

        // ... and however many are minted at once, A gets one at a time.
        const alive = pool.size;
        const leases = await Promise.all(Array.from({ length: alive + 4 }, () => pool.acquire()));
        const onA = leases.filter((lease) => lease.proxyUrl === A);
        expect(onA).toHaveLength(1);
        expect(proxyStats(pool, A).activeSessions).toBe(1);

        onA[0]!.session.markGood();
        expect(proxyStats(pool, A).state).toBe('healthy');
        for (const lease of leases) lease.release();
        const more = await Promise.all(Array.from({ length: 6 }, () => pool.acquire()));
        expect(more.filter((lease) => lease.proxyUrl === A).length).toBeGreaterThanOrEqual(1);
        for (const lease of more) lease.release();
    });

    it('while the one proxy on probation has its trial session out, acquire waits for the release', async () => {
        // Regression: this used to spin on microtasks (no timer, no I/O could run), hanging the process.
        const pool = await makePool({ proxyConfiguration: { proxyUrls: [A] }, proxyBenchSecs: 0.1 });
        await blockOn(pool, A, 3);
        await sleep(Math.max(0, Date.parse(proxyStats(pool, A).benchedUntil!) - Date.now()) + 20);
        const trial = await pool.acquire();
        expect(proxyStats(pool, A)).toMatchObject({ state: 'probation', activeSessions: 1 });
        setTimeout(() => {
            trial.session.markGood();
            trial.release();
        }, 50);
        const next = await pool.acquire({ timeoutSecs: 5 });
        expect(next.session).toBe(trial.session);
        expect(proxyStats(pool, A).state).toBe('healthy');
        next.release();
    });

    it('a failure on probation benches the proxy again, for longer', async () => {
        const pool = await makePool({ proxyBenchSecs: 0.2, proxyBanThreshold: 3 });
        await blockOn(pool, A, 3);
        await sleep(Math.max(0, Date.parse(proxyStats(pool, A).benchedUntil!) - Date.now()) + 20);
        expect(proxyStats(pool, A).state).toBe('probation');
        const lease = await leaseOnProxy(pool, A);
        const before = Date.now();
        lease.session.retire('blocked'); // one failure is enough on probation
        const after = Date.now();
        lease.release();
        const stats = proxyStats(pool, A);
        expect(stats.state).toBe('benched');
        expect(stats.timesBenched).toBe(2);
        // Second bench: 0.75 × 400 ms = 300 ms (ISO strings have ms precision).
        const until = Date.parse(stats.benchedUntil!);
        expect(until - before).toBeGreaterThanOrEqual(300);
        expect(until - after).toBeLessThanOrEqual(300);
    });

    it('when every proxy is benched, acquire waits until one is back', async () => {
        const pool = await makePool({ proxyConfiguration: { proxyUrls: [A, B] }, proxyBenchSecs: 0.2 });
        await blockOn(pool, A, 3);
        await blockOn(pool, B, 3);
        expect(pool.getStats().proxies.map((proxy) => proxy.state)).toEqual(['benched', 'benched']);
        expect(pool.size).toBe(0);
        const firstBack = Math.min(...[A, B].map((url) => Date.parse(proxyStats(pool, url).benchedUntil!)));
        const lease = await pool.acquire();
        expect(Date.now()).toBeGreaterThanOrEqual(firstBack);
        expect([A, B]).toContain(lease.proxyUrl);
        expect(proxyStats(pool, lease.proxyUrl!).state).toBe('probation');
        lease.release();
    });

    it('times out with the benched proxies in the message', async () => {
        const pool = await makePool({ proxyConfiguration: { proxyUrls: [A] }, proxyBenchSecs: 60 });
        await blockOn(pool, A, 3);
        const error = await pool.acquire({ timeoutSecs: 0.05 }).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(SessionPoolTimeoutError);
        expect((error as Error).message).toContain('0 of 0 sessions leased');
        expect((error as Error).message).toContain('1 of 1 proxies benched');
    });

    it('waits for a benched proxy from newUrlFunction without spinning', async () => {
        let calls = 0;
        const pool = await makePool({
            proxyConfiguration: {
                newUrlFunction: () => {
                    calls += 1;
                    return B;
                },
            },
            proxyBenchSecs: 0.4,
        });
        await blockOn(pool, B, 3);
        expect(proxyStats(pool, B).state).toBe('benched');
        const benchedUntil = Date.parse(proxyStats(pool, B).benchedUntil!);
        const callsBefore = calls;
        let timerFired = false;
        setTimeout(() => {
            timerFired = true;
        }, 10);
        const lease = await pool.acquire({ timeoutSecs: 10 });
        expect(Date.now()).toBeGreaterThanOrEqual(benchedUntil);
        expect(timerFired).toBe(true);
        expect(lease.proxyUrl).toBe(B);
        // Asking again a few times a second is fine; tens of thousands of calls is a busy loop.
        expect(calls - callsBefore).toBeLessThan(100);
        lease.release();
    });
});

describe('markBad blame (who a failure counts against)', () => {
    it('markBad({ blameProxy: false }) scores the session but never benches its proxy', async () => {
        const pool = new SessionPool({ persist: false, proxyConfiguration: { proxyUrls: ['http://127.0.0.2:8000', 'http://127.0.0.3:8000'] }, proxyBanThreshold: 2, sessionOptions: { maxErrorScore: 100 } });
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
