import { EventEmitter } from 'node:events';

import { describe, expect, it } from '@jest/globals';

import {
    CorruptStateError,
    DEFAULT_SESSION_LIMITS,
    InvalidOptionError,
    RETIRE_REASONS,
    type RetireReason,
    Session,
    SessionPool,
    type SessionState,
} from '../src/index.js';
import { quietLog } from './helpers.js';

describe('Session defaults', () => {
    it('uses the Crawlee defaults when standalone', () => {
        const before = Date.now();
        const session = new Session();
        expect(session.maxAgeSecs).toBe(3000);
        expect(session.maxErrorScore).toBe(3);
        expect(session.errorScoreDecrement).toBe(0.5);
        expect(session.maxUsageCount).toBe(50);
        expect(session.limits.blockedStatusCodes).toEqual([401, 403]);
        expect(session.limits.rateLimitStatusCodes).toEqual([429]);
        expect(session.usageCount).toBe(0);
        expect(session.errorScore).toBe(0);
        expect(session.errorCount).toBe(0);
        expect(session.userData).toEqual({});
        expect(session.retired).toBe(false);
        expect(session.retireReason).toBeUndefined();
        expect(session.createdAtMs).toBeGreaterThanOrEqual(before);
        expect(session.expiresAtMs - session.createdAtMs).toBe(3000 * 1000);
        expect(session.expiresAt.getTime()).toBe(session.expiresAtMs);
        expect(session.createdAt.getTime()).toBe(session.createdAtMs);
        expect(session.id).toMatch(/^session_[0-9a-z]+$/);
        expect(new Session().id).not.toBe(session.id);
        expect(DEFAULT_SESSION_LIMITS.maxAgeSecs).toBe(3000);
        expect(RETIRE_REASONS).toEqual(['blocked', 'manual', 'errorScore', 'maxUsageCount', 'expired', 'proxyBenched', 'oversizedCookies']);
    });

    it('takes its options', () => {
        const createdAt = new Date('2030-01-01T00:00:00.000Z');
        const session = new Session({
            id: 'my-id',
            maxAgeSecs: 10,
            maxErrorScore: 5,
            errorScoreDecrement: 1,
            maxUsageCount: 7,
            usageCount: 2,
            errorScore: 1.5,
            errorCount: 4,
            createdAt,
            userData: { token: 'x' },
            blockedStatusCodes: [418],
            proxyUrl: 'http://127.0.0.2:8000',
        });
        expect(session.id).toBe('my-id');
        expect(session.maxAgeSecs).toBe(10);
        expect(session.maxErrorScore).toBe(5);
        expect(session.errorScoreDecrement).toBe(1);
        expect(session.maxUsageCount).toBe(7);
        expect(session.usageCount).toBe(2);
        expect(session.errorScore).toBe(1.5);
        expect(session.errorCount).toBe(4);
        expect(session.createdAtMs).toBe(createdAt.getTime());
        expect(session.expiresAtMs).toBe(createdAt.getTime() + 10_000);
        expect(session.userData).toEqual({ token: 'x' });
        expect(session.limits.blockedStatusCodes).toEqual([418]);
        expect(session.proxyUrl).toBe('http://127.0.0.2:8000');
    });
});

describe('Session aliases', () => {
    it('reclaim() is markGood() and fail() is markBad()', () => {
        const session = new Session();
        session.fail();
        expect(session.errorScore).toBe(1);
        expect(session.errorCount).toBe(1);
        expect(session.usageCount).toBe(1);
        session.reclaim();
        expect(session.errorScore).toBe(0.5);
        expect(session.usageCount).toBe(2);
        expect(session.errorCount).toBe(1);
    });

    it('maxSessionUsageCount is maxUsageCount', () => {
        const session = new Session({ maxSessionUsageCount: 4 });
        expect(session.maxUsageCount).toBe(4);
        expect(new Session({ maxUsageCount: 4, maxSessionUsageCount: 4 }).maxUsageCount).toBe(4);
        expect(() => new Session({ maxUsageCount: 4, maxSessionUsageCount: 5 })).toThrow(/maxSessionUsageCount.*alias of maxUsageCount/);
    });

    it('expiredAt is expiresAt', () => {
        const expiredAt = new Date(Date.now() + 5_000);
        const session = new Session({ expiredAt });
        expect(session.expiresAtMs).toBe(expiredAt.getTime());
        expect(session.isExpired()).toBe(false);
        expect(new Session({ expiredAt: Date.now() - 1 }).isExpired()).toBe(true);
        expect(new Session({ expiresAt: '2001-01-01T00:00:00Z' }).isExpired()).toBe(true);
    });
});

