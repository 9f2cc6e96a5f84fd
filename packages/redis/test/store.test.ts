import { afterEach, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import {
    FileSessionStore,
    InvalidOptionError,
    MemorySessionStore,
    SessionPool,
    SharedStoreUnavailableError,
} from '@sessionkit/core';
import { isSharedSessionStore } from '@sessionkit/core/spi';
import { RedisSessionStore, RedisUnavailableError } from '../src/index.js';
import { closedPort } from '@sessionkit/test-utils';
import { Fixture, REDIS_URL, RedisForwarder, captureLog, keyPrefix, quietLog, rawClient, uniquePoolId } from './helpers.js';

const fx = new Fixture();
afterEach(() => fx.cleanup());

describe('RedisSessionStore options', () => {
    it('validates its options with messages naming the option', () => {
        expect(() => new RedisSessionStore(undefined as never)).toThrow(InvalidOptionError);
        expect(() => new RedisSessionStore({} as never)).toThrow(/Option "poolId" must be 1-100 characters/);
        expect(() => new RedisSessionStore({ poolId: 'a b' })).toThrow(/Option "poolId"/);
        expect(() => new RedisSessionStore({ poolId: 'x'.repeat(101) })).toThrow(/Option "poolId"/);
        expect(() => new RedisSessionStore({ poolId: 'ok', url: 'http://127.0.0.1:6379' })).toThrow(/Option "url" must be a Redis URL/);
        expect(() => new RedisSessionStore({ poolId: 'ok', leaseTtlSecs: 0 })).toThrow(/Option "leaseTtlSecs" must be a number of seconds > 0 and <= 2147483 \(about 24\.8 days\), got 0/);
        expect(() => new RedisSessionStore({ poolId: 'ok', keyPrefix: 'a*' })).toThrow(/Option "keyPrefix"/);
        expect(() => new RedisSessionStore({ poolId: 'ok', poolid: 'x' } as never)).toThrow(/"poolid" is not a known option of RedisSessionStore \(did you mean "poolId"\?\)/);
        expect(() => new RedisSessionStore({ poolId: 'ok', redis: {} as never })).toThrow(/Option "redis" must be an ioredis client/);
    });

    it('is a SharedSessionStore: new SessionPool({ store }) leases in the store; other stores keep the pool in-process', async () => {
        const store = fx.store(uniquePoolId('kind'));
        expect(isSharedSessionStore(store)).toBe(true);
        expect(isSharedSessionStore(new MemorySessionStore())).toBe(false);
        const pool = new SessionPool({ store, log: quietLog() });
        fx.pools.push(pool);
        expect(pool.constructor).toBe(SessionPool); // one pool class, whatever the store
        expect((await pool.acquire()).leaseId).toEqual(expect.any(String));
        for (const other of [new SessionPool({ store: new MemorySessionStore() }), new SessionPool({ persist: false }), new SessionPool({ store: new FileSessionStore(), persist: 'explicit' })]) {
            expect(other.constructor).toBe(SessionPool);
            expect((await other.acquire()).leaseId).toBeUndefined(); // leased in-process
            await other.teardown();
        }
        // pool options are validated as for any pool
        expect(() => new SessionPool({ store, maxPoolSize: 0 })).toThrow(/Option "maxPoolSize" must be an integer >= 1, got 0/);
    });

    it('describes where the pool lives, without the password', () => {
        const store = new RedisSessionStore({ poolId: 'shop', url: 'redis://user:secret@127.0.0.1:6390/2' });
        expect(store.describe()).toBe('redis://user:***@127.0.0.1:6390/2 sk:{shop}:');
        expect(new RedisSessionStore({ poolId: 'shop', keyPrefix: 'crawl:' }).prefix).toBe('crawl:{shop}:');
    });
});

describe('Redis unavailable', () => {
    it('fails at initialize() with a clear, typed error naming the URL and how to start Redis', async () => {
        const port = await closedPort();
        const url = `redis://127.0.0.1:${port}`;
        const pool = new SessionPool({ store: new RedisSessionStore({ url, poolId: uniquePoolId('down'), log: quietLog() }), log: quietLog() });
        const started = Date.now();
        const error = await pool.initialize().catch((caught: unknown) => caught);
        expect(Date.now() - started).toBeLessThan(3000);
        expect(error).toBeInstanceOf(RedisUnavailableError);
        expect(error).toBeInstanceOf(SharedStoreUnavailableError);
        const { message, code } = error as RedisUnavailableError;
        expect(code).toBe('ERR_SHARED_STORE_UNAVAILABLE');
        expect(message).toContain(`Cannot connect to Redis at ${url}`);
        expect(message).toContain('ECONNREFUSED');
        expect(message).toContain(`redis-server --port ${port}`);
        expect(message).toContain('REDIS_URL');
        // acquire() connects lazily and fails the same way; SessionPool.open() too
        await expect(pool.acquire()).rejects.toThrow(RedisUnavailableError);
        await expect(SessionPool.open({ store: new RedisSessionStore({ url, poolId: 'x', log: quietLog() }) })).rejects.toThrow(/Cannot connect to Redis/);
        await pool.teardown();
    });

    it('recovers on a later initialize() once Redis answers', async () => {
        const forwarder = new RedisForwarder();
        await forwarder.reservePort();
        const poolId = uniquePoolId('later');
        const pool = new SessionPool({ store: fx.store(poolId, { url: forwarder.url }), log: quietLog() });
        fx.pools.push(pool);
        await expect(pool.initialize()).rejects.toThrow(RedisUnavailableError);
        await forwarder.start();
        try {
            await pool.initialize();
            const lease = await pool.acquire();
            expect(lease.session.id).toMatch(/^session_/);
            lease.release();
            await pool.teardown();
        } finally {
            await forwarder.stop();
        }
    });
});

describe('one store, many pools and runs', () => {
    it('a pool re-created on the same store after teardown reconnects (a crawler run after run)', async () => {
        const poolId = uniquePoolId('rerun');
        const store = fx.store(poolId);
        const first = new SessionPool({ store, log: quietLog() });
        const lease = await first.acquire();
        lease.session.setCookie('a=1; Path=/', 'http://127.0.0.1/');
        lease.session.markGood();
        lease.release();
        await first.teardown();
        expect(store.client).toBeUndefined(); // the connection closed with its last pool
        const second = new SessionPool({ store, log: quietLog() });
        fx.pools.push(second);
        const again = await second.acquire();
        expect(again.session.id).toBe(lease.session.id);
        expect(again.session.usageCount).toBe(1);
        expect(again.session.getCookieString('http://127.0.0.1/')).toBe('a=1');
        again.release();
    });

    it('two pools on one store instance are two workers of the pool', async () => {
        const poolId = uniquePoolId('twopools');
        const store = fx.store(poolId);
        const a = new SessionPool({ store, maxPoolSize: 1, log: quietLog() });
        const b = new SessionPool({ store, maxPoolSize: 1, log: quietLog() });
        fx.pools.push(a, b);
        const held = await a.acquire();
        const waiting = b.acquire({ timeoutSecs: 5 });
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(b.waitingCount).toBe(1);
        held.release();
        expect((await waiting).session.id).toBe(held.session.id);
        await a.teardown();
        expect(store.client?.status).toBe('ready'); // still used by b
        await b.teardown();
        expect(store.client).toBeUndefined();
    });

    it('uses an existing ioredis client and leaves it open', async () => {
        const client = new Redis(REDIS_URL);
        const poolId = uniquePoolId('client');
        const store = fx.store(poolId, { url: undefined, redis: client });
        const pool = new SessionPool({ store, log: quietLog() });
        (await pool.acquire()).release();
        await pool.teardown();
        expect(client.status).toBe('ready');
        expect(await client.exists(`${keyPrefix(poolId)}live`)).toBe(1);
        client.disconnect();
    });

    it('warns when workers of one pool run with different settings', async () => {
        const poolId = uniquePoolId('settings');
        await fx.pool(poolId, { maxPoolSize: 10 });
        const { log, lines } = captureLog();
        const pool = new SessionPool({ store: fx.store(poolId), maxPoolSize: 20, log });
        fx.pools.push(pool);
        await pool.initialize();
        expect(lines.find((line) => line.level === 'warning')?.message).toMatch(/maxPoolSize 20 here, 10 in the pool.*give every worker the same/);
    });
});

describe('load, save, clear', () => {
    it('load() is a snapshot of the pool; save() imports a saved state into another pool', async () => {
        const poolId = uniquePoolId('snap');
        const pool = await fx.pool(poolId, { proxyConfiguration: { proxyUrls: ['http://127.0.0.2:8000'] } });
        const lease = await pool.acquire();
        lease.session.setCookie('sid=abc; Path=/', 'http://example.com/');
        lease.session.userData = { token: 't1' };
        lease.session.markGood();
        lease.release();
        await pool.fetchStats(); // the release is applied by now (same connection, in order)
        const store = fx.store(poolId);
        const state = await store.load();
        expect(state?.sessions).toHaveLength(1);
        expect(state!.sessions[0]).toMatchObject({ id: lease.session.id, usageCount: 1, userData: { token: 't1' }, proxyUrl: 'http://127.0.0.2:8000' });
        expect(state!.sessions[0]!.cookieJar?.cookies).toHaveLength(1);
        expect(state!.proxies.map((proxy) => proxy.url)).toEqual(['http://127.0.0.2:8000']);

        const copyId = uniquePoolId('copy');
        await fx.store(copyId).save('ignored', state!);
        const copy = await fx.pool(copyId, { proxyConfiguration: { proxyUrls: ['http://127.0.0.2:8000'] } });
        const copied = await copy.acquire({ sessionId: lease.session.id });
        expect(copied.session.getCookieString('http://example.com/')).toBe('sid=abc');
        expect(copied.session.userData).toEqual({ token: 't1' });
        expect(copied.session.usageCount).toBe(1);
        expect(copied.proxyUrl).toBe('http://127.0.0.2:8000');
        copied.release();
        expect(await fx.store(uniquePoolId('empty')).load()).toBeUndefined();
    });

    it('persistState() is a no-op (the state is in Redis); getState() lists the sessions this worker knows', async () => {
        const pool = await fx.pool(uniquePoolId('persist'));
        const lease = await pool.acquire();
        lease.release();
        expect(await pool.persistState()).toBe(false);
        expect(pool.getState().sessions.map((session) => session.id)).toEqual([lease.session.id]);
    });

    it('clear() deletes every key of the pool and nothing else', async () => {
        const poolId = uniquePoolId('clear');
        const other = uniquePoolId('other');
        const pool = await fx.pool(poolId);
        const keep = await fx.pool(other);
        (await pool.acquire()).release();
        (await keep.acquire()).release();
        await pool.teardown();
        const redis = rawClient();
        expect((await redis.keys(`${keyPrefix(poolId)}*`)).length).toBeGreaterThan(3);
        expect(await fx.store(poolId).clear()).toBeGreaterThan(3);
        expect(await redis.keys(`${keyPrefix(poolId)}*`)).toEqual([]);
        expect((await redis.keys(`${keyPrefix(other)}*`)).length).toBeGreaterThan(3);
        redis.disconnect();
    });
});
