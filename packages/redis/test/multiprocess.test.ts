import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { SessionPool } from '@sessionkit/core';
import { Fixture, REDIS_URL, keyPrefix, rawClient, sleep, uniquePoolId } from './helpers.js';
import { assertCoreBuilt, startWorker } from './processes.js';

const fx = new Fixture();
let redis: Redis;
let tmp: string;

beforeAll(() => {
    assertCoreBuilt();
    redis = rawClient();
    tmp = mkdtempSync(join(tmpdir(), 'sessionkit-redis-'));
});
afterEach(() => fx.cleanup());
afterAll(async () => {
    redis.disconnect();
    rmSync(tmp, { recursive: true, force: true });
});

/** Every session hash of a pool, live and retired. */
async function sessionHashes(poolId: string): Promise<Record<string, string>[]> {
    const hashes: Record<string, string>[] = [];
    let cursor = '0';
    do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${keyPrefix(poolId)}s:*`, 'COUNT', 1000);
        cursor = next;
        for (const key of keys) hashes.push(await redis.hgetall(key));
    } while (cursor !== '0');
    return hashes;
}

describe('separate worker processes sharing one pool', () => {
    it('4 processes × 2,000 acquire→mark→release cycles: no lost update, never two leases on one session', async () => {
        const poolId = uniquePoolId('hammer');
        fx.poolIds.add(poolId);
        const workers = Array.from({ length: 4 }, (_, index) =>
            startWorker({
                mode: 'hammer',
                redisUrl: REDIS_URL,
                poolId,
                seed: 1000 + index,
                maxPoolSize: 8,
                cycles: 2000,
                concurrency: 4,
                maxUsageCount: 50,
                outFile: join(tmp, `${poolId}-${index}.json`),
            }),
        );
        const results = await Promise.all(
            workers.map(async (worker) => {
                const line = await worker.waitForLine((text) => text.startsWith('{'), 50_000);
                const exit = await worker.exited;
                expect(exit.code).toBe(0);
                return JSON.parse(line) as { marks: number; retires: number; created: number; retired: number; markedGood: number; markedBad: number; retiredEvents: number };
            }),
        );
        const totalMarks = results.reduce((sum, result) => sum + result.marks, 0);
        expect(totalMarks).toBeGreaterThan(7000);

        // Counts add up exactly: every mark of every process is in exactly one session's usage count.
        const hashes = await sessionHashes(poolId);
        const usageSum = hashes.reduce((sum, hash) => sum + Number(hash.u), 0);
        expect(usageSum).toBe(totalMarks);
        const shared = new SessionPool({ store: fx.store(poolId) });
        fx.pools.push(shared);
        const stats = await shared.fetchStats();
        expect(stats.markedGood + stats.markedBad).toBe(totalMarks);
        expect(stats.markedGood).toBe(results.reduce((sum, result) => sum + result.markedGood, 0));
        expect(stats.sessionsCreated).toBe(results.reduce((sum, result) => sum + result.created, 0));
        expect(stats.sessionsRetired).toBe(results.reduce((sum, result) => sum + result.retired, 0));
        expect(stats.sessions).toBe(stats.sessionsCreated - stats.sessionsRetired);
        expect(hashes.filter((hash) => !hash.r)).toHaveLength(stats.sessions);
        expect(stats.sessionsRetired).toBeGreaterThan(100); // maxUsageCount, errorScore and retire() all happened
        expect(stats.retiredByReason.maxUsageCount).toBeGreaterThan(0);
        expect(stats.retiredByReason.manual).toBeGreaterThan(0);
        expect(stats.leasesGranted).toBe(4 * 2000);
        expect(stats.activeLeases).toBe(0);
        expect(stats.leasedSessions).toBe(0);
        expect(stats.sessions).toBeLessThanOrEqual(8);
        // Every process saw retirements made by the others too.
        for (const result of results) expect(result.retiredEvents).toBeGreaterThan(result.retired);

        // Lease exclusivity: per session, the lease intervals of all processes never overlap.
        const bySession = new Map<string, [number, number][]>();
        for (let index = 0; index < 4; index++) {
            const intervals = JSON.parse(readFileSync(join(tmp, `${poolId}-${index}.json`), 'utf8')) as [string, number, number][];
            expect(intervals).toHaveLength(2000);
            for (const [id, start, end] of intervals) {
                const list = bySession.get(id) ?? [];
                list.push([start, end]);
                bySession.set(id, list);
            }
        }
        let overlaps = 0;
        let shared2 = 0;
        for (const list of bySession.values()) {
            list.sort((a, b) => a[0] - b[0]);
            for (let i = 1; i < list.length; i++) if (list[i]![0] < list[i - 1]![1]) overlaps += 1;
            if (list.length > 1) shared2 += 1;
        }
        expect(overlaps).toBe(0);
        expect(shared2).toBeGreaterThan(10);
    }, 60_000);

    it('a worker killed with SIGKILL while holding leases: its sessions come back after the lease TTL', async () => {
        const poolId = uniquePoolId('crash');
        fx.poolIds.add(poolId);
        const worker = startWorker({ mode: 'hold', redisUrl: REDIS_URL, poolId, seed: 7, maxPoolSize: 3, hold: 3, leaseTtlSecs: 1 });
        const held = (JSON.parse(await worker.waitForLine((line) => line.startsWith('{'))) as { held: string[] }).held;
        expect(new Set(held).size).toBe(3);
        worker.child.kill('SIGKILL');
        const exit = await worker.exited;
        expect(exit.signal).toBe('SIGKILL');
        const killedAt = Date.now();

        const pool = await fx.pool(poolId, { maxPoolSize: 3 }, { leaseTtlSecs: 1 });
        expect((await pool.fetchStats()).activeLeases).toBe(3); // still held by the dead worker
        const leases = await Promise.all([0, 1, 2].map(() => pool.acquire({ timeoutSecs: 10 })));
        expect(new Set(leases.map((lease) => lease.session.id))).toEqual(new Set(held));
        expect(Date.now() - killedAt).toBeLessThan(8000);
        for (const lease of leases) lease.release();
        const stats = await pool.fetchStats();
        expect(stats.leasesExpired).toBe(3);
        expect(stats.sessionsCreated).toBe(3); // nothing new minted: the dead worker's sessions were reused
    }, 30_000);

    it('a retirement in one process is seen by all: event in each, never handed out again', async () => {
        const poolId = uniquePoolId('seen');
        const pool = await fx.pool(poolId, { maxPoolSize: 4, sessionOptions: { maxUsageCount: 1_000_000 } });
        const sessions = [];
        for (let i = 0; i < 4; i++) sessions.push(await pool.addSession());
        const workers = [0, 1, 2].map((index) => startWorker({ mode: 'watch', redisUrl: REDIS_URL, poolId, seed: 50 + index, maxPoolSize: 4, maxUsageCount: 1_000_000 }));
        await Promise.all(workers.map((worker) => worker.waitForLine((line) => line === 'ready')));
        await sleep(400); // every worker leases sessions for a while
        const victims = [sessions[0]!.id, sessions[1]!.id];
        for (const id of victims) expect(pool.retireSession(id)).toBe(true);
        for (let i = 0; i < 100; i++) {
            const states = await Promise.all(victims.map((id) => redis.hget(`${keyPrefix(poolId)}s:${id}`, 'r')));
            if (states.every((state) => state === 'manual')) break;
            await sleep(10);
        }
        const confirmedAt = performance.timeOrigin + performance.now();
        await sleep(400);
        for (const worker of workers) worker.child.stdin!.write('stop\n');
        const reports = await Promise.all(
            workers.map(async (worker) => {
                const line = await worker.waitForLine((text) => text.startsWith('{'));
                return JSON.parse(line) as { leases: { id: string; requested: number; start: number }[]; retiredEvents: { id: string; reason: string; at: number }[] };
            }),
        );
        for (const report of reports) {
            for (const id of victims) {
                const leasedBefore = report.leases.some((lease) => lease.id === id && lease.start < confirmedAt);
                const events = report.retiredEvents.filter((event) => event.id === id);
                if (leasedBefore) {
                    expect(events).toHaveLength(1); // heard of it once
                    expect(events[0]!.reason).toBe('manual');
                    // after hearing of it, never asked for and given it again
                    expect(report.leases.filter((lease) => lease.id === id && lease.requested > events[0]!.at)).toEqual([]);
                }
                // nobody got it from an acquire made after the retirement was in Redis
                expect(report.leases.filter((lease) => lease.id === id && lease.requested > confirmedAt)).toEqual([]);
            }
            expect(report.leases.length).toBeGreaterThan(20);
        }
        // each victim had been leased by at least two of the workers, and all of those heard of its retirement
        for (const id of victims) {
            expect(reports.filter((report) => report.leases.some((lease) => lease.id === id)).length).toBeGreaterThanOrEqual(2);
        }
        const stats = await pool.fetchStats();
        expect(stats.retiredByReason.manual).toBe(2);
        expect(pool.getStats().sessionsRetired).toBe(2); // counted by the process that retired them
    }, 40_000);
});