describe('Session health', () => {
    it('isBlocked / isExpired / isMaxUsageCountReached / isUsable', () => {
        const fresh = new Session();
        expect([fresh.isBlocked(), fresh.isExpired(), fresh.isMaxUsageCountReached(), fresh.isUsable()]).toEqual([false, false, false, true]);

        const blocked = new Session({ errorScore: 3 });
        expect(blocked.isBlocked()).toBe(true);
        expect(blocked.isUsable()).toBe(false);
        expect(blocked.retired).toBe(false);

        const old = new Session({ createdAt: Date.now() - 11_000, maxAgeSecs: 10 });
        expect(old.isExpired()).toBe(true);
        expect(old.isUsable()).toBe(false);
        expect(old.isExpired(old.createdAtMs + 9_999)).toBe(false);
        expect(old.isUsable(old.createdAtMs + 9_999)).toBe(true);

        const usedUp = new Session({ usageCount: 5, maxUsageCount: 5 });
        expect(usedUp.isMaxUsageCountReached()).toBe(true);
        expect(usedUp.isUsable()).toBe(false);
        expect(new Session({ usageCount: 4, maxUsageCount: 5 }).isMaxUsageCountReached()).toBe(false);
    });

    it('markGood heals the error score by errorScoreDecrement, never below 0', () => {
        const session = new Session({ errorScore: 1.2 });
        session.markGood();
        expect(session.errorScore).toBeCloseTo(0.7, 10);
        session.markGood();
        expect(session.errorScore).toBeCloseTo(0.2, 10);
        session.markGood();
        expect(session.errorScore).toBe(0);
        session.markGood();
        expect(session.errorScore).toBe(0);
        expect(session.usageCount).toBe(4);
        expect(session.markCount).toBe(4);
    });

    it('markBad retires the session at maxErrorScore with reason "errorScore"', () => {
        const session = new Session();
        session.markBad();
        session.markBad();
        expect(session.retired).toBe(false);
        expect(session.isUsable()).toBe(true);
        session.markBad();
        expect(session.retired).toBe(true);
        expect(session.retireReason).toBe('errorScore');
        expect(session.isBlocked()).toBe(true);
        expect(session.isUsable()).toBe(false);
        expect(session.errorCount).toBe(3);
        expect(session.usageCount).toBe(3);
    });

    it('reaching maxUsageCount retires with reason "maxUsageCount"', () => {
        const session = new Session({ maxUsageCount: 2 });
        session.markGood();
        expect(session.retired).toBe(false);
        session.markGood();
        expect(session.retired).toBe(true);
        expect(session.retireReason).toBe('maxUsageCount');

        const viaBad = new Session({ maxUsageCount: 2 });
        viaBad.markGood();
        viaBad.markBad();
        expect(viaBad.retireReason).toBe('maxUsageCount');
    });

    it('retire() raises the error score to the maximum and defaults to reason "manual"', () => {
        const session = new Session({ errorScore: 1 });
        session.retire();
        expect(session.retired).toBe(true);
        expect(session.retireReason).toBe('manual');
        expect(session.errorScore).toBe(3);
        expect(session.isBlocked()).toBe(true);
    });

    it('retire() counts the retiring use, as Crawlee does; a retirement by wear does not count one twice', () => {
        const session = new Session();
        session.retire();
        expect(session.usageCount).toBe(1);
        const blocked = new Session({ usageCount: 4 });
        expect(blocked.retireOnBlockedStatusCodes(403)).toBe(true);
        expect(blocked.usageCount).toBe(5);
        const wornOut = new Session({ maxUsageCount: 2 });
        wornOut.markGood();
        wornOut.markGood();
        expect(wornOut.retireReason).toBe('maxUsageCount');
        expect(wornOut.usageCount).toBe(2);
        const failing = new Session({ maxErrorScore: 1 });
        failing.markBad();
        expect(failing.retireReason).toBe('errorScore');
        expect(failing.usageCount).toBe(1);
    });

    it('errorScore, usageCount and errorCount are read-only: only judging the session changes them', () => {
        const session = new Session();
        for (const field of ['errorScore', 'usageCount', 'errorCount']) {
            expect(() => {
                (session as unknown as Record<string, number>)[field] = 99;
            }).toThrow(TypeError);
        }
        expect(session.isUsable()).toBe(true);
        expect([session.errorScore, session.usageCount, session.errorCount]).toEqual([0, 0, 0]);
    });

    it('markGood / markBad / coolDown after retire do nothing: retire is terminal', () => {
        const session = new Session();
        session.retire();
        const { usageCount, errorScore, markCount } = session;
        session.markGood();
        session.markGood();
        session.markBad();
        session.coolDown(1000);
        expect(session.retired).toBe(true);
        expect(session.isUsable()).toBe(false);
        expect(session.usageCount).toBe(usageCount);
        expect(session.errorScore).toBe(errorScore);
        expect(session.markCount).toBe(markCount);
        expect(session.cooldownUntilMs).toBe(0);
    });

    it('standalone coolDown sets cooldownUntilMs', () => {
        const session = new Session();
        const before = Date.now();
        session.coolDown(5_000);
        const after = Date.now();
        expect(session.cooldownUntilMs).toBeGreaterThanOrEqual(before + 5_000);
        expect(session.cooldownUntilMs).toBeLessThanOrEqual(after + 5_000);
        expect(session.isCoolingDown()).toBe(true);
        expect(session.isUsable()).toBe(true);
        expect(session.isCoolingDown(session.cooldownUntilMs)).toBe(false);
    });
});

