import { describe, expect, it } from '@jest/globals';

import { SessionPool, type SessionPoolOptions } from '../src/index.js';
import { prng, quietLog, sleep } from './helpers.js';

interface StressResult {
    leases: number;
    outcomes: Record<'good' | 'bad' | 'retire' | 'coolDown', number>;
    maxConcurrentLeases: number;
}

/**
 * `workers` concurrent loops of acquire → random outcome → release, asserting at every lease that the
 * session is not leased by anyone else.
 */
async function stress(pool: SessionPool, workers: number, iterations: number, seed: number): Promise<StressResult> {
    const random = prng(seed);
    const leased = new Set<string>();
    const result: StressResult = { leases: 0, outcomes: { good: 0, bad: 0, retire: 0, coolDown: 0 }, maxConcurrentLeases: 0 };
    const violations: string[] = [];

    async function worker(): Promise<void> {
        for (let i = 0; i < iterations; i++) {
            const lease = await pool.acquire({ timeoutSecs: 60 });
            const { session } = lease;
            if (leased.has(session.id)) violations.push(`${session.id} leased twice`);
            if (session.retired) violations.push(`${session.id} handed out retired`);
            if (session.cooldownUntilMs > Date.now()) violations.push(`${session.id} handed out while cooling`);
            leased.add(session.id);
            result.leases += 1;
            result.maxConcurrentLeases = Math.max(result.maxConcurrentLeases, leased.size);
            const stats = pool.getStats();
            // Leases granted but not yet seen by their worker count too, so activeLeases may run ahead of `leased`.
            if (stats.activeLeases < leased.size || stats.activeLeases > pool.maxPoolSize) {
                violations.push(`activeLeases ${stats.activeLeases} with ${leased.size} leases held`);
            }
            if (stats.leasedSessions !== stats.activeLeases) violations.push(`leasedSessions ${stats.leasedSessions} != activeLeases ${stats.activeLeases}`);
            if (stats.sessions > pool.maxPoolSize) violations.push(`${stats.sessions} sessions > maxPoolSize`);

            const roll = random();
            // Hold the lease for a few microtasks, a macrotask or a millisecond or two, so that releases,
            // retirements and new sessions interleave every way they can.
            const hold = random();
            if (hold < 0.4) for (let tick = Math.floor(random() * 4); tick > 0; tick--) await Promise.resolve();
            else if (hold < 0.7) await new Promise((resolve) => setImmediate(resolve));
            else await sleep(1 + Math.floor(random() * 2));

            if (roll < 0.45) {
                result.outcomes.good += 1;
                session.markGood();
            } else if (roll < 0.7) {
                result.outcomes.bad += 1;
                session.markBad();
            } else if (roll < 0.85) {
                result.outcomes.retire += 1;
                session.retire('blocked');
            } else {
                result.outcomes.coolDown += 1;
                session.coolDown(20);
            }
            leased.delete(session.id);
            expect(lease.release()).toBe(true);
        }
    }

    await Promise.all(Array.from({ length: workers }, () => worker()));
    expect(violations).toEqual([]);
    return result;
}

function expectSettled(pool: SessionPool, result: StressResult, workers: number, iterations: number): void {
    const stats = pool.getStats();
    expect(result.leases).toBe(workers * iterations);
    expect(stats.leasesGranted).toBe(workers * iterations);
    expect(stats.sessionsCreated - stats.sessionsRetired).toBe(stats.sessions);
    expect(pool.getSessions()).toHaveLength(stats.sessions);
    expect(stats.sessions).toBeLessThanOrEqual(pool.maxPoolSize);
    expect(stats.activeLeases).toBe(0);
    expect(stats.leasedSessions).toBe(0);
    expect(stats.waitingAcquires).toBe(0);
    expect(pool.waitingCount).toBe(0);
    expect(stats.availableSessions + stats.coolingSessions).toBe(stats.sessions);
    expect(Object.values(stats.retiredByReason).reduce((a, b) => a + b, 0)).toBe(stats.sessionsRetired);
    expect(stats.retiredByReason.blocked).toBe(result.outcomes.retire);
    expect(stats.markedGood).toBe(result.outcomes.good);
    expect(stats.markedBad).toBe(result.outcomes.bad);
    expect(stats.rateLimited).toBe(result.outcomes.coolDown);
    expect(result.maxConcurrentLeases).toBeLessThanOrEqual(pool.maxPoolSize);
    expect(result.maxConcurrentLeases).toBeGreaterThan(1);
}

describe('concurrency stress', () => {
    it('200 concurrent loops over a pool of 10 never share a session and keep the counters straight', async () => {
        const options: SessionPoolOptions = { persist: false, log: quietLog(), maxPoolSize: 10, maxConcurrencyPerSession: 1, random: prng(7) };
        const pool = await SessionPool.open(options);
        try {
            const result = await stress(pool, 200, 3, 42);
            expectSettled(pool, result, 200, 3);
            expect(result.outcomes.retire).toBeGreaterThan(0);
            expect(result.outcomes.coolDown).toBeGreaterThan(0);
        } finally {
            await pool.teardown();
        }
    });

    it('the same over three proxies that get benched and revived', async () => {
        const pool = await SessionPool.open({
            persist: false,
            log: quietLog(),
            maxPoolSize: 10,
            maxConcurrencyPerSession: 1,
            random: prng(11),
            proxyConfiguration: { proxyUrls: ['http://127.0.0.2:8000', 'http://127.0.0.3:8000', 'http://127.0.0.4:8000'] },
            proxyBenchSecs: 0.05,
            proxyMaxBenchSecs: 0.2,
        });
        try {
            const result = await stress(pool, 200, 3, 4242);
            expectSettled(pool, result, 200, 3);
            const stats = pool.getStats();
            expect(stats.proxiesBenched).toBeGreaterThan(0);
            expect(stats.proxies.reduce((sum, proxy) => sum + proxy.activeSessions, 0)).toBe(stats.sessions);
        } finally {
            await pool.teardown();
        }
    });
});
