import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { CookieJar } from 'tough-cookie';

import { InvalidOptionError, Session, type SessionCookie, SessionPool } from '../src/index.js';
import { prng, quietLog } from './helpers.js';

const PAST = 'Wed, 21 Oct 2015 07:28:00 GMT';

describe('cookie basics', () => {
    it('stores Set-Cookie values and builds the Cookie header', () => {
        const session = new Session();
        expect(session.getCookieString('https://example.com/')).toBe('');
        expect(session.getCookies('https://example.com/')).toEqual([]);
        expect(session.setCookie('a=1', 'https://example.com/')).toBe(true);
        expect(session.setCookie('b=two words; Path=/', 'https://example.com/')).toBe(true);
        expect(session.getCookieString('https://example.com/page')).toBe('a=1; b=two words');
        expect(session.setCookie('a=3', 'https://example.com/')).toBe(true);
        expect(session.getCookieString('https://example.com/')).toBe('a=3; b=two words');
    });

    it('does not send a Secure cookie over http', () => {
        // tough-cookie 6 treats localhost and loopback IPs as secure origins: use a hostname.
        const session = new Session();
        expect(session.setCookie('s=1; Secure', 'https://www.example.com/')).toBe(true);
        expect(session.setCookie('plain=1', 'https://www.example.com/')).toBe(true);
        expect(session.getCookieString('https://www.example.com/')).toBe('s=1; plain=1');
        expect(session.getCookieString('http://www.example.com/')).toBe('plain=1');
        // A Secure cookie sent by an http origin is refused.
        expect(session.setCookie('t=1; Secure', 'http://www.example.com/')).toBe(false);
        expect(session.getCookieString('https://www.example.com/')).toBe('s=1; plain=1');
    });

    it('does not send expired cookies', () => {
        const session = new Session();
        session.setCookie(`old=1; Expires=${PAST}`, 'https://example.com/');
        session.setCookie('zero=1; Max-Age=0', 'https://example.com/');
        session.setCookie('fresh=1; Max-Age=3600', 'https://example.com/');
        expect(session.getCookieString('https://example.com/')).toBe('fresh=1');
        // A later Set-Cookie with a past date deletes the cookie.
        session.setCookie(`fresh=1; Expires=${PAST}`, 'https://example.com/');
        expect(session.getCookieString('https://example.com/')).toBe('');
    });

    it('scopes cookies by path', () => {
        const session = new Session();
        session.setCookie('p=1; Path=/admin', 'https://example.com/admin/login');
        session.setCookie('r=1; Path=/', 'https://example.com/admin/login');
        expect(session.getCookieString('https://example.com/admin')).toBe('p=1; r=1');
        expect(session.getCookieString('https://example.com/admin/users/1')).toBe('p=1; r=1');
        expect(session.getCookieString('https://example.com/')).toBe('r=1');
        expect(session.getCookieString('https://example.com/administrator')).toBe('r=1');
    });

    it('sends a domain cookie to subdomains but a host-only cookie to its host only', () => {
        const session = new Session();
        session.setCookie('d=1; Domain=example.com', 'https://www.example.com/');
        session.setCookie('h=1', 'https://example.com/');
        expect(session.getCookieString('https://example.com/')).toBe('d=1; h=1');
        expect(session.getCookieString('https://shop.example.com/')).toBe('d=1');
        expect(session.getCookieString('https://a.b.example.com/')).toBe('d=1');
        expect(session.getCookieString('https://example.org/')).toBe('');
        expect(session.getCookieString('https://notexample.com/')).toBe('');
    });

    it('starts with cookies given as options', () => {
        const session = new Session({
            cookies: [
                { name: 'a', value: '1', domain: '.example.com' },
                { name: 'b', value: '2', domain: 'example.com', path: '/x', secure: true },
            ],
        });
        expect(session.getCookieString('https://example.com/x/y')).toBe('b=2; a=1');
        expect(session.getCookieString('http://example.com/x/y')).toBe('a=1');
        // 'example.com' without a dot is host-only: not sent to subdomains.
        expect(session.getCookieString('https://www.example.com/x/y')).toBe('a=1');
    });
});