describe('retire() is idempotent', () => {
    it('emits sessionRetired once on a plain EventEmitter passed as sessionPool', () => {
        const emitter = new EventEmitter();
        const events: [string, RetireReason][] = [];
        emitter.on('sessionRetired', (session: Session, reason: RetireReason) => events.push([session.id, reason]));
        const session = new Session({ sessionPool: emitter });
        session.retire('blocked');
        session.retire('manual');
        session.retire();
        session.markBad();
        expect(events).toEqual([[session.id, 'blocked']]);
        expect(session.retireReason).toBe('blocked');
    });

    it('emits sessionRetired on the pool it was given even when never added to that pool', async () => {
        const pool = await SessionPool.open({ persist: false, log: quietLog() });
        try {
            const events: [string, RetireReason][] = [];
            pool.on('sessionRetired', (session, reason) => events.push([session.id, reason]));
            const session = new Session({ sessionPool: pool });
            session.retire('blocked');
            session.retire();
            expect(events).toEqual([[session.id, 'blocked']]);
            // Not the pool's session: its counts are untouched.
            expect(pool.retiredSessionsCount).toBe(0);
            expect(pool.getStats().retiredByReason.blocked).toBe(0);
        } finally {
            await pool.teardown();
        }
    });

    it.each<[string, unknown]>([
        ['a plain object', {}],
        ['a string', 'pool'],
        ['null', null],
        ['an object whose emit is not a function', { emit: true }],
    ])('rejects %s as sessionPool with InvalidOptionError at construction', (_name, sessionPool) => {
        let error: unknown;
        try {
            new Session({ sessionPool: sessionPool as never });
        } catch (caught) {
            error = caught;
        }
        expect(error).toBeInstanceOf(InvalidOptionError);
        expect((error as InvalidOptionError).option).toBe('sessionPool');
        expect((error as Error).message).toMatch(/Option "sessionPool" must be a SessionPool or an EventEmitter/);
    });

    it("fires a pool's sessionRetired listener once", async () => {
        const pool = await SessionPool.open({ persist: false, log: quietLog() });
        try {
            const reasons: RetireReason[] = [];
            pool.on('sessionRetired', (_session, reason) => reasons.push(reason));
            const session = await pool.getSession();
            session.retire('blocked');
            session.retire();
            session.markBad();
            session.retireOnBlockedStatusCodes(403);
            expect(pool.retireSession(session)).toBe(false);
            expect(reasons).toEqual(['blocked']);
            expect(pool.retiredSessionsCount).toBe(1);
            expect(pool.getStats().retiredByReason.blocked).toBe(1);
            expect(pool.getStats().retiredByReason.manual).toBe(0);
        } finally {
            await pool.teardown();
        }
    });

    it('markGood after retire does not bring a pool session back', async () => {
        const pool = await SessionPool.open({ persist: false, log: quietLog() });
        try {
            const session = await pool.getSession();
            session.retire();
            session.markGood();
            expect(session.isUsable()).toBe(false);
            expect(pool.usableSessionsCount).toBe(0);
            expect(await pool.getSession(session.id)).toBeUndefined();
            const next = await pool.getSession();
            expect(next.id).not.toBe(session.id);
        } finally {
            await pool.teardown();
        }
    });
});

