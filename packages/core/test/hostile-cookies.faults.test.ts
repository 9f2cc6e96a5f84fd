// Cookies from hostile or careless sources: what a site sends is skipped and counted, never fatal; what a caller
// gets wrong is a named InvalidOptionError.
import { describe, expect, it } from '@jest/globals';

import { InvalidOptionError, MAX_COOKIES_PER_SESSION, MAX_COOKIE_BYTES_PER_SESSION, MemorySessionStore, Session, SessionPool } from '../src/index.js';
import { quietLog } from './helpers.js';

const url = 'https://shop.example.com/';

describe('cookie expiries that are not a valid time', () => {
    it.each([Number.NaN, Number.POSITIVE_INFINITY, 1e20, 'not a date'])('expires %p: that cookie is skipped and counted, the rest of the jar kept', async (expires) => {
        const pool = await SessionPool.open({ persist: false, log: quietLog() });
        const lease = await pool.acquire();
        const { session } = lease;
        const stored = session.setCookies(
            [
                { name: 'good', value: '1' },
                { name: 'bad', value: '2', expires: expires as number },
                { name: 'also', value: '3', expires: Date.now() / 1000 + 3600 },
            ],
            url,
        );
        expect(stored).toBe(2);
        expect(pool.getStats().malformedCookies).toBe(1);
        expect(session.getCookieString(url)).toBe('good=1; also=3');
        // The state still serializes, with both good cookies.
        const state = session.getState();
        expect(JSON.stringify(state)).toContain('"also"');
        expect(new Session({ ...state, cookieJar: state.cookieJar }).getCookieString(url)).toBe('good=1; also=3');
        lease.release();
        await pool.teardown();
    });

    it('a saved state holding one cookie with an invalid expiry loads the rest and saves again', async () => {
        const store = new MemorySessionStore();
        const first = await SessionPool.open({ persist: 'explicit', store, log: quietLog() });
        const lease = await first.acquire();
        lease.session.setCookies([{ name: 'kept', value: '1' }, { name: 'edited', value: '2', expires: Date.now() / 1000 + 60 }], url);
        lease.release();
        await first.persistState();
        await first.teardown();
        // An older version (or a hand edit) left an expiry no Date can hold.
        store.setRaw('SESSION_POOL_STATE', store.getRaw('SESSION_POOL_STATE')!.replace(/"expires":"[^"]+"/, '"expires":"+275760-09-13T00:00:00.001Z"'));

        const second = await SessionPool.open({ persist: 'explicit', store, log: quietLog() });
        const [session] = second.getSessions();
        expect(session!.getCookieString(url)).toBe('kept=1');
        await expect(second.persistState()).resolves.toBe(false);
        expect(() => session!.getState()).not.toThrow();
        await second.teardown();
    });
});

describe('cookie input a caller got wrong', () => {
    it.each<[string, () => unknown, RegExp]>([
        ['setCookies(null)', () => new Session().setCookies(null as never, url), /Option "cookies" must be an array of cookie objects/],
        ['setCookies(a string)', () => new Session().setCookies('a=1' as never, url), /Option "cookies" must be an array/],
        ['a cookie that is null', () => new Session().setCookies([null as never], url), /Option "cookies\[0\]" must be a cookie object/],
        ['domain: 5', () => new Session().setCookies([{ name: 'a', value: 'b', domain: 5 as never }], url), /Option "cookies\[0\]\.domain" must be a string when given, got 5/],
        ['name missing', () => new Session().setCookies([{ value: 'b' } as never], url), /Option "cookies\[0\]\.name" must be a string, got undefined/],
        ['secure: "yes"', () => new Session().setCookies([{ name: 'a', value: 'b', secure: 'yes' as never }], url), /Option "cookies\[0\]\.secure" must be a boolean/],
        ['setCookiesFromResponse(null)', () => new Session().setCookiesFromResponse(null as never), /Option "response" must be a response with headers/],
    ])('%s throws InvalidOptionError naming it', (_, call, message) => {
        expect(call).toThrow(InvalidOptionError);
        expect(call).toThrow(message);
    });
});

describe('a site setting ever more cookies', () => {
    it('cannot make a session hold more than the per-session bound: the oldest go, counted in stats', async () => {
        const pool = await SessionPool.open({ persist: false, log: quietLog() });
        const lease = await pool.acquire();
        const { session } = lease;
        for (let i = 0; i < MAX_COOKIES_PER_SESSION + 100; i++) session.setCookie(`c${i}=${i}`, url);
        const names = session.getCookies(url).map((cookie) => cookie.name);
        expect(names).toHaveLength(MAX_COOKIES_PER_SESSION);
        expect(names).not.toContain('c0');
        expect(names).toContain(`c${MAX_COOKIES_PER_SESSION + 99}`);
        expect(pool.getStats().cookiesEvicted).toBe(100);
        lease.release();
        await pool.teardown();
    });

    it('bounds their bytes too, and a replaced cookie counts once', () => {
        const session = new Session();
        const big = 'x'.repeat(4000);
        for (let i = 0; i < 100; i++) session.setCookie(`big${i}=${big}`, url);
        for (let i = 0; i < 50; i++) session.setCookie(`big99=${big}${i}`, url); // the same cookie, replaced
        const bytes = session.getCookies(url).reduce((sum, cookie) => sum + cookie.name.length + cookie.value.length, 0);
        expect(bytes).toBeLessThanOrEqual(MAX_COOKIE_BYTES_PER_SESSION);
        expect(bytes).toBeGreaterThan(MAX_COOKIE_BYTES_PER_SESSION - 8000);
        expect(session.getCookies(url).map((cookie) => cookie.name)).toContain('big99');
    });
});
