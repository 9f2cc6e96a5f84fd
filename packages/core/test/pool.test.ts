import { afterEach, describe, expect, it, jest } from '@jest/globals';

import {
    InvalidOptionError,
    type RetireReason,
    Session,
    SessionLease,
    SessionPool,
    SessionPoolCapacityError,
    SessionPoolClosedError,
    type SessionPoolOptions,
    SessionPoolTimeoutError,
    SessionUnavailableError,
    openSessionPool,
} from '../src/index.js';
import { quietLog, settledWithin, sleep } from './helpers.js';

const pools: SessionPool[] = [];

async function makePool(options: SessionPoolOptions = {}): Promise<SessionPool> {
    const pool = await SessionPool.open({ persist: false, log: quietLog(), ...options });
    pools.push(pool);
    return pool;
}

afterEach(async () => {
    for (const pool of pools.splice(0)) await pool.teardown();
});

function expectCountsAddUp(pool: SessionPool): void {
    const stats = pool.getStats();
    expect(stats.sessionsCreated - stats.sessionsRetired).toBe(stats.sessions);
    expect(pool.size).toBe(stats.sessions);
    expect(pool.retiredSessionsCount).toBe(stats.sessionsRetired);
    expect(Object.values(stats.retiredByReason).reduce((a, b) => a + b, 0)).toBe(stats.sessionsRetired);
    expect(pool.getSessions()).toHaveLength(stats.sessions);
    if (stats.activeLeases === 0) {
        expect(stats.leasedSessions).toBe(0);
        expect(stats.availableSessions + stats.coolingSessions).toBe(stats.sessions);
    }
}

describe('reuse before minting', () => {
    it('sequential acquire/release reuses one session', async () => {
        const pool = await makePool();
        const ids = new Set<string>();
        for (let i = 0; i < 10; i++) {
            const lease = await pool.acquire();
            ids.add(lease.session.id);
            lease.session.markGood();
            lease.release();
        }
        expect(ids.size).toBe(1);
        const stats = pool.getStats();
        expect(stats.sessionsCreated).toBe(1);
        expect(stats.leasesGranted).toBe(10);
        expect(stats.markedGood).toBe(10);
        expect(stats.activeLeases).toBe(0);
        expect(pool.getSessions()[0]?.usageCount).toBe(10);
        expectCountsAddUp(pool);
    });

    it('getSession() returns an idle session instead of minting', async () => {
        const pool = await makePool();
        const first = await pool.getSession();
        const second = await pool.getSession();
        expect(second).toBe(first);
        const lease = await pool.acquire();
        expect(lease.session).toBe(first);
        lease.release();
        expect(await pool.getSession()).toBe(first);
        expect(pool.getStats().sessionsCreated).toBe(1);
        expect(await pool.getSession(first.id)).toBe(first);
        expect(await pool.getSession('no-such-id')).toBeUndefined();
    });

    it('getSession() mints while busy and, when full, shares the least recently used', async () => {
        const pool = await makePool({ maxPoolSize: 2 });
        const a = await pool.acquire();
        const b = await pool.getSession();
        expect(b).not.toBe(a.session);
        const c = await pool.acquire();
        expect(c.session).toBe(b);
        const shared = await pool.getSession();
        expect([a.session, b]).toContain(shared);
        expect(pool.getStats().sessionsCreated).toBe(2);
        a.release();
        c.release();
    });

    it('prefers the least recently used idle session', async () => {
        const pool = await makePool();
        const [a, b] = await Promise.all([pool.acquire(), pool.acquire()]);
        a.release();
        b.release();
        const next = await pool.acquire();
        expect(next.session).toBe(a.session);
        next.release();
        const after = await pool.acquire();
        expect(after.session).toBe(b.session);
        after.release();
    });
});