describe('blocked status codes', () => {
    it('a standalone session agrees with a pool on 429: a cooldown, not a block', () => {
        const session = new Session();
        expect(session.retireOnBlockedStatusCodes(429)).toBe(false);
        expect(session.retired).toBe(false);
        expect(session.isCoolingDown()).toBe(true);
        const strict = new Session({ blockedStatusCodes: [401, 403, 429] });
        expect(strict.retireOnBlockedStatusCodes(429)).toBe(true);
        expect(strict.retireReason).toBe('blocked');
    });

    it('retireOnBlockedStatusCodes retires on 401/403 standalone, plus extra codes', () => {
        for (const code of [401, 403]) {
            const session = new Session();
            expect(session.retireOnBlockedStatusCodes(code)).toBe(true);
            expect(session.retired).toBe(true);
            expect(session.retireReason).toBe('blocked');
        }
        const ok = new Session();
        expect(ok.retireOnBlockedStatusCodes(200)).toBe(false);
        expect(ok.retireOnBlockedStatusCodes(500)).toBe(false);
        expect(ok.retired).toBe(false);

        const extra = new Session();
        expect(extra.retireOnBlockedStatusCodes(418)).toBe(false);
        expect(extra.retireOnBlockedStatusCodes(418, [418, 451])).toBe(true);
        expect(extra.retireReason).toBe('blocked');
    });

    it('in a pool, 429 cools down (returns false) unless 429 is a pool blocked code', async () => {
        const pool = await SessionPool.open({ persist: false, log: quietLog(), rateLimitBackoffSecs: 5 });
        const strict = await SessionPool.open({ persist: false, log: quietLog(), blockedStatusCodes: [401, 403, 429] });
        try {
            const lease = await pool.acquire();
            expect(lease.session.retireOnBlockedStatusCodes(429)).toBe(false);
            expect(lease.session.retired).toBe(false);
            expect(lease.session.cooldownUntilMs).toBeGreaterThan(Date.now());
            expect(pool.getStats().rateLimited).toBe(1);
            expect(lease.session.retireOnBlockedStatusCodes(403)).toBe(true);
            expect(lease.session.retireReason).toBe('blocked');
            lease.release();

            expect(strict.sessionLimits.rateLimitStatusCodes).toEqual([]);
            const strictLease = await strict.acquire();
            expect(strictLease.session.retireOnBlockedStatusCodes(429)).toBe(true);
            expect(strictLease.session.retireReason).toBe('blocked');
            expect(strict.getStats().rateLimited).toBe(0);
            strictLease.release();
        } finally {
            await pool.teardown();
            await strict.teardown();
        }
    });

    it('isBlockedStatusCode takes extra and ignore lists', () => {
        const session = new Session();
        expect(session.isBlockedStatusCode(403)).toBe(true);
        expect(session.isBlockedStatusCode(404)).toBe(false);
        expect(session.isBlockedStatusCode(404, { extra: [404] })).toBe(true);
        expect(session.isBlockedStatusCode(403, { ignore: [403] })).toBe(false);
        expect(session.isBlockedStatusCode(404, { extra: [404], ignore: [404] })).toBe(false);
        expect(session.retired).toBe(false);
        const custom = new Session({ blockedStatusCodes: [418] });
        expect(custom.isBlockedStatusCode(403)).toBe(false);
        expect(custom.isBlockedStatusCode(418)).toBe(true);
    });
});

