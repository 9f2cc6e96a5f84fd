import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import { SharedStoreUnavailableError } from '@sessionkit/core';
import { RedisUnavailableError } from '../src/index.js';
import { Fixture, RedisForwarder, captureLog, keyPrefix, rawClient, sleep, uniquePoolId, waitFor } from './helpers.js';

const fx = new Fixture();
let redis: Redis;
beforeAll(() => {
    redis = rawClient();
});
afterEach(() => fx.cleanup());
afterAll(() => redis.disconnect());

/** Kills every Redis connection of the pool's workers (command and pub/sub connections). */
async function killConnections(poolId: string): Promise<number> {
    const list = await redis.client('LIST');
    const ids = String(list)
        .split('\n')
        .filter((line) => line.includes(` name=sessionkit:${poolId}`))
        .map((line) => /(?:^|\s)id=(\d+)/.exec(line)?.[1])
        .filter((id): id is string => id !== undefined);
    for (const id of ids) await redis.client('KILL', 'ID', id);
    return ids.length;
}

async function usageSum(poolId: string): Promise<number> {
    let sum = 0;
    let cursor = '0';
    do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${keyPrefix(poolId)}s:*`, 'COUNT', 1000);
        cursor = next;
        for (const key of keys) sum += Number(await redis.hget(key, 'u'));
    } while (cursor !== '0');
    return sum;
}

describe('connection loss mid-crawl', () => {
    it('connections killed under load: ioredis reconnects and re-sends, every update is applied exactly once', async () => {
        const poolId = uniquePoolId('kill');
        const a = await fx.pool(poolId, { maxPoolSize: 4, sessionOptions: { maxUsageCount: 1_000_000 } });
        const b = await fx.pool(poolId, { maxPoolSize: 4, sessionOptions: { maxUsageCount: 1_000_000 } });
        let marks = 0;
        let running = true;
        const loop = async (pool: typeof a) => {
            while (running) {
                const lease = await pool.acquire({ timeoutSecs: 20 });
                lease.session.markGood();
                marks += 1;
                lease.release();
            }
        };
        const loops = [a, a, b, b].map(loop);
        let killed = 0;
        for (let round = 0; round < 4; round++) {
            await sleep(150);
            killed += await killConnections(poolId);
        }
        await sleep(300);
        running = false;
        await Promise.all(loops);
        expect(killed).toBeGreaterThanOrEqual(8); // 2 workers × (command + pub/sub) × 4 rounds
        expect(marks).toBeGreaterThan(100);
        await a.teardown();
        await b.teardown();
        expect(await usageSum(poolId)).toBe(marks);
        const stats = await a.fetchStats();
        expect(stats.markedGood).toBe(marks);
        expect(stats.activeLeases).toBe(0);
        expect(stats.leasedSessions).toBe(0);
        expect(stats.sessions).toBeLessThanOrEqual(4);
    });

    it('Redis gone: operations fail with a clear, typed error; a release made meanwhile is applied once Redis is back', async () => {
        const forwarder = new RedisForwarder();
        await forwarder.start();
        const poolId = uniquePoolId('gone');
        const { log, lines } = captureLog();
        const pool = await fx.pool(poolId, { maxPoolSize: 2, log }, { url: forwarder.url, maxRetriesPerRequest: 2, log });
        try {
            const held = await pool.acquire();
            held.release();
            const lease = await pool.acquire();
            await forwarder.stop();

            const started = Date.now();
            const error = (await pool.acquire().catch((caught: unknown) => caught)) as RedisUnavailableError;
            expect(Date.now() - started).toBeLessThan(5000);
            expect(error).toBeInstanceOf(RedisUnavailableError);
            expect(error).toBeInstanceOf(SharedStoreUnavailableError);
            expect(error.message).toMatch(
                new RegExp(`Lost the connection to Redis at redis://127\\.0\\.0\\.1:${forwarder.port} \\(acquire: .*\\) and it did not come back within 2 reconnection attempts\\. Nothing was half-written`),
            );
            expect(lines.some((line) => line.level === 'warning' && line.message.startsWith(`Lost the connection to Redis at ${forwarder.url}`))).toBe(true);

            // Released during the outage: retried in the background until Redis is back.
            lease.session.markGood();
            lease.release();
            await sleep(300);
            await forwarder.start();
            await waitFor(async () => (await redis.hget(`${keyPrefix(poolId)}s:${lease.session.id}`, 'u')) === '1', 10_000, 'the release to get through');
            const stats = await pool.fetchStats();
            expect(stats.activeLeases).toBe(0);
            expect(stats.markedGood).toBe(1);
            const again = await pool.acquire();
            expect(again.session.usageCount).toBe(1);
            again.release();
            await pool.teardown();
        } finally {
            await forwarder.stop();
        }
    }, 20_000);
});