describe('exclusive leases', () => {
    it('N concurrent acquires get N distinct sessions with maxConcurrencyPerSession 1', async () => {
        const pool = await makePool();
        const leases = await Promise.all(Array.from({ length: 8 }, () => pool.acquire()));
        expect(new Set(leases.map((lease) => lease.session.id)).size).toBe(8);
        const stats = pool.getStats();
        expect(stats.sessionsCreated).toBe(8);
        expect(stats.leasedSessions).toBe(8);
        expect(stats.activeLeases).toBe(8);
        expect(stats.availableSessions).toBe(0);
        expect(pool.leasedSessionsCount).toBe(8);
        for (const lease of leases) lease.release();
        expect(pool.availableSessionsCount).toBe(8);
        expectCountsAddUp(pool);
    });

    it.each([0, 1, 2, 3, 4, 5])('never hands a just-minted session to a second acquire (second call %i microtasks later)', async (ticks) => {
        const pool = await makePool();
        const first = pool.acquire();
        for (let i = 0; i < ticks; i++) await Promise.resolve();
        const second = pool.acquire();
        const [a, b] = await Promise.all([first, second]);
        expect(a.session.id).not.toBe(b.session.id);
        expect(pool.getStats().activeLeases).toBe(2);
        expect(pool.getStats().leasedSessions).toBe(2);
    });

    it.each([0, 1, 2, 3, 4, 5])('a session minted for a waiter is not taken by another waiter (%i microtasks)', async (ticks) => {
        const pool = await makePool({ maxPoolSize: 2 });
        const l1 = await pool.acquire();
        const l2 = await pool.acquire();
        const w1 = pool.acquire();
        const w2 = pool.acquire();
        l1.session.retire(); // frees a slot: a session is minted for w1
        for (let i = 0; i < ticks; i++) await Promise.resolve();
        l2.release(); // l2's session goes to w2
        const [a, b] = await Promise.all([w1, w2]);
        expect(a.session.id).not.toBe(b.session.id);
        expect(a.session.id).not.toBe(l1.session.id);
        expect(b.session).toBe(l2.session);
        l1.release();
    });

    it('maxConcurrencyPerSession 2 shares a warm session but never a fresh one', async () => {
        const pool = await makePool({ maxPoolSize: 2, maxConcurrencyPerSession: 2 });
        const [a, b] = await Promise.all([pool.acquire(), pool.acquire()]);
        // Both fresh: two sessions, each exclusive until its first release.
        expect(a.session).not.toBe(b.session);
        const waiting = pool.acquire();
        expect(await settledWithin(waiting, 30)).toBe('pending');
        a.release(); // a's session is warm now: the waiter and the next acquire share it
        const c = await waiting;
        expect(c.session).toBe(a.session);
        const d = await pool.acquire();
        expect(d.session).toBe(a.session);
        expect(pool.getStats()).toMatchObject({ activeLeases: 3, leasedSessions: 2 }); // c and d share a's session, b holds its own
        // Full: a's session holds 2 leases, b's session is still fresh.
        const e = pool.acquire();
        expect(await settledWithin(e, 30)).toBe('pending');
        b.release();
        expect((await e).session).toBe(b.session);
        expect(pool.getStats().activeLeases).toBe(3);
        expect(pool.getStats().leasedSessions).toBe(2);
        c.release();
        d.release();
        (await e).release();
        expect(pool.getStats().activeLeases).toBe(0);
        expectCountsAddUp(pool);
    });
});

