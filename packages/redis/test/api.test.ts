import { afterEach, describe, expect, it } from '@jest/globals';
import { InvalidOptionError, Session, SessionPool, SessionPoolCapacityError, type SessionPoolOptions } from '@sessionkit/core';
import { Fixture, quietLog, sleep, uniquePoolId, waitFor } from './helpers.js';

const fx = new Fixture();
afterEach(() => fx.cleanup());

const URL_A = 'http://shop.example.com/';

describe('the SessionPool API, shared', () => {
    it('acquire / judge / release with the same calls as a local pool', async () => {
        const pool = await fx.pool(uniquePoolId('api'), { maxPoolSize: 5, proxyConfiguration: { proxyUrls: ['http://user:pw@127.0.0.2:8000'] } });
        const lease = await pool.acquire();
        expect(lease.leaseId).toEqual(expect.any(String)); // leased in the store
        expect(lease.proxyUrl).toBe('http://user:pw@127.0.0.2:8000');
        expect(lease.proxyInfo).toMatchObject({ hostname: '127.0.0.2', port: 8000, username: 'user', password: 'pw' });
        lease.session.markGood();
        expect(lease.release()).toBe(true);
        expect(lease.release()).toBe(false);
        expect(lease.released).toBe(true);
        const again = await pool.acquire();
        expect(again.session).toBe(lease.session); // reuse before minting; the same local object
        expect(again.session.usageCount).toBe(1);
        again.release();
        expect(pool.classifyResponse(403)).toEqual({ kind: 'blocked', statusCode: 403 });
        expect(pool.classifyResponse(429, { 'retry-after': '2' })).toEqual({ kind: 'rateLimited', statusCode: 429, retryAfterMs: 2000 });
        expect(pool.classifyResponse(200)).toEqual({ kind: 'ok' });
    });

    it('cookies and userData travel with the session from worker to worker', async () => {
        const poolId = uniquePoolId('cookies');
        const a = await fx.pool(poolId, { maxPoolSize: 1 });
        const b = await fx.pool(poolId, { maxPoolSize: 1 });
        const first = await a.acquire();
        first.session.setCookie('visitor=42; Path=/', URL_A);
        first.session.userData = { step: 1 };
        first.release();
        const second = await b.acquire();
        expect(second.session.getCookieString(URL_A)).toBe('visitor=42');
        expect(second.session.userData).toEqual({ step: 1 });
        second.session.setCookie('cart=7; Path=/', URL_A);
        second.release();
        const third = await a.acquire();
        expect(third.session).toBe(first.session);
        expect(third.session.getCookieString(URL_A)).toBe('visitor=42; cart=7');
        third.release();
    });

    it('with maxConcurrencyPerSession > 1 the last release wins for cookies', async () => {
        const poolId = uniquePoolId('lww');
        const options = { maxPoolSize: 1, maxConcurrencyPerSession: 2 };
        const a = await fx.pool(poolId, options);
        const b = await fx.pool(poolId, options);
        (await a.acquire()).release(); // warm
        const la = await a.acquire();
        const lb = await b.acquire();
        la.session.setCookie('x=a; Path=/', URL_A);
        lb.session.setCookie('x=b; Path=/', URL_A);
        la.release();
        await a.fetchStats();
        lb.release();
        await b.fetchStats();
        const c = await fx.pool(poolId, options);
        const lc = await c.acquire();
        expect(lc.session.getCookieString(URL_A)).toBe('x=b');
        lc.release();
    });

    it('getSession, addSession, retireSession and the events', async () => {
        const poolId = uniquePoolId('seed');
        const a = await fx.pool(poolId, { maxPoolSize: 3, sessionOptions: { userData: { kind: 'minted' } } });
        const b = await fx.pool(poolId, { maxPoolSize: 3 });
        const created: string[] = [];
        a.on('sessionCreated', (session) => created.push(`a:${session.id}`));
        b.on('sessionCreated', (session) => created.push(`b:${session.id}`));
        const one = await a.getSession();
        expect(one.userData).toEqual({ kind: 'minted' });
        expect(await b.getSession()).toMatchObject({ id: one.id }); // idle: reused before minting
        const two = await b.addSession({ id: 'fixed-id', userData: { kind: 'added' }, maxUsageCount: 7 });
        await expect(a.addSession({ id: 'fixed-id' })).rejects.toThrow(InvalidOptionError); // a taken id is not a capacity problem
        const three = await a.addSession(new Session({ id: 'built', sessionPool: a }));
        await expect(b.addSession()).rejects.toThrow(SessionPoolCapacityError);
        await expect(b.addSession()).rejects.toThrow('Cannot add a session: the shared pool is full (maxPoolSize 3). Retire sessions or raise maxPoolSize.');
        expect(created).toEqual([`a:${one.id}`, 'b:fixed-id', 'a:built']); // once per session, in the worker that made it
        const copy = await a.getSession('fixed-id');
        expect(copy).toMatchObject({ id: 'fixed-id', maxUsageCount: 7, userData: { kind: 'added' } });
        expect(await a.getSession('nope')).toBeUndefined();
        const retired: string[] = [];
        a.on('sessionRetired', (session, reason) => retired.push(`a:${session.id}:${reason}`));
        b.on('sessionRetired', (session, reason) => retired.push(`b:${session.id}:${reason}`));
        expect(b.retireSession(two)).toBe(true);
        expect(b.retireSession(two)).toBe(false);
        await waitFor(() => retired.length === 2, 3000, 'the retirement to reach both workers');
        expect(retired.sort()).toEqual(['a:fixed-id:manual', 'b:fixed-id:manual']);
        expect(await a.getSession('fixed-id')).toBeUndefined();
        expect(three.retired).toBe(false);
        const stats = await a.fetchStats();
        expect(stats).toMatchObject({ sessions: 2, sessionsCreated: 3, sessionsRetired: 1 });
        expect(a.getStats()).toMatchObject({ sessionsCreated: 2, sessionsRetired: 0 });
        expect(b.getStats()).toMatchObject({ sessionsCreated: 1, sessionsRetired: 1 });
    });

    it('createSessionFunction builds the sessions the pool mints', async () => {
        const options: SessionPoolOptions = {
            maxPoolSize: 2,
            createSessionFunction: (_pool, { sessionOptions }) => new Session({ ...sessionOptions, userData: { by: 'factory' }, maxUsageCount: 3 }),
        };
        const poolId = uniquePoolId('factory');
        const pool = await fx.pool(poolId, options);
        const lease = await pool.acquire();
        expect(lease.session.userData).toEqual({ by: 'factory' });
        expect(lease.session.maxUsageCount).toBe(3);
        lease.release();
        const other = await fx.pool(poolId, { maxPoolSize: 2 });
        const copy = await other.getSession(lease.session.id);
        expect(copy).toMatchObject({ maxUsageCount: 3, userData: { by: 'factory' } });
    });

    it('expired sessions are retired when met, in any worker', async () => {
        const poolId = uniquePoolId('expire');
        const a = await fx.pool(poolId, { maxPoolSize: 2, sessionOptions: { maxAgeSecs: 0.2 } });
        const b = await fx.pool(poolId, { maxPoolSize: 2, sessionOptions: { maxAgeSecs: 0.2 } });
        const old = await a.acquire();
        old.release();
        await sleep(300);
        const fresh = await b.acquire();
        expect(fresh.session.id).not.toBe(old.session.id);
        fresh.release();
        expect((await b.fetchStats()).retiredByReason.expired).toBe(1);
    });

    it('getStats(): this worker’s activity and pool-wide gauges; teardown flushes what is on its way', async () => {
        const poolId = uniquePoolId('stats');
        const a = await fx.pool(poolId, { maxPoolSize: 4 });
        const b = new SessionPool({ store: fx.store(poolId), maxPoolSize: 4, log: quietLog() });
        const la = await a.acquire();
        const lb = await b.acquire();
        la.session.markGood();
        lb.session.markBad();
        la.release();
        lb.release();
        await b.teardown(); // waits for the release to reach Redis
        const shared = await a.fetchStats();
        expect(shared).toMatchObject({ sessions: 2, sessionsCreated: 2, markedGood: 1, markedBad: 1, activeLeases: 0, leasesGranted: 2 });
        expect(a.getStats()).toMatchObject({ sessionsCreated: 1, markedGood: 1, markedBad: 0, activeLeases: 0, leasesGranted: 1 });
        expect(b.getStats()).toMatchObject({ sessionsCreated: 1, markedGood: 0, markedBad: 1, sessions: 2 });
        expect(b.isTornDown).toBe(true);
        await expect(b.acquire()).rejects.toThrow(/torn down/);
    });
});