describe('bad Set-Cookie headers', () => {
    it('skips malformed ones, never throws, keeps the others, and counts them in pool stats', async () => {
        const pool = await SessionPool.open({ persist: false, log: quietLog() });
        try {
            const session = await pool.getSession();
            const stored = session.setCookiesFromResponse(
                { headers: { 'set-cookie': ['a=1', 'bad\u0001name=1', '', 'b=x\u0007y', 'c=3'] } },
                'https://example.com/',
            );
            expect(stored).toBe(2);
            expect(session.getCookieString('https://example.com/')).toBe('a=1; c=3');
            expect(pool.getStats().malformedCookies).toBe(3);
            expect(session.setCookie('d=\u0001', 'https://example.com/')).toBe(false);
            expect(pool.getStats().malformedCookies).toBe(4);
        } finally {
            await pool.teardown();
        }
    });

    it('rejects cookies for a foreign domain or a public suffix and counts them', async () => {
        const pool = await SessionPool.open({ persist: false, log: quietLog() });
        try {
            const session = await pool.getSession();
            const url = 'https://www.example.co.uk/';
            expect(session.setCookie('foreign=1; Domain=other.com', url)).toBe(false);
            expect(session.setCookie('suffix=1; Domain=co.uk', url)).toBe(false);
            expect(session.setCookie('tld=1; Domain=uk', url)).toBe(false);
            expect(session.setCookie('sibling=1; Domain=shop.example.co.uk', url)).toBe(false);
            expect(session.setCookie('ok=1; Domain=example.co.uk', url)).toBe(true);
            expect(pool.getStats().malformedCookies).toBe(4);
            expect(session.getCookieString('https://shop.example.co.uk/')).toBe('ok=1');
            expect(session.getCookieString('https://other.com/')).toBe('');
            expect(session.getAllCookies().map((cookie) => cookie.name)).toEqual(['ok']);
        } finally {
            await pool.teardown();
        }
    });
});

describe('setCookiesFromResponse', () => {
    it('reads a real IncomingMessage with the URL passed as second argument', async () => {
        const server = http.createServer((_req, res) => {
            res.setHeader('Set-Cookie', ['sid=abc; Path=/; HttpOnly', 'theme=dark']);
            res.end('ok');
        });
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        try {
            const { port } = server.address() as AddressInfo;
            const url = `http://127.0.0.1:${port}/page`;
            const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
                http.get(url, { agent: false }, resolve).on('error', reject);
            });
            response.resume();
            const session = new Session();
            // A client IncomingMessage carries no URL of its own.
            expect(() => session.setCookiesFromResponse(response)).toThrow(InvalidOptionError);
            expect(session.setCookiesFromResponse(response, url)).toBe(2);
            expect(session.getCookieString(`http://127.0.0.1:${port}/`)).toBe('sid=abc; theme=dark');
        } finally {
            await new Promise<void>((resolve) => server.close(() => resolve()));
        }
    });

    it('reads IncomingMessage-like, got-like and puppeteer-like responses', () => {
        const session = new Session();
        expect(session.setCookiesFromResponse({ headers: { 'set-cookie': ['a=1', 'b=2'] } }, 'https://one.example/')).toBe(2);
        expect(session.getCookieString('https://one.example/')).toBe('a=1; b=2');

        const got = { headers: { 'set-cookie': ['c=3; Path=/'], 'content-type': 'text/html' }, url: 'https://two.example/final' };
        expect(session.setCookiesFromResponse(got)).toBe(1);
        expect(session.getCookieString('https://two.example/')).toBe('c=3');

        const puppeteer = { headers: () => ({ 'set-cookie': 'd=4\ne=5; Path=/' }), url: () => 'https://three.example/' };
        expect(session.setCookiesFromResponse(puppeteer)).toBe(2);
        expect(session.getCookieString('https://three.example/')).toBe('d=4; e=5');

        // The explicit URL wins over the response's (take Set-Cookie from the hop that sent it).
        expect(session.setCookiesFromResponse({ headers: { 'set-cookie': 'f=6' }, url: 'https://four.example/' }, 'https://five.example/')).toBe(1);
        expect(session.getCookieString('https://five.example/')).toBe('f=6');
        expect(session.getCookieString('https://four.example/')).toBe('');

        // Header names are matched case-insensitively.
        expect(session.setCookiesFromResponse({ headers: { 'Set-Cookie': 'g=7' } }, 'https://six.example/')).toBe(1);
        expect(session.getCookieString('https://six.example/')).toBe('g=7');
    });

    it('needs a URL when the response has none, but not when there is nothing to store', () => {
        const session = new Session();
        let error: unknown;
        try {
            session.setCookiesFromResponse({ headers: { 'set-cookie': ['a=1'] } });
        } catch (caught) {
            error = caught;
        }
        expect(error).toBeInstanceOf(InvalidOptionError);
        expect((error as InvalidOptionError).option).toBe('url');
        expect((error as Error).message).toMatch(/Option "url" is required when the response does not carry its URL/);
        expect(session.setCookiesFromResponse({ headers: { 'content-type': 'text/html' } })).toBe(0);
        expect(session.setCookiesFromResponse({ headers: () => ({}) })).toBe(0);
    });
});

