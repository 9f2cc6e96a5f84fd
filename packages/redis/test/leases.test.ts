import { afterEach, describe, expect, it } from '@jest/globals';
import {
    SessionPoolClosedError,
    SessionPoolTimeoutError,
    SessionUnavailableError,
    type SessionLease,
    type SessionPool,
} from '@sessionkit/core';
import type { SharedPoolConnection } from '@sessionkit/core/spi';
import { RedisPoolConnection } from '../src/index.js';
import { Fixture, captureLog, sleep, uniquePoolId, waitFor, connectionOfPool } from './helpers.js';

const fx = new Fixture();
afterEach(() => fx.cleanup());

function connectionOf(pool: SessionPool): SharedPoolConnection {
    return connectionOfPool(pool);
}

describe('leases across workers', () => {
    it('a session leased by one worker is never leased by another at the same time', async () => {
        const poolId = uniquePoolId('exclusive');
        const pools = [await fx.pool(poolId, { maxPoolSize: 3 }), await fx.pool(poolId, { maxPoolSize: 3 })];
        const holders = new Map<string, number>();
        let overlaps = 0;
        let cycles = 0;
        const loop = async (pool: SessionPool) => {
            for (let i = 0; i < 60; i++) {
                const lease = await pool.acquire({ timeoutSecs: 10 });
                const id = lease.session.id;
                if (holders.get(id)) overlaps += 1;
                holders.set(id, (holders.get(id) ?? 0) + 1);
                await sleep(Math.random() * 2);
                lease.session.markGood();
                holders.set(id, holders.get(id)! - 1);
                lease.release();
                cycles += 1;
            }
        };
        await Promise.all(pools.flatMap((pool) => [loop(pool), loop(pool), loop(pool), loop(pool)]));
        expect(cycles).toBe(480);
        expect(overlaps).toBe(0);
        const stats = await pools[0]!.fetchStats();
        expect(stats.sessions).toBeLessThanOrEqual(3);
        expect(stats.markedGood).toBe(480);
    });

    it('maxConcurrencyPerSession counts the leases of all workers; a fresh session is held by its creator until released', async () => {
        const poolId = uniquePoolId('concurrency');
        const options = { maxPoolSize: 1, maxConcurrencyPerSession: 2 };
        const a = await fx.pool(poolId, options);
        const b = await fx.pool(poolId, options);
        const fresh = await a.acquire();
        // Fresh: its cookie has not arrived yet, nobody else may use it (even with maxConcurrencyPerSession 2).
        await expect(b.acquire({ timeoutSecs: 0.3 })).rejects.toThrow(SessionPoolTimeoutError);
        fresh.release();
        const first = await a.acquire();
        const second = await b.acquire();
        expect(second.session.id).toBe(first.session.id); // warm: shared by two leases, in two workers
        await expect(b.acquire({ timeoutSecs: 0.3 })).rejects.toThrow(SessionPoolTimeoutError); // a third lease: no
        first.release();
        const third = await b.acquire({ timeoutSecs: 2 });
        expect(third.session.id).toBe(first.session.id);
        second.release();
        third.release();
    });

    it('a waiting acquire is woken by another worker’s release (pub/sub), not by polling', async () => {
        const poolId = uniquePoolId('wake');
        const a = await fx.pool(poolId, { maxPoolSize: 1 });
        const b = await fx.pool(poolId, { maxPoolSize: 1 });
        const held = await a.acquire();
        const waiting = b.acquire({ timeoutSecs: 10 });
        await sleep(500);
        expect(b.waitingCount).toBe(1);
        const releasedAt = Date.now();
        held.release();
        const lease = await waiting;
        // The fallback poll comes 1 s after the last try, ~500 ms from now; a release message wakes the waiter at once.
        expect(Date.now() - releasedAt).toBeLessThan(400);
        expect(lease.session.id).toBe(held.session.id);
        lease.release();
    });

    it('times out with a message about the whole shared pool', async () => {
        const poolId = uniquePoolId('timeout');
        const a = await fx.pool(poolId, { maxPoolSize: 1 });
        const b = await fx.pool(poolId, { maxPoolSize: 1 });
        const held = await a.acquire();
        const error = (await b.acquire({ timeoutSecs: 0.3 }).catch((caught: unknown) => caught)) as SessionPoolTimeoutError;
        expect(error).toBeInstanceOf(SessionPoolTimeoutError);
        expect(error.message).toMatch(/Timed out after [\d.]+ s waiting for a free session in the shared pool redis:\/\/.* sk:\{t-timeout-.*\}:: 1 of 1 sessions leased \(1 leases, all workers\), 0 cooling down, maxPoolSize 1\./);
        expect(b.getStats().acquireTimeouts).toBe(1);
        held.release();
    });

    it('pinned acquires wait for the session across workers; a retired one rejects them', async () => {
        const poolId = uniquePoolId('pinned');
        const a = await fx.pool(poolId, { maxPoolSize: 2 });
        const b = await fx.pool(poolId, { maxPoolSize: 2 });
        const held = await a.acquire();
        const id = held.session.id;
        const pinned = b.acquire({ sessionId: id, timeoutSecs: 5 });
        await sleep(100);
        held.release();
        const lease = await pinned;
        expect(lease.session.id).toBe(id);
        const waiting = a.acquire({ sessionId: id, timeoutSecs: 5 });
        await sleep(50);
        lease.session.retire();
        lease.release();
        await expect(waiting).rejects.toThrow(SessionUnavailableError);
        await expect(b.acquire({ sessionId: id })).rejects.toThrow(`Session "${id}" is not available: it was retired (manual).`);
        await expect(b.acquire({ sessionId: 'nope' })).rejects.toThrow('Session "nope" is not available: it is retired or was never in this pool.');
    });

    it('abort signals and teardown settle waiting acquires', async () => {
        const poolId = uniquePoolId('abort');
        const a = await fx.pool(poolId, { maxPoolSize: 1 });
        const b = await fx.pool(poolId, { maxPoolSize: 1 });
        const held = await a.acquire();
        const controller = new AbortController();
        const aborted = b.acquire({ signal: controller.signal });
        await sleep(50);
        controller.abort();
        await expect(aborted).rejects.toThrow(/abort/i);
        const closing = expect(b.acquire()).rejects.toThrow(SessionPoolClosedError);
        await sleep(50);
        await b.teardown();
        await closing;
        expect(b.waitingCount).toBe(0);
        held.release();
    });
});