describe('getState / fromState', () => {
    it('round-trips every field, cookies included', () => {
        const session = new Session({
            maxAgeSecs: 100,
            maxErrorScore: 4,
            errorScoreDecrement: 0.25,
            maxUsageCount: 9,
            userData: { a: [1, 2], b: 'x' },
            proxyUrl: 'http://user:pass@127.0.0.2:8000',
        });
        session.markBad();
        session.markGood();
        session.setCookie('sid=abc; Path=/; HttpOnly', 'https://www.example.com/login');
        session.setCookie('pref=dark; Domain=example.com', 'https://www.example.com/');
        session.coolDown(60_000);

        const state = session.getState();
        expect(state).toMatchObject({
            id: session.id,
            userData: { a: [1, 2], b: 'x' },
            maxAgeSecs: 100,
            maxErrorScore: 4,
            errorScoreDecrement: 0.25,
            maxUsageCount: 9,
            usageCount: 2,
            errorScore: 0.75,
            errorCount: 1,
            createdAt: new Date(session.createdAtMs).toISOString(),
            expiresAt: new Date(session.expiresAtMs).toISOString(),
            proxyUrl: 'http://user:pass@127.0.0.2:8000',
            cooldownUntil: new Date(session.cooldownUntilMs).toISOString(),
        });
        expect(state.cookieJar?.cookies).toHaveLength(2);

        const copy = Session.fromState(JSON.parse(JSON.stringify(state)) as SessionState);
        expect(copy.id).toBe(session.id);
        expect(copy.usageCount).toBe(2);
        expect(copy.errorScore).toBe(0.75);
        expect(copy.errorCount).toBe(1);
        expect(copy.maxUsageCount).toBe(9);
        expect(copy.maxErrorScore).toBe(4);
        expect(copy.errorScoreDecrement).toBe(0.25);
        expect(copy.maxAgeSecs).toBe(100);
        expect(copy.createdAtMs).toBe(session.createdAtMs);
        expect(copy.expiresAtMs).toBe(session.expiresAtMs);
        expect(copy.cooldownUntilMs).toBe(session.cooldownUntilMs);
        expect(copy.proxyUrl).toBe('http://user:pass@127.0.0.2:8000');
        expect(copy.userData).toEqual({ a: [1, 2], b: 'x' });
        expect(copy.getCookieString('https://www.example.com/')).toBe('sid=abc; pref=dark');
        expect(copy.getCookieString('https://shop.example.com/')).toBe('pref=dark');
        // Reading cookies bumps their lastAccessed, so compare the jar by content.
        const { cookieJar: copyJar, ...copyRest } = copy.getState();
        const { cookieJar: jar, ...rest } = state;
        expect(copyRest).toEqual(rest);
        expect(copyJar?.cookies.map((c) => [c.key, c.value, c.domain, c.path, c.hostOnly])).toEqual(
            jar?.cookies.map((c) => [c.key, c.value, c.domain, c.path, c.hostOnly]),
        );
    });

    it('always includes the cookie jar, as Crawlee does, and omits absent proxies and finished cooldowns', () => {
        const session = new Session();
        const state = session.getState();
        expect(state.cookieJar).toMatchObject({ cookies: [] });
        // Reading the state does not give the session a jar of its own.
        session.setCookie('a=1', 'https://example.com/');
        expect(state.cookieJar.cookies).toEqual([]);
        expect(Session.fromState(JSON.parse(JSON.stringify(state)) as SessionState).getAllCookies()).toEqual([]);
        expect(state.proxyUrl).toBeUndefined();
        expect(state.cooldownUntil).toBeUndefined();
    });

    it.each<[string, unknown]>([
        ['usageCount', 'many'],
        ['usageCount', -1],
        ['errorScore', Number.NaN],
        ['maxErrorScore', 0],
        ['createdAt', 'not a date'],
        ['expiresAt', {}],
        ['id', 42],
        ['userData', 'x'],
        ['cookieJar', 'not a jar'],
        ['proxyUrl', 'not a url'],
    ])('rejects a state with a bad %s as CorruptStateError', (field, value) => {
        const state = { ...new Session().getState(), [field]: value } as SessionState;
        let error: unknown;
        try {
            Session.fromState(state);
        } catch (caught) {
            error = caught;
        }
        expect(error).toBeInstanceOf(CorruptStateError);
        expect((error as CorruptStateError).code).toBe('ERR_CORRUPT_STATE');
        expect((error as Error).message).toContain(field);
    });

    it('rejects states that are not objects or lack required fields', () => {
        expect(() => Session.fromState(null as unknown as SessionState)).toThrow(CorruptStateError);
        expect(() => Session.fromState('x' as unknown as SessionState)).toThrow(CorruptStateError);
        expect(() => Session.fromState({} as SessionState)).toThrow(CorruptStateError);
        const { id: _id, ...withoutId } = new Session().getState();
        expect(() => Session.fromState(withoutId as SessionState)).toThrow(/"id"/);
        const { createdAt: _createdAt, ...withoutCreatedAt } = new Session().getState();
        expect(() => Session.fromState(withoutCreatedAt as SessionState)).toThrow(/"createdAt"/);
    });
});