describe('cookie objects and getCookies', () => {
    it('a cookie with a domain and hostOnly: true stays host-only', () => {
        const session = new Session();
        session.setCookies([{ name: 'h', value: '1', domain: 'www.example.com', hostOnly: true }], 'https://www.example.com/');
        expect(session.getCookieString('https://www.example.com/')).toBe('h=1');
        expect(session.getCookieString('https://sub.www.example.com/')).toBe('');
    });

    it('getCookies reports expires in unix seconds and hostOnly', () => {
        const session = new Session();
        const expiresMs = Date.now() + 86_400_000;
        session.setCookie(`a=1; Expires=${new Date(expiresMs).toUTCString()}; HttpOnly; SameSite=Strict`, 'https://example.com/');
        session.setCookie('b=2; Domain=example.com; Path=/', 'https://example.com/');
        const [a, b] = session.getCookies('https://example.com/');
        expect(a).toEqual({
            name: 'a',
            value: '1',
            domain: 'example.com',
            path: '/',
            expires: Math.floor(expiresMs / 1000),
            httpOnly: true,
            secure: false,
            sameSite: 'Strict',
            hostOnly: true,
        });
        // A domain cookie has a leading dot, as in Crawlee's getCookies() and in browsers.
        expect(b).toEqual({ name: 'b', value: '2', domain: '.example.com', path: '/', httpOnly: false, secure: false, hostOnly: false });
    });

    it('Max-Age takes precedence over Expires in reported expiry', () => {
        const session = new Session();
        const before = Math.floor(Date.now() / 1000);
        session.setCookie('m=1; Max-Age=60; Expires=Wed, 21 Oct 2037 07:28:00 GMT', 'https://example.com/');
        const [cookie] = session.getCookies('https://example.com/');
        expect(cookie?.expires).toBeGreaterThanOrEqual(before + 59);
        expect(cookie?.expires).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 60);
    });

    it('getAllCookies lists every domain', () => {
        const session = new Session();
        session.setCookie('a=1', 'https://one.example/');
        session.setCookie('b=2', 'https://two.example/');
        session.setCookie('c=3; Domain=two.example', 'https://www.two.example/');
        expect(session.getAllCookies().map((cookie) => `${cookie.domain}:${cookie.name}`).sort()).toEqual(['.two.example:c', 'one.example:a', 'two.example:b']);
        expect(new Session().getAllCookies()).toEqual([]);
    });
});

