import { describe, expect, it } from '@jest/globals';
import { Session } from '@sessionkit/core';
import {
    type BrowserCookie,
    type SessionCookieLike,
    cookieMatchesUrl,
    cookieStorageUrl,
    fromBrowserCookie,
    fromBrowserCookies,
    isHostOnly,
    toBrowserCookie,
} from '@sessionkit/browser';
import { randomBrowserCookies } from '@sessionkit/testing';

const base = { path: '/', httpOnly: false, secure: false } as const;

function browserCookie(overrides: Partial<BrowserCookie> & Pick<BrowserCookie, 'name' | 'domain'>): BrowserCookie {
    return { value: 'v', path: '/', expires: -1, httpOnly: false, secure: false, ...overrides };
}

describe('cookie conversion between sessions and browsers', () => {
    it('a leading dot is a domain cookie, a bare host a host-only one, an IP always host-only', () => {
        expect(toBrowserCookie({ ...base, name: 'h', value: '1', domain: 'a.test' }).domain).toBe('a.test');
        expect(toBrowserCookie({ ...base, name: 'h', value: '1', domain: 'a.test', hostOnly: true }).domain).toBe('a.test');
        expect(toBrowserCookie({ ...base, name: 'd', value: '1', domain: '.a.test' }).domain).toBe('.a.test');
        // The older session shape (bare domain + hostOnly: false) is a domain cookie too.
        expect(toBrowserCookie({ ...base, name: 'd', value: '1', domain: 'A.Test', hostOnly: false }).domain).toBe('.a.test');
        expect(toBrowserCookie({ ...base, name: 'ip', value: '1', domain: '.127.0.0.1' }).domain).toBe('127.0.0.1');
        expect(toBrowserCookie({ ...base, name: 'ip6', value: '1', domain: '::1' }).domain).toBe('[::1]');
        expect(fromBrowserCookie(browserCookie({ name: 'h', domain: 'a.test' }))).toMatchObject({ domain: 'a.test', hostOnly: true });
        expect(fromBrowserCookie(browserCookie({ name: 'd', domain: '.a.test' }))).toMatchObject({ domain: '.a.test', hostOnly: false });
        expect(isHostOnly({ domain: '[::1]' })).toBe(true);
    });

    it('keeps flags and expiry; a session cookie has no expiry; SameSite=None without Secure loses its SameSite', () => {
        const cookie: SessionCookieLike = { name: 'n', value: 'v', domain: 'a.test', path: '/p', expires: 1_900_000_000, httpOnly: true, secure: true, sameSite: 'None' };
        expect(toBrowserCookie(cookie)).toEqual({ name: 'n', value: 'v', domain: 'a.test', path: '/p', expires: 1_900_000_000, httpOnly: true, secure: true, sameSite: 'None' });
        expect(toBrowserCookie({ ...base, name: 's', value: '1', domain: 'a.test' }).expires).toBe(-1);
        expect(toBrowserCookie({ ...base, name: 'x', value: '1', domain: 'a.test', sameSite: 'None' })).not.toHaveProperty('sameSite');
        expect(toBrowserCookie({ ...base, path: 'relative', name: 'x', value: '1', domain: 'a.test' }).path).toBe('/');
        expect(fromBrowserCookie(browserCookie({ name: 's', domain: 'a.test' }))).not.toHaveProperty('expires');
    });

    it('skips partitioned cookies and filters by URL', () => {
        const cookies = [
            browserCookie({ name: 'host', domain: 'a.test' }),
            browserCookie({ name: 'dom', domain: '.a.test' }),
            browserCookie({ name: 'chips', domain: 'a.test', partitioned: true }),
            browserCookie({ name: 'deep', domain: 'a.test', path: '/x' }),
        ];
        expect(fromBrowserCookies(cookies).map((c) => c.name)).toEqual(['host', 'dom', 'deep']);
        expect(fromBrowserCookies(cookies, 'http://sub.a.test/').map((c) => c.name)).toEqual(['dom']);
        expect(fromBrowserCookies(cookies, 'http://a.test/x/1').map((c) => c.name)).toEqual(['host', 'dom', 'deep']);
        expect(cookieMatchesUrl({ domain: '.a.test', path: '/' }, 'http://xa.test/')).toBe(false);
    });

    it('stores Secure cookies under https, others under http, at their own host and path', () => {
        expect(cookieStorageUrl({ domain: '.a.test', path: '/p', secure: true })).toBe('https://a.test/p');
        expect(cookieStorageUrl({ domain: 'a.test', path: '/', secure: false })).toBe('http://a.test/');
        expect(cookieStorageUrl({ domain: '[::1]', path: '/', secure: false })).toBe('http://[::1]/');
    });
});

function sortCookies(cookies: BrowserCookie[]): BrowserCookie[] {
    return [...cookies].sort((x, y) => `${x.domain}\t${x.path}\t${x.name}`.localeCompare(`${y.domain}\t${y.path}\t${y.name}`));
}

describe('session ↔ browser round trip (property, seeded)', () => {
    it.each([1, 7, 42, 1234, 99_991])('seed %i: host-only, domain, path, secure, httpOnly, sameSite and expiry survive exactly', (seed) => {
        const original: BrowserCookie[] = randomBrowserCookies(seed, 40);
        const session = new Session();
        for (const cookie of original) {
            const record = fromBrowserCookie(cookie);
            expect(session.setCookies([record], cookieStorageUrl(record))).toBe(1);
        }
        const back = session.getAllCookies().map((cookie) => toBrowserCookie(cookie as SessionCookieLike));
        expect(sortCookies(back)).toEqual(sortCookies(original));
        // And a second trip changes nothing.
        const again = new Session();
        for (const cookie of back) {
            const record = fromBrowserCookie(cookie);
            again.setCookies([record], cookieStorageUrl(record));
        }
        expect(sortCookies(again.getAllCookies().map((cookie) => toBrowserCookie(cookie as SessionCookieLike)))).toEqual(sortCookies(original));
    });
});