describe('Session option validation', () => {
    it.each<[string, Record<string, unknown>, RegExp]>([
        ['maxAgeSecs', { maxAgeSecs: 0 }, /Option "maxAgeSecs" must be a number of seconds > 0 and <= 2147483 \(about 24\.8 days\), got 0\./],
        ['maxErrorScore', { maxErrorScore: -1 }, /Option "maxErrorScore" must be a number greater than 0, got -1\./],
        ['errorScoreDecrement', { errorScoreDecrement: 'x' }, /Option "errorScoreDecrement" must be a number >= 0, got "x"\./],
        ['maxUsageCount', { maxUsageCount: 1.5 }, /Option "maxUsageCount" must be an integer >= 1, got 1\.5\./],
        ['maxSessionUsageCount', { maxSessionUsageCount: 0 }, /Option "maxSessionUsageCount" must be an integer >= 1, got 0\./],
        ['id', { id: '' }, /Option "id" must be a non-empty string, got ""\./],
        ['createdAt', { createdAt: 'yesterday' }, /Option "createdAt" must be a Date, an ISO date string or epoch milliseconds, got "yesterday"\./],
        ['blockedStatusCodes', { blockedStatusCodes: [403, 999] }, /Option "blockedStatusCodes" must be an array of HTTP status codes \(100-599\); 999 is not one, got \[403,999\]\./],
        ['blockedStatusCodes', { blockedStatusCodes: 403 }, /Option "blockedStatusCodes" must be an array of HTTP status codes.*got 403\./],
        ['userData', { userData: [1] }, /Option "userData" must be an object, got \[1\]\./],
        ['proxyUrl', { proxyUrl: 'nope' }, /Option "proxyUrl" must be a valid URL, got "nope"\./],
        ['cookies', { cookies: [{ name: 'a', value: '1' }] }, /Option "cookies" must give every cookie a "domain"/],
        ['unknown key', { maxErrorScor: 3 }, /Option "maxErrorScor" is not a known option of Session \(did you mean "maxErrorScore"\?\), got 3\./],
    ])('rejects a bad %s', (_name, options, message) => {
        let error: unknown;
        try {
            new Session(options);
        } catch (caught) {
            error = caught;
        }
        expect(error).toBeInstanceOf(InvalidOptionError);
        expect((error as InvalidOptionError).code).toBe('ERR_INVALID_OPTION');
        expect((error as Error).message).toMatch(message);
    });

    it('names the option and value on the error object', () => {
        try {
            new Session({ maxAgeSecs: -5 });
            throw new Error('did not throw');
        } catch (error) {
            expect(error).toBeInstanceOf(InvalidOptionError);
            expect((error as InvalidOptionError).option).toBe('maxAgeSecs');
            expect((error as InvalidOptionError).value).toBe(-5);
            expect((error as Error).name).toBe('InvalidOptionError');
        }
    });
});
