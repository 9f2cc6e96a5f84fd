import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { describe, expect, it } from '@jest/globals';

import { InvalidOptionError, Session, SessionPool } from '../src/index.js';
import { quietLog } from './helpers.js';

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
        expect(session.getCookieString('https://www.example.com/x/y')).toBe('b=2; a=1');
        expect(session.getCookieString('http://www.example.com/x/y')).toBe('a=1');
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

    it('skips invalid puppeteer cookies too', async () => {
        const pool = await SessionPool.open({ persist: false, log: quietLog() });
        try {
            const session = await pool.getSession();
            const stored = session.setPuppeteerCookies(
                [
                    { name: 'good', value: '1' },
                    { name: 'foreign', value: '1', domain: 'other.com' },
                ],
                'https://example.com/',
            );
            expect(stored).toBe(1);
            expect(pool.getStats().malformedCookies).toBe(1);
            expect(session.getCookieString('https://example.com/')).toBe('good=1');
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

describe('puppeteer cookies and getCookies', () => {
    it('setPuppeteerCookies stores host-only and domain cookies; getPuppeteerCookies tells them apart by the leading dot', () => {
        const session = new Session();
        const expires = Math.floor(Date.now() / 1000) + 3600;
        expect(
            session.setPuppeteerCookies(
                [
                    { name: 'host', value: 'h' },
                    { name: 'dom', value: 'd', domain: '.example.com', path: '/', expires, httpOnly: true, secure: true, sameSite: 'Lax' },
                ],
                'https://www.example.com/start',
            ),
        ).toBe(2);
        expect(session.getCookieString('https://shop.example.com/')).toBe('dom=d');

        const cookies = session.getPuppeteerCookies('https://www.example.com/');
        const host = cookies.find((cookie) => cookie.name === 'host');
        const dom = cookies.find((cookie) => cookie.name === 'dom');
        // Chromium reads a bare host as host-only and a leading dot as a domain cookie.
        expect(host).toEqual({ name: 'host', value: 'h', domain: 'www.example.com', path: '/', httpOnly: false, secure: false });
        expect(dom).toEqual({
            name: 'dom',
            value: 'd',
            domain: '.example.com',
            path: '/',
            expires,
            httpOnly: true,
            secure: true,
            sameSite: 'Lax',
        });
        expect(session.getPuppeteerCookies('https://shop.example.com/').map((cookie) => cookie.name)).toEqual(['dom']);
    });

    it('a cookie with a domain and hostOnly: true stays host-only', () => {
        const session = new Session();
        session.setPuppeteerCookies([{ name: 'h', value: '1', domain: 'www.example.com', hostOnly: true }], 'https://www.example.com/');
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
        expect(b).toEqual({ name: 'b', value: '2', domain: 'example.com', path: '/', httpOnly: false, secure: false, hostOnly: false });
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
        expect(session.getAllCookies().map((cookie) => `${cookie.domain}:${cookie.name}`).sort()).toEqual(['one.example:a', 'two.example:b']);
        expect(new Session().getAllCookies()).toEqual([]);
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
