// ioredis errors carry the command and its arguments, and the scripts' arguments include proxy URLs: what the
// store throws must not print their passwords.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import { inspect } from 'node:util';

import { RedisLink } from '../src/link.js';
import { rawClient } from './helpers.js';

let redis: Redis;
beforeAll(() => {
    redis = rawClient();
});
afterAll(() => redis.disconnect());

describe('errors from Redis', () => {
    it('keep no proxy password in their message, their cause or what util.inspect() prints', async () => {
        const replyError: unknown = await redis.eval("return redis.error_reply('refused')", 0, 'http://crawler:TOP-SECRET@127.0.0.2:8000').catch((error: unknown) => error);
        expect(inspect(replyError, { depth: 6 })).toContain('TOP-SECRET'); // what ioredis itself would print
        const link = new RedisLink(redis, redis, false, 0, '7', 'sk:secrets:', 'redis://127.0.0.1:6379', 0);
        const wrapped = link.wrap('acquire', replyError);
        expect(wrapped.message).toContain('Redis refused the "acquire" script');
        expect(wrapped.cause).toBeInstanceOf(Error);
        expect(inspect(wrapped, { depth: 6 })).not.toContain('TOP-SECRET');
    });
});
