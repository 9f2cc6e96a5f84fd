import { describe, expect, it } from '@jest/globals';
import { SessionPool } from '../src/index.js';
import { UsageLimitLearner } from '../src/usage-limit.js';

describe('UsageLimitLearner', () => {
    it('learns a budget from three blocks after the same number of uses', () => {
        const learner = new UsageLimitLearner();
        expect(learner.recordBlock(40)).toBe(false);
        expect(learner.recordBlock(40)).toBe(false);
        expect(learner.limit).toBeUndefined();
        expect(learner.recordBlock(41)).toBe(true);
        expect(learner.limit).toBe(40);
    });

    it('ignores blocks on a session\'s first uses (IP bans, fingerprints)', () => {
        const learner = new UsageLimitLearner();
        for (let i = 0; i < 9; i++) learner.recordBlock(i % 2);
        expect(learner.limit).toBeUndefined();
    });

    it('learns nothing from scattered blocks', () => {
        const learner = new UsageLimitLearner();
        for (const uses of [3, 17, 40, 8, 25, 12]) learner.recordBlock(uses);
        expect(learner.limit).toBeUndefined();
    });

    it('keeps the budget despite one odd block, and follows a budget that shrinks', () => {
        const learner = new UsageLimitLearner();
        for (const uses of [30, 30, 30, 30]) learner.recordBlock(uses);
        expect(learner.limit).toBe(30);
        learner.recordBlock(9);
        expect(learner.limit).toBe(30);
        for (let i = 0; i < 9; i++) learner.recordBlock(20);
        expect(learner.limit).toBe(20);
    });
});

describe('learnUsageLimit in a pool', () => {
    async function useUntilBlocked(pool: SessionPool, budget: number): Promise<{ blocked: boolean; uses: number }> {
        const lease = await pool.acquire();
        const { session } = lease;
        let uses = 0;
        try {
            // The site's rule: the (budget + 1)th page of a visitor answers 403.
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
        }
    }

    it('retires sessions at the learned budget instead of paying a 403 each', async () => {
        const pool = new SessionPool({ persist: false, logLevel: 'off' });
        const outcomes = [];
        for (let i = 0; i < 8; i++) outcomes.push(await useUntilBlocked(pool, 7));
        expect(outcomes.slice(0, 3).every((outcome) => outcome.blocked)).toBe(true);
        expect(outcomes.slice(3)).toEqual(Array.from({ length: 5 }, () => ({ blocked: false, uses: 7 })));
        const stats = pool.getStats();
        expect(stats.learnedUsageLimit).toBe(7);
        expect(stats.retiredByReason).toMatchObject({ blocked: 3, maxUsageCount: 5 });
        await pool.teardown();
    });

    it('can be turned off', async () => {
        const pool = new SessionPool({ persist: false, logLevel: 'off', learnUsageLimit: false });
        for (let i = 0; i < 5; i++) expect((await useUntilBlocked(pool, 7)).blocked).toBe(true);
        expect(pool.getStats().learnedUsageLimit).toBeUndefined();
        await pool.teardown();
    });

    it('never raises the configured maxUsageCount', async () => {
        const pool = new SessionPool({ persist: false, logLevel: 'off', sessionOptions: { maxUsageCount: 4 } });
        for (let i = 0; i < 4; i++) expect(await useUntilBlocked(pool, 7)).toEqual({ blocked: false, uses: 4 });
        expect(pool.getStats().retiredByReason.maxUsageCount).toBe(4);
        await pool.teardown();
    });

    it('rejects a non-boolean learnUsageLimit', () => {
        expect(() => new SessionPool({ persist: false, learnUsageLimit: 'yes' as unknown as boolean })).toThrow(/Option "learnUsageLimit" must be true or false, got "yes"/);
    });
});