describe('lease expiry: a worker that stops renewing (dead, hung, cut off) loses its leases', () => {
    it('its sessions come back after leaseTtlSecs', async () => {
        const poolId = uniquePoolId('expiry');
        const a = await fx.pool(poolId, { maxPoolSize: 2 }, { leaseTtlSecs: 0.5 });
        const b = await fx.pool(poolId, { maxPoolSize: 2 }, { leaseTtlSecs: 0.5 });
        const first = await a.acquire();
        const second = await a.acquire();
        // Held past the TTL by a live worker: the heartbeat keeps the leases.
        await sleep(800);
        await expect(b.acquire({ timeoutSecs: 0.2 })).rejects.toThrow(SessionPoolTimeoutError);
        // The worker hangs: no heartbeat any more.
        (connectionOf(a) as RedisPoolConnection).stopHeartbeat();
        const started = Date.now();
        const leases = [await b.acquire({ timeoutSecs: 5 }), await b.acquire({ timeoutSecs: 5 })];
        expect(Date.now() - started).toBeLessThan(2500);
        expect(new Set(leases.map((lease) => lease.session.id))).toEqual(new Set([first.session.id, second.session.id]));
        expect((await b.fetchStats()).leasesExpired).toBe(2);
        for (const lease of leases) lease.release();
    });

    it('a lease released after it expired still counts its marks, and tells why its cookies were not saved', async () => {
        const poolId = uniquePoolId('late');
        const { log, lines } = captureLog();
        const a = await fx.pool(poolId, { maxPoolSize: 1, log }, { leaseTtlSecs: 0.3 });
        const b = await fx.pool(poolId, { maxPoolSize: 1 }, { leaseTtlSecs: 0.3 });
        const warm = await a.acquire();
        warm.release();
        const late = await a.acquire();
        (connectionOf(a) as RedisPoolConnection).stopHeartbeat();
        const taken = await b.acquire({ timeoutSecs: 3 }); // after the TTL, b gets it
        expect(taken.session.id).toBe(late.session.id);
        late.session.markGood();
        late.session.setCookie('late=1; Path=/', 'http://example.com/');
        late.release();
        taken.session.markGood();
        taken.release();
        await waitFor(() => lines.some((line) => line.level === 'warning' && line.message.includes('had expired before its release')), 3000, 'the warning');
        const stats = await a.fetchStats();
        expect(stats.markedGood).toBe(2);
        expect(stats.activeLeases).toBe(0);
        const check = await b.acquire();
        expect(check.session.usageCount).toBe(2);
        expect(check.session.getCookieString('http://example.com/')).toBe(''); // the late holder did not overwrite the cookies
        check.release();
    });

    it('teardown gives back the leases a worker still holds, at once', async () => {
        const poolId = uniquePoolId('giveback');
        const a = await fx.pool(poolId, { maxPoolSize: 1 });
        const b = await fx.pool(poolId, { maxPoolSize: 1 });
        const held: SessionLease = await a.acquire();
        const waiting = b.acquire({ timeoutSecs: 5 });
        await sleep(50);
        await a.teardown();
        const lease = await waiting;
        expect(lease.session.id).toBe(held.session.id);
        expect(held.release()).toBe(true); // harmless after teardown
        lease.release();
    });
});
