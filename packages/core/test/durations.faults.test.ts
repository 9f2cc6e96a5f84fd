// One rule for every …Secs option of the pool (checkDurationSecs): nothing that would overflow a timer or a
// state file's dates gets in; see packages/http/test/durations.faults.test.ts for the crawler's options.
import { describe, expect, it } from '@jest/globals';

import { InvalidOptionError, SessionPool } from '../src/index.js';

describe('duration options of the pool', () => {
    it.each<[string, unknown]>([
        ['acquireTimeoutSecs', Number.POSITIVE_INFINITY],
        ['acquireTimeoutSecs', 1e10],
        ['persistIntervalSecs', Number.POSITIVE_INFINITY],
        ['maxCooldownSecs', 1e9],
        ['proxyBenchSecs', Number.POSITIVE_INFINITY],
        ['rateLimitMaxBackoffSecs', -1],
    ])('%s = %p is refused with InvalidOptionError naming it', (option, value) => {
        expect(() => new SessionPool({ [option]: value, persist: false })).toThrow(InvalidOptionError);
        expect(() => new SessionPool({ [option]: value, persist: false })).toThrow(new RegExp(`Option "${option}" must be a number of seconds`));
    });

    it('maxAgeSecs = Infinity is refused (a state file could not write its expiry)', () => {
        expect(() => new SessionPool({ sessionOptions: { maxAgeSecs: Number.POSITIVE_INFINITY }, persist: false })).toThrow(/"sessionOptions.maxAgeSecs" must be a number of seconds/);
    });

    it.each([-1, Number.NaN, 'abc', Number.POSITIVE_INFINITY])('acquire({ timeoutSecs: %p }) rejects naming the argument', async (timeoutSecs) => {
        const pool = await SessionPool.open({ persist: false });
        await expect(pool.acquire({ timeoutSecs: timeoutSecs as number })).rejects.toThrow(/Option "acquire\(\{ timeoutSecs \}\)" must be a number of seconds/);
        await pool.teardown();
    });
});