describe('host-only and domain cookies in setCookies and getCookies (Crawlee format)', () => {
    it('a bare domain makes a host-only cookie, a leading dot a domain cookie', () => {
        const session = new Session();
        session.setCookies(
            [
                { name: 'bare', value: '1', domain: 'example.com' },
                { name: 'dotted', value: '2', domain: '.example.com' },
                { name: 'none', value: '3' },
            ],
            'https://example.com/',
        );
        expect(session.getCookieString('https://example.com/')).toBe('bare=1; dotted=2; none=3');
        expect(session.getCookieString('https://www.example.com/')).toBe('dotted=2');
        expect(session.getCookies('https://example.com/').map(({ name, domain, hostOnly }) => [name, domain, hostOnly])).toEqual([
            ['bare', 'example.com', true],
            ['dotted', '.example.com', false],
            ['none', 'example.com', true],
        ]);
    });

    it('an explicit hostOnly wins over the leading dot', () => {
        const session = new Session();
        session.setCookies(
            [
                { name: 'wide', value: '1', domain: 'example.com', hostOnly: false },
                { name: 'narrow', value: '2', domain: '.example.com', hostOnly: true },
            ],
            'https://example.com/',
        );
        expect(session.getCookieString('https://www.example.com/')).toBe('wide=1');
        expect(session.getCookieString('https://example.com/')).toBe('wide=1; narrow=2');
    });

    it('a host-only cookie read with getCookies and written back stays host-only', () => {
        const session = new Session();
        session.setCookie('sid=1', 'https://example.com/');
        const copy = new Session();
        copy.setCookies(session.getCookies('https://example.com/'), 'https://example.com/');
        expect(copy.getCookieString('https://example.com/')).toBe('sid=1');
        expect(copy.getCookieString('https://www.example.com/')).toBe('');
    });

    it('round-trips generated cookies exactly: setCookies → getCookies → setCookies on a fresh session', () => {
        const random = prng(20261201);
        const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
        const hosts: Record<string, string[]> = {
            'example.com': ['example.com'],
            'www.example.com': ['www.example.com', 'example.com'],
            'a.b.example.com': ['a.b.example.com', 'b.example.com', 'example.com'],
            'shop.example.org': ['shop.example.org', 'example.org'],
        };
        const paths = ['/', '/a', '/a/b', '/x/'];
        const nowMs = Date.now();
        for (let round = 0; round < 40; round++) {
            const original = new Session();
            const expected: SessionCookie[] = [];
            const count = 1 + Math.floor(random() * 8);
            for (let i = 0; i < count; i++) {
                const host = pick(Object.keys(hosts));
                const hostOnly = random() < 0.5;
                const domain = hostOnly ? host : `.${pick(hosts[host]!)}`;
                const cookie: SessionCookie = {
                    name: `c${i}`,
                    value: Math.floor(random() * 1e9).toString(36),
                    domain,
                    path: pick(paths),
                    httpOnly: random() < 0.5,
                    secure: random() < 0.5,
                    hostOnly,
                };
                // Millisecond precision, fractional seconds included: the jar keeps both.
                if (random() < 0.7) cookie.expires = (nowMs + 60_000 + Math.floor(random() * 1e10)) / 1000;
                const sameSite = pick([undefined, 'Strict', 'Lax', 'None'] as const);
                if (sameSite) cookie.sameSite = sameSite;
                const { hostOnly: _hostOnly, ...input } = cookie; // the dot alone must say it
                expect(original.setCookies([input], `https://${host}${cookie.path}`)).toBe(1);
                expected.push(cookie);
            }
            const byName = (a: SessionCookie, b: SessionCookie) => a.name.localeCompare(b.name);
            expect(original.getAllCookies().sort(byName)).toEqual(expected.sort(byName));

            const copy = new Session();
            for (const host of Object.keys(hosts)) {
                for (const path of paths) {
                    const url = `https://${host}${path}`;
                    const seen = original.getCookies(url);
                    copy.setCookies(seen, url);
                    // Same cookies; the order may differ (it follows creation time, and the copy created them in another order).
                    expect(copy.getCookies(url).sort(byName)).toEqual(seen.sort(byName));
                }
            }
            expect(copy.getAllCookies().sort(byName)).toEqual(original.getAllCookies().sort(byName));
            for (const host of Object.keys(hosts)) {
                for (const url of [`https://${host}/a/b/c`, `http://${host}/x/y`, `https://sub.${host}/`]) {
                    expect(copy.getCookieString(url).split('; ').sort()).toEqual(original.getCookieString(url).split('; ').sort());
                }
            }
        }
    });
});