describe('waiting', () => {
    it('waits when full and resolves on release', async () => {
        const pool = await makePool({ maxPoolSize: 1 });
        const first = await pool.acquire();
        const waiting = pool.acquire();
        expect(await settledWithin(waiting, 50)).toBe('pending');
        expect(pool.waitingCount).toBe(1);
        expect(pool.getStats().waitingAcquires).toBe(1);
        first.release();
        const second = await waiting;
        expect(second.session).toBe(first.session);
        expect(pool.waitingCount).toBe(0);
        second.release();
    });

    it('serves waiters first come, first served', async () => {
        const pool = await makePool({ maxPoolSize: 1 });
        const lease = await pool.acquire();
        const order: number[] = [];
        const waiters = [1, 2, 3].map((n) =>
            pool.acquire().then((next) => {
                order.push(n);
                next.release();
            }),
        );
        lease.release();
        await Promise.all(waiters);
        expect(order).toEqual([1, 2, 3]);
    });

    it('times out with SessionPoolTimeoutError explaining why', async () => {
        const pool = await makePool({ maxPoolSize: 1, acquireTimeoutSecs: 0.1 });
        const lease = await pool.acquire();
        let error: unknown;
        try {
            await pool.acquire();
        } catch (caught) {
            error = caught;
        }
        expect(error).toBeInstanceOf(SessionPoolTimeoutError);
        expect((error as SessionPoolTimeoutError).code).toBe('ERR_SESSION_POOL_TIMEOUT');
        const message = (error as Error).message;
        expect(message).toMatch(/^Timed out after \d+(\.\d)? s waiting for a free session: 1 of 1 sessions leased, 0 cooling down, maxPoolSize 1\./);
        expect(message).toContain('Raise maxPoolSize, maxConcurrencyPerSession or acquireTimeoutSecs');
        const stats = pool.getStats();
        expect(stats.acquireTimeouts).toBe(1);
        expect(stats.waitingAcquires).toBe(0);
        // A per-call timeout overrides the pool's.
        await expect(pool.acquire({ timeoutSecs: 0.02 })).rejects.toThrow(SessionPoolTimeoutError);
        expect(pool.getStats().acquireTimeouts).toBe(2);
        lease.release();
        const next = await pool.acquire();
        expect(next.session).toBe(lease.session);
        next.release();
    });

    it('honours an AbortSignal', async () => {
        const pool = await makePool({ maxPoolSize: 1 });
        const lease = await pool.acquire();
        const controller = new AbortController();
        const waiting = pool.acquire({ signal: controller.signal });
        expect(await settledWithin(waiting, 20)).toBe('pending');
        controller.abort();
        await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
        expect(pool.getStats().waitingAcquires).toBe(0);

        const reason = new Error('stop now');
        await expect(pool.acquire({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
        expect(pool.getStats().waitingAcquires).toBe(0);

        lease.release();
        // Nobody took the session: the aborted waiters are gone.
        expect(pool.getStats().availableSessions).toBe(1);
        expect(pool.getStats().activeLeases).toBe(0);
    });

    it('teardown rejects waiters, and the pool cannot be used afterwards', async () => {
        const pool = new SessionPool({ persist: false, log: quietLog(), maxPoolSize: 1 });
        const lease = await pool.acquire();
        const waiting = pool.acquire();
        const pinned = pool.acquire({ sessionId: lease.session.id });
        await pool.teardown();
        await expect(waiting).rejects.toThrow(SessionPoolClosedError);
        await expect(pinned).rejects.toThrow(/Cannot acquire a session: the session pool has been torn down\./);
        await expect(pool.acquire()).rejects.toThrow(SessionPoolClosedError);
        await expect(pool.getSession()).rejects.toThrow(SessionPoolClosedError);
        await expect(pool.addSession()).rejects.toThrow(SessionPoolClosedError);
        expect(lease.release()).toBe(true);
        await pool.teardown(); // idempotent
    });
});

describe('pinned acquire', () => {
    it('waits for that session and gets it on release', async () => {
        const pool = await makePool();
        const [a, b] = await Promise.all([pool.acquire(), pool.acquire()]);
        b.release(); // another session is idle, but the pinned acquire wants a's
        const pinned = pool.acquire({ sessionId: a.session.id });
        expect(await settledWithin(pinned, 30)).toBe('pending');
        a.release();
        const lease = await pinned;
        expect(lease.session).toBe(a.session);
        lease.release();
        // An idle session is leased at once.
        const again = await pool.acquire({ sessionId: b.session.id });
        expect(again.session).toBe(b.session);
        again.release();
    });

    it('rejects with SessionUnavailableError when the session is retired while waiting', async () => {
        const pool = await makePool();
        const lease = await pool.acquire();
        const pinned = pool.acquire({ sessionId: lease.session.id });
        lease.session.retire('blocked');
        let error: unknown;
        try {
            await pinned;
        } catch (caught) {
            error = caught;
        }
        expect(error).toBeInstanceOf(SessionUnavailableError);
        expect((error as SessionUnavailableError).sessionId).toBe(lease.session.id);
        expect((error as Error).message).toBe(`Session "${lease.session.id}" is not available: it was retired (blocked).`);
        lease.release();
        await expect(pool.acquire({ sessionId: lease.session.id })).rejects.toThrow(SessionUnavailableError);
        await expect(pool.acquire({ sessionId: 'never-existed' })).rejects.toThrow(/Session "never-existed" is not available/);
    });

    it('rejects at once when the session turns out to be expired', async () => {
        const pool = await makePool({ sessionOptions: { maxAgeSecs: 0.05 } });
        const lease = await pool.acquire();
        lease.release();
        await sleep(80);
        await expect(pool.acquire({ sessionId: lease.session.id, timeoutSecs: 5 })).rejects.toThrow(SessionUnavailableError);
        expect(lease.session.retireReason).toBe('expired');
    });

    it('times out with a message naming the session', async () => {
        const pool = await makePool();
        const lease = await pool.acquire();
        await expect(pool.acquire({ sessionId: lease.session.id, timeoutSecs: 0.05 })).rejects.toThrow(
            new RegExp(`waiting for session "${lease.session.id}" to be free`),
        );
        lease.release();
    });

    it('does not poll while it waits', async () => {
        const pool = await makePool();
        const lease = await pool.acquire();
        const spy = jest.spyOn(globalThis, 'setTimeout');
        try {
            const pinned = pool.acquire({ sessionId: lease.session.id });
            await sleep(150);
            const shortTimers = spy.mock.calls.filter(([, ms]) => typeof ms === 'number' && ms <= 5).length;
            expect(shortTimers).toBeLessThan(5);
            lease.release();
            (await pinned).release();
        } finally {
            spy.mockRestore();
        }
    });
});

describe('leases and retirement', () => {
    it('release() is idempotent', async () => {
        const pool = await makePool();
        const lease = await pool.acquire();
        expect(lease).toBeInstanceOf(SessionLease);
        expect(lease.released).toBe(false);
        expect(lease.release()).toBe(true);
        expect(lease.release()).toBe(false);
        expect(lease.released).toBe(true);
        const stats = pool.getStats();
        expect(stats.activeLeases).toBe(0);
        expect(stats.leasedSessions).toBe(0);
        expect(stats.availableSessions).toBe(1);
        const [x, y] = await Promise.all([pool.acquire(), pool.acquire()]);
        expect(x.session).not.toBe(y.session);
        x.release();
        y.release();
    });

    it('retiring a leased session frees its slot: a waiter gets a newly minted session', async () => {
        const pool = await makePool({ maxPoolSize: 1 });
        const lease = await pool.acquire();
        const waiting = pool.acquire();
        expect(await settledWithin(waiting, 20)).toBe('pending');
        lease.session.retire('blocked');
        const next = await waiting;
        expect(next.session).not.toBe(lease.session);
        expect(next.session.retired).toBe(false);
        expect(lease.release()).toBe(true);
        const stats = pool.getStats();
        expect(stats.sessionsCreated).toBe(2);
        expect(stats.sessionsRetired).toBe(1);
        expect(stats.activeLeases).toBe(1);
        expect(stats.leasedSessions).toBe(1);
        next.release();
        expectCountsAddUp(pool);
    });

    it('a session retired by markBad or maxUsageCount is replaced', async () => {
        const pool = await makePool({ maxPoolSize: 1, sessionOptions: { maxUsageCount: 2, maxErrorScore: 2 } });
        const first = await pool.acquire();
        first.session.markGood();
        first.release();
        const second = await pool.acquire();
        expect(second.session).toBe(first.session);
        second.session.markGood();
        expect(second.session.retireReason).toBe('maxUsageCount');
        second.release();
        const third = await pool.acquire();
        expect(third.session).not.toBe(first.session);
        third.session.markBad();
        expect(third.session.retired).toBe(false);
        third.session.markBad();
        expect(third.session.retireReason).toBe('errorScore');
        third.release();
        expect(pool.getStats().retiredByReason).toMatchObject({ maxUsageCount: 1, errorScore: 1 });
        expect(pool.getStats().markedBad).toBe(2);
        expectCountsAddUp(pool);
    });

    it('emits sessionCreated and sessionRetired once per session', async () => {
        const pool = await makePool({ maxPoolSize: 3 });
        const created: string[] = [];
        const retired: [string, RetireReason][] = [];
        pool.on('sessionCreated', (session) => created.push(session.id));
        pool.on('sessionRetired', (session, reason) => retired.push([session.id, reason]));
        const leases = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()]);
        const [a, b, c] = leases as [SessionLease, SessionLease, SessionLease];
        a.session.retire('blocked');
        a.session.retire('manual');
        b.session.markBad();
        b.session.markBad();
        b.session.markBad();
        b.session.retire();
        pool.retireSession(c.session.id);
        pool.retireSession(c.session.id);
        for (const lease of leases) lease.release();
        expect(created).toEqual(leases.map((lease) => lease.session.id));
        expect(retired).toEqual([
            [a.session.id, 'blocked'],
            [b.session.id, 'errorScore'],
            [c.session.id, 'manual'],
        ]);
        expect(pool.usableSessionsCount).toBe(0);
        expect(pool.retiredSessionsCount).toBe(3);
        expectCountsAddUp(pool);
    });

    it('counts add up across leases, cooling and retirement', async () => {
        const pool = await makePool({ maxPoolSize: 5 });
        const leases = await Promise.all(Array.from({ length: 5 }, () => pool.acquire()));
        const [a, b, c] = leases as [SessionLease, SessionLease, SessionLease];
        a.session.retire();
        b.session.markGood();
        c.session.coolDown(60_000);
        for (const lease of leases) lease.release();
        const stats = pool.getStats();
        expect(stats).toMatchObject({
            maxPoolSize: 5,
            sessions: 4,
            availableSessions: 3,
            leasedSessions: 0,
            coolingSessions: 1,
            sessionsCreated: 5,
            sessionsRetired: 1,
            activeLeases: 0,
            leasesGranted: 5,
            waitingAcquires: 0,
            markedGood: 1,
            rateLimited: 1,
        });
        expect(pool.usableSessionsCount).toBe(4);
        expect(pool.coolingSessionsCount).toBe(1);
        expectCountsAddUp(pool);
    });

    it("retires expired sessions with reason 'expired'", async () => {
        const pool = await makePool({ sessionOptions: { maxAgeSecs: 0.2 } });
        const reasons: RetireReason[] = [];
        pool.on('sessionRetired', (_session, reason) => reasons.push(reason));
        const first = await pool.acquire();
        const idle = await pool.acquire();
        idle.release();
        await sleep(250);
        // A leased session that expired is retired on release.
        first.release();
        expect(first.session.retireReason).toBe('expired');
        // An idle one is retired when the pool meets it, and a fresh session is minted.
        const next = await pool.acquire();
        expect(next.session).not.toBe(idle.session);
        expect(idle.session.retireReason).toBe('expired');
        expect(reasons).toEqual(['expired', 'expired']);
        expect(pool.getStats().retiredByReason.expired).toBe(2);
        next.release();
        expectCountsAddUp(pool);
    });

    it.each<[string, Record<string, number>, RetireReason]>([
        ['at its maximum error score', { errorScore: 3 }, 'errorScore'],
        ['with its uses spent', { usageCount: 50 }, 'maxUsageCount'],
    ])('never hands out a session added %s: it is retired instead', async (_name, health, reason) => {
        const pool = await makePool();
        const reasons: RetireReason[] = [];
        pool.on('sessionRetired', (_session, why) => reasons.push(why));
        const unusable = await pool.addSession({ id: 'worn', ...health });
        expect(unusable.isUsable()).toBe(false);
        const viaGetSession = await pool.getSession();
        expect(viaGetSession).not.toBe(unusable);
        expect(viaGetSession.isUsable()).toBe(true);
        expect(await pool.getSession('worn')).toBeUndefined();
        expect(unusable.retireReason).toBe(reason);
        expect(reasons).toEqual([reason]);

        const other = await pool.addSession({ id: 'worn-too', ...health });
        const lease = await pool.acquire();
        expect(lease.session).not.toBe(other);
        expect(lease.session.isUsable()).toBe(true);
        lease.release();
        await expect(pool.acquire({ sessionId: 'worn-too' })).rejects.toThrow(SessionUnavailableError);
        expectCountsAddUp(pool);
    });

    it('usableSessionsCount retires sessions that expired while idle', async () => {
        const pool = await makePool({ sessionOptions: { maxAgeSecs: 0.1 } });
        await pool.addSession();
        await pool.addSession();
        expect(pool.size).toBe(2);
        await sleep(150);
        expect(pool.usableSessionsCount).toBe(0);
        expect(pool.size).toBe(0);
        expect(pool.getStats().retiredByReason.expired).toBe(2);
    });
});

describe('addSession, createSessionFunction and the seed API', () => {
    it('addSession adds sessions and refuses duplicates, retired sessions and a full pool', async () => {
        const pool = await makePool({ maxPoolSize: 3, sessionOptions: { maxErrorScore: 7 } });
        const added = await pool.addSession({ id: 'mine', userData: { user: 'alice' } });
        expect(added.id).toBe('mine');
        expect(added.maxErrorScore).toBe(7);
        expect(added.userData).toEqual({ user: 'alice' });
        await expect(pool.addSession({ id: 'mine' })).rejects.toThrow(InvalidOptionError); // not a capacity problem
        await expect(pool.addSession({ id: 'mine' })).rejects.toThrow('Option "id" is taken by a session already in the pool');
        const retired = new Session({ sessionPool: pool });
        retired.retire();
        await expect(pool.addSession(retired)).rejects.toThrow(SessionUnavailableError);
        await expect(pool.addSession(retired)).rejects.toThrow(/it is retired/);
        await expect(pool.addSession({ maxErrorScore: -1 })).rejects.toThrow(/Option "addSession\(\)\.maxErrorScore"/);
        const built = new Session({ sessionPool: pool, id: 'built' });
        expect(await pool.addSession(built)).toBe(built);
        await pool.addSession();
        await expect(pool.addSession()).rejects.toThrow(SessionPoolCapacityError);
        await expect(pool.addSession()).rejects.toThrow(/the pool is full \(maxPoolSize 3\)/);
        const lease = await pool.acquire({ sessionId: 'mine' });
        expect(lease.session).toBe(added);
        lease.session.retire();
        lease.release();
        expect(pool.size).toBe(2);
    });

    it('addSession refuses a Session that does not report to this pool', async () => {
        const pool = await makePool();
        const other = await makePool();
        const error = await pool.addSession(new Session()).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(InvalidOptionError);
        expect((error as Error).message).toMatch(/sessionPool/);
        await expect(pool.addSession(new Session({ sessionPool: other }))).rejects.toThrow(InvalidOptionError);
        expect(pool.size).toBe(0);
    });

    it('createSessionFunction builds sessions with the options the pool gives it', async () => {
        const seen: string[] = [];
        const pool = await makePool({
            sessionOptions: { maxErrorScore: 2, userData: { tag: 'x' } },
            createSessionFunction: (poolArg, { sessionOptions }) => {
                expect(poolArg).toBeInstanceOf(SessionPool);
                expect(sessionOptions.sessionPool).toBe(poolArg);
                seen.push(sessionOptions.id);
                return new Session({ ...sessionOptions, userData: { ...sessionOptions.userData, custom: true } });
            },
        });
        const lease = await pool.acquire();
        expect(seen).toEqual([lease.session.id]);
        expect(lease.session.userData).toEqual({ tag: 'x', custom: true });
        expect(lease.session.maxErrorScore).toBe(2);
        lease.session.retire();
        lease.release();
        expect(pool.size).toBe(0);
        expect(pool.retiredSessionsCount).toBe(1);
    });

    it('createSessionFunction must return a Session of this pool', async () => {
        const pool = await makePool({ createSessionFunction: () => ({ id: 'fake' }) as unknown as Session });
        await expect(pool.acquire()).rejects.toThrow(/Option "createSessionFunction" must return a Session/);
        const unowned = await makePool({ createSessionFunction: () => new Session() });
        await expect(unowned.acquire()).rejects.toThrow(/sessionPool/);
        expect(unowned.size).toBe(0);
    });

    it('gives each session its own copy of sessionOptions.userData', async () => {
        const pool = await makePool({ sessionOptions: { userData: { list: [] as number[] } } });
        const [a, b] = await Promise.all([pool.acquire(), pool.acquire()]);
        (a.session.userData.list as number[]).push(1);
        expect(b.session.userData.list).toEqual([]);
        a.release();
        b.release();
    });

    it('supports the seed solo usage with openSessionPool', async () => {
        const pool = await openSessionPool({ maxPoolSize: 100, persist: false, log: quietLog() });
        pools.push(pool);
        const session = await pool.getSession();
        session.markBad();
        expect(session.errorScore).toBe(1);
        session.retire();
        expect(session.retired).toBe(true);
        session.markGood();
        expect(session.retired).toBe(true);
        expect(session.errorScore).toBe(3);
        expect(pool.usableSessionsCount).toBe(0);
        const fresh = await pool.getSession();
        expect(fresh).not.toBe(session);
        expect(fresh.isUsable()).toBe(true);
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