describe('cached Cookie header', () => {
    afterEach(() => {
        jest.useRealTimers();
    });

    /** tough-cookie's own answer for the jar's current content, computed on an untouched copy of it. */
    function toughCookieAnswer(session: Session, url: string): string {
        return CookieJar.deserializeSync(session.cookieJar.serializeSync()!).getCookieStringSync(url);
    }

    it("matches tough-cookie's own answer over generated cookies, URLs and clock steps", () => {
        const random = prng(7_2026);
        const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
        jest.useFakeTimers({ now: Date.parse('2026-06-01T00:00:00Z') });
        const hosts = ['example.com', 'www.example.com', 'a.b.example.com', 'shop.example.org'];
        const parents: Record<string, string[]> = {
            'example.com': ['example.com'],
            'www.example.com': ['example.com', 'www.example.com'],
            'a.b.example.com': ['example.com', 'b.example.com'],
            'shop.example.org': ['example.org'],
        };
        const paths = ['/', '/a', '/a/b', '/a/b/c', '/x/y'];
        let hits = 0;
        for (let round = 0; round < 30; round++) {
            const session = new Session();
            const urls: string[] = [];
            const sent: [string, string][] = [];
            for (let step = 0; step < 60; step++) {
                const action = random();
                if (action < 0.15 && sent.length > 0) {
                    // The same Set-Cookie again, from the same URL (sites resend them on every response).
                    const [header, url] = pick(sent);
                    session.setCookie(header, url);
                } else if (action < 0.35) {
                    const host = pick(hosts);
                    const attributes: string[] = [];
                    if (random() < 0.4) attributes.push(`Domain=${pick(parents[host]!)}`);
                    if (random() < 0.6) attributes.push(`Path=${pick(paths)}`);
                    if (random() < 0.3) attributes.push('Secure');
                    if (random() < 0.3) attributes.push('HttpOnly');
                    const expiry = random();
                    if (expiry < 0.3) attributes.push(`Expires=${new Date(Date.now() + 1000 + Math.floor(random() * 20_000)).toUTCString()}`);
                    else if (expiry < 0.55) attributes.push(`Max-Age=${1 + Math.floor(random() * 20)}`);
                    else if (expiry < 0.6) attributes.push('Max-Age=0');
                    const header = [`c${Math.floor(random() * 6)}=${Math.floor(random() * 1000)}`, ...attributes].join('; ');
                    const url = `https://${host}${pick(paths)}`;
                    session.setCookie(header, url);
                    sent.push([header, url]);
                } else if (action < 0.5) {
                    jest.advanceTimersByTime(Math.floor(random() * 4000));
                } else {
                    // Revisit a URL often (the cache's case), or a new one with a query or a fragment.
                    const url =
                        urls.length > 0 && random() < 0.5
                            ? pick(urls)
                            : `${pick(['http', 'https'])}://${pick([...hosts, 'sub.www.example.com'])}${pick(paths)}${pick(['', '?q=1', '#top', '/'])}`;
                    urls.push(url);
                    const expected = toughCookieAnswer(session, url);
                    const first = session.getCookieString(url);
                    const again = session.getCookieString(url);
                    expect(first).toBe(expected);
                    expect(again).toBe(expected);
                    if (expected) hits += 1;
                }
            }
        }
        expect(hits).toBeGreaterThan(100);
    });

    it('drops a cached header when its earliest cookie expires', () => {
        jest.useFakeTimers({ now: Date.parse('2026-06-01T00:00:00Z') });
        const session = new Session();
        session.setCookie('short=1; Max-Age=2', 'https://example.com/');
        session.setCookie(`long=1; Expires=${new Date(Date.now() + 10_000).toUTCString()}`, 'https://example.com/');
        session.setCookie('forever=1', 'https://example.com/');
        expect(session.getCookieString('https://example.com/')).toBe('short=1; long=1; forever=1');
        jest.advanceTimersByTime(1999);
        expect(session.getCookieString('https://example.com/')).toBe('short=1; long=1; forever=1');
        jest.advanceTimersByTime(1);
        expect(session.getCookieString('https://example.com/')).toBe('long=1; forever=1');
        jest.advanceTimersByTime(8000);
        expect(session.getCookieString('https://example.com/')).toBe('forever=1');
    });

    it('counts Max-Age from receipt, not from the last read', () => {
        jest.useFakeTimers({ now: Date.parse('2026-06-01T00:00:00Z') });
        const session = new Session();
        session.setCookie('m=1; Max-Age=3', 'https://example.com/');
        for (let second = 0; second < 3; second++) {
            expect(session.getCookieString('https://example.com/')).toBe('m=1');
            jest.advanceTimersByTime(999);
        }
        jest.advanceTimersByTime(3);
        expect(session.getCookieString('https://example.com/')).toBe('');
    });

    it('a Set-Cookie sent again renews its Max-Age and restores a cookie replaced or expired since', () => {
        jest.useFakeTimers({ now: Date.parse('2026-06-01T00:00:00Z') });
        const session = new Session();
        const url = 'https://example.com/';
        expect(session.setCookie('m=1; Max-Age=3', url)).toBe(true);
        expect(session.getCookieString(url)).toBe('m=1');
        jest.advanceTimersByTime(2000);
        expect(session.setCookie('m=1; Max-Age=3', url)).toBe(true);
        jest.advanceTimersByTime(2999);
        expect(session.getCookieString(url)).toBe('m=1');
        expect(session.getCookies(url)[0]!.expires).toBe(Date.now() / 1000 + 0.001);
        jest.advanceTimersByTime(1);
        expect(session.getCookieString(url)).toBe('');
        // Expired and swept: the same header stores it anew.
        expect(session.setCookie('m=1; Max-Age=3', url)).toBe(true);
        expect(session.getCookieString(url)).toBe('m=1');
        // Replaced by another value, then the first header again: the first value is back.
        expect(session.setCookie('m=2; Max-Age=3', url)).toBe(true);
        expect(session.getCookieString(url)).toBe('m=2');
        expect(session.setCookie('m=1; Max-Age=3', url)).toBe(true);
        expect(session.getCookieString(url)).toBe('m=1');
        // Removed through the jar: stored again.
        session.cookieJar.removeAllCookiesSync();
        expect(session.setCookie('m=1; Max-Age=3', url)).toBe(true);
        expect(session.getCookieString(url)).toBe('m=1');
        // The same header from another path of the site is another Set-Cookie (its default path differs).
        expect(session.setCookie('p=1', 'https://example.com/a/b')).toBe(true);
        expect(session.setCookie('p=1', 'https://example.com/x/y')).toBe(true);
        expect(session.getCookieString('https://example.com/a/')).toBe('p=1; m=1');
        expect(session.getCookieString('https://example.com/x/')).toBe('p=1; m=1');
    });

    it('sees changes made through the jar itself and through setCookies', () => {
        const session = new Session();
        session.setCookie('a=1', 'https://example.com/');
        expect(session.getCookieString('https://example.com/page')).toBe('a=1');
        session.cookieJar.setCookieSync('b=2', 'https://example.com/');
        expect(session.getCookieString('https://example.com/page')).toBe('a=1; b=2');
        session.setCookies([{ name: 'c', value: '3', path: '/deep' }], 'https://example.com/');
        expect(session.getCookieString('https://example.com/page')).toBe('a=1; b=2');
        expect(session.getCookieString('https://example.com/deep/x')).toBe('c=3; a=1; b=2');
        session.cookieJar.removeAllCookiesSync();
        expect(session.getCookieString('https://example.com/page')).toBe('');
    });

    it('keeps working for a jar restored from state and for a CookieJar the caller brings', () => {
        const source = new Session();
        source.setCookie('a=1; Path=/', 'https://example.com/');
        const restored = Session.fromState(JSON.parse(JSON.stringify(source.getState())) as ReturnType<Session['getState']>);
        expect(restored.getCookieString('https://example.com/x')).toBe('a=1');
        restored.setCookie('b=2', 'https://example.com/');
        expect(restored.getCookieString('https://example.com/x')).toBe('a=1; b=2');

        const own = new CookieJar();
        own.setCookieSync('mine=1', 'https://example.com/');
        const session = new Session({ cookieJar: own });
        expect(session.getCookieString('https://example.com/')).toBe('mine=1');
        own.setCookieSync('more=2', 'https://example.com/');
        expect(session.getCookieString('https://example.com/')).toBe('mine=1; more=2');
    });
});

describe('nameless cookies', () => {
    it('without name and value are rejected and counted; a bare value is kept, as browsers do', async () => {
        const pool = new SessionPool({ persist: false });
        const session = await pool.getSession();
        expect(session.setCookie('=;', 'http://127.0.0.1/')).toBe(false);
        expect(session.setCookie('=; Path=/', 'http://127.0.0.1/')).toBe(false);
        expect(session.setCookie('good=1; Path=/', 'http://127.0.0.1/')).toBe(true);
        expect(session.setCookie('token; Path=/', 'http://127.0.0.1/')).toBe(true);
        expect(session.getCookieString('http://127.0.0.1/')).toBe('good=1; token');
        expect(pool.getStats().malformedCookies).toBe(2);
        await pool.teardown();
    });
});
