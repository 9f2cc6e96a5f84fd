import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Cookie } from 'puppeteer-core';

import {
    type SessionCookieData,
    SessionContextPool,
    cookieMatchesUrl,
    domainMatches,
    fromPuppeteerCookie,
    fromPuppeteerCookies,
    getContextCookies,
    launchBrowser,
    pathMatches,
    setContextCookies,
    toPuppeteerCookie,
    toPuppeteerCookies,
} from '@sessionkit/puppeteer';

import { type TargetServer, startTargetServer } from './helpers.js';

const base = { path: '/', httpOnly: false, secure: false } as const;

function cdpCookie(overrides: Partial<Cookie> & Pick<Cookie, 'name' | 'domain'>): Cookie {
    return {
        value: 'v',
        path: '/',
        expires: -1,
        size: 2,
        httpOnly: false,
        secure: false,
        session: true,
        ...overrides,
    };
}

describe('cookie conversion (pure)', () => {
    it('keeps host-only cookies host-only: no leading dot; domain cookies get one', () => {
        expect(toPuppeteerCookie({ ...base, name: 'h', value: '1', domain: 'a.test', hostOnly: true }).domain).toBe('a.test');
        expect(toPuppeteerCookie({ ...base, name: 'd', value: '1', domain: 'a.test', hostOnly: false }).domain).toBe('.a.test');
        expect(toPuppeteerCookie({ ...base, name: 'd', value: '1', domain: '.A.Test', hostOnly: false }).domain).toBe('.a.test');
        // IP addresses never domain-match: always host-only.
        expect(toPuppeteerCookie({ ...base, name: 'ip', value: '1', domain: '127.0.0.1', hostOnly: false }).domain).toBe('127.0.0.1');
        expect(toPuppeteerCookie({ ...base, name: 'ip6', value: '1', domain: '::1', hostOnly: true }).domain).toBe('[::1]');
    });

    it('maps flags, expiry and SameSite', () => {
        expect(
            toPuppeteerCookie({
                name: 'n',
                value: 'v',
                domain: 'a.test',
                path: '/p',
                expires: 1_900_000_000.5,
                httpOnly: true,
                secure: true,
                sameSite: 'None',
                hostOnly: true,
            }),
        ).toEqual({
            name: 'n',
            value: 'v',
            domain: 'a.test',
            path: '/p',
            expires: 1_900_000_000.5,
            httpOnly: true,
            secure: true,
            sameSite: 'None',
        });
        const session = toPuppeteerCookie({ ...base, name: 's', value: '1', domain: 'a.test', hostOnly: true, sameSite: 'Strict' });
        expect(session).not.toHaveProperty('expires');
        expect(session.sameSite).toBe('Strict');
        // Chromium silently drops SameSite=None without Secure: set it with the default SameSite instead.
        expect(toPuppeteerCookie({ ...base, name: 'x', value: '1', domain: 'a.test', hostOnly: true, sameSite: 'None' })).not.toHaveProperty(
            'sameSite',
        );
        expect(toPuppeteerCookie({ ...base, path: '', name: 'x', value: '1', domain: 'a.test', hostOnly: true }).path).toBe('/');
        expect(toPuppeteerCookies([])).toEqual([]);
    });

    it('reads hostOnly from the leading dot (kept in the session format) and session cookies as no expiry', () => {
        expect(fromPuppeteerCookie(cdpCookie({ name: 'h', domain: 'a.test' }))).toEqual({
            name: 'h',
            value: 'v',
            domain: 'a.test',
            path: '/',
            httpOnly: false,
            secure: false,
            hostOnly: true,
        });
        expect(
            fromPuppeteerCookie(
                cdpCookie({ name: 'd', domain: '.a.test', expires: 1_900_000_000.25, session: false, sameSite: 'Lax', httpOnly: true, secure: true }),
            ),
        ).toEqual({
            name: 'd',
            value: 'v',
            domain: '.a.test',
            path: '/',
            expires: 1_900_000_000.25,
            httpOnly: true,
            secure: true,
            sameSite: 'Lax',
            hostOnly: false,
        });
    });

    it('filters by URL (domain + path) and skips partitioned cookies', () => {
        const cookies = [
            cdpCookie({ name: 'host', domain: 'a.test' }),
            cdpCookie({ name: 'dom', domain: '.a.test' }),
            cdpCookie({ name: 'sub', domain: 'sub.a.test' }),
            cdpCookie({ name: 'other', domain: 'b.test' }),
            cdpCookie({ name: 'deep', domain: 'a.test', path: '/x' }),
            cdpCookie({ name: 'chips', domain: 'a.test', partitionKey: { sourceOrigin: 'https://top.test' } }),
        ];
        const names = (url?: string) => fromPuppeteerCookies(cookies, url).map((c) => c.name);
        expect(names()).toEqual(['host', 'dom', 'sub', 'other', 'deep']);
        expect(names('http://a.test:8080/')).toEqual(['host', 'dom']);
        expect(names('https://A.TEST/x/y?q')).toEqual(['host', 'dom', 'deep']);
        expect(names('http://sub.a.test/')).toEqual(['dom', 'sub']);
        expect(names('http://deeper.sub.a.test/x')).toEqual(['dom']);
        expect(names('http://xa.test/')).toEqual([]);
    });

    it('implements RFC 6265 domain- and path-match', () => {
        expect(domainMatches('a.test', 'a.test', true)).toBe(true);
        expect(domainMatches('sub.a.test', 'a.test', true)).toBe(false);
        expect(domainMatches('sub.a.test', 'a.test', false)).toBe(true);
        expect(domainMatches('sub.a.test', '.a.test', false)).toBe(true);
        expect(domainMatches('xa.test', 'a.test', false)).toBe(false);
        expect(domainMatches('127.0.0.1', '0.0.1', false)).toBe(false);
        expect(domainMatches('[::1]', '::1', true)).toBe(true);
        expect(pathMatches('/', '/')).toBe(true);
        expect(pathMatches('/x', '/')).toBe(true);
        expect(pathMatches('/x', '/x')).toBe(true);
        expect(pathMatches('/x/y', '/x')).toBe(true);
        expect(pathMatches('/x/y', '/x/')).toBe(true);
        expect(pathMatches('/xy', '/x')).toBe(false);
        expect(pathMatches('/', '/x')).toBe(false);
        expect(cookieMatchesUrl({ domain: 'a.test', path: '/x', hostOnly: true }, new URL('http://a.test/x/1'))).toBe(true);
    });
});

describe('cookies in Chromium (context APIs)', () => {
    let browser: Browser;
    let server: TargetServer;
    let pool: SessionContextPool;
    let a: string; // http://a.test:PORT
    let sub: string; // http://sub.a.test:PORT

    beforeAll(async () => {
        server = await startTargetServer('127.0.0.1');
        // *.test hostnames resolve to the loopback server, so host-only vs domain cookies can be observed.
        browser = await launchBrowser({ args: ['--host-resolver-rules=MAP *.test 127.0.0.1'] });
        pool = new SessionContextPool(browser);
        a = `http://a.test:${server.port}`;
        sub = `http://sub.a.test:${server.port}`;
    });

    afterAll(async () => {
        await pool?.closeAll();
        await browser?.close();
        await server?.close();
    });

    async function cookieHeaderAt(sessionId: string, url: string): Promise<string[]> {
        const page = await pool.newPage(sessionId);
        try {
            const path = new URL(url).pathname;
            const before = server.hits.length;
            await page.goto(url);
            const hit = server.hits.slice(before).find((h) => h.path === path);
            return (hit?.cookie ?? '').split('; ').filter((c) => c !== '').sort();
        } finally {
            await page.close();
        }
    }

    it('round-trips session cookies through a context: hostOnly, httpOnly, secure, expiry, page-set cookies', async () => {
        const now = Math.floor(Date.now() / 1000);
        const sessionCookies: SessionCookieData[] = [
            { ...base, name: 'hostOnly', value: '1', domain: 'a.test', hostOnly: true },
            { ...base, name: 'domainWide', value: '1', domain: 'a.test', hostOnly: false },
            { name: 'secureHttpOnly', value: 's', domain: 'a.test', path: '/', httpOnly: true, secure: true, expires: now + 3600, sameSite: 'Lax', hostOnly: true },
            { ...base, name: 'deep', value: '1', domain: 'a.test', path: '/x', hostOnly: true, sameSite: 'Strict' },
            { ...base, name: 'expired', value: '1', domain: 'a.test', hostOnly: true, expires: now - 10 },
            // Chromium refuses this one ("__Host-" requires Secure): it must not take the others down.
            { ...base, name: '__Host-bad', value: '1', domain: 'a.test', hostOnly: true },
        ];
        const context = await pool.getContext('one');
        const result = await setContextCookies(context, sessionCookies);
        expect(result.set).toBe(5);
        expect(result.rejected.map((r) => r.cookie.name)).toEqual(['__Host-bad']);
        expect(result.rejected[0]!.error.message).toMatch(/Invalid cookie fields/);

        // What the server receives (Secure cookies are not sent over http; expired ones were not stored).
        expect(await cookieHeaderAt('one', `${a}/`)).toEqual(['domainWide=1', 'hostOnly=1']);
        expect(await cookieHeaderAt('one', `${sub}/`)).toEqual(['domainWide=1']);
        expect(await cookieHeaderAt('one', `${a}/x/y`)).toEqual(['deep=1', 'domainWide=1', 'hostOnly=1']);

        // The site and its scripts add cookies.
        const page = await pool.newPage('one');
        await page.goto(
            `${a}/set-cookie?server=${encodeURIComponent('1; Path=/; HttpOnly; Max-Age=600')}` +
                `&serverDomain=${encodeURIComponent('1; Domain=a.test; Path=/')}`,
        );
        // (Strings, not functions: the test tsconfig has no DOM lib.)
        await page.evaluate(`document.cookie = 'script=1; path=/; max-age=120'; document.cookie = 'scriptSession=1; path=/';`);
        // httpOnly cookies are invisible to scripts.
        expect(String(await page.evaluate('document.cookie')).split('; ').sort()).toEqual([
            'domainWide=1',
            'hostOnly=1',
            'script=1',
            'scriptSession=1',
            'serverDomain=1',
        ]);
        await page.close();

        const back = await getContextCookies(context, `${a}/`);
        const byName = new Map(back.map((c) => [c.name, c]));
        expect([...byName.keys()].sort()).toEqual([
            'domainWide',
            'hostOnly',
            'script',
            'scriptSession',
            'secureHttpOnly',
            'server',
            'serverDomain',
        ]);
        expect(byName.get('hostOnly')).toEqual({ ...base, name: 'hostOnly', value: '1', domain: 'a.test', hostOnly: true });
        // Session format (Crawlee's): a domain cookie comes back as '.a.test'.
        expect(byName.get('domainWide')).toEqual({ ...base, name: 'domainWide', value: '1', domain: '.a.test', hostOnly: false });
        const secure = byName.get('secureHttpOnly')!;
        expect(secure).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax', hostOnly: true });
        expect(secure.expires).toBeCloseTo(now + 3600, 0);
        expect(byName.get('server')).toMatchObject({ httpOnly: true, hostOnly: true });
        expect(byName.get('server')!.expires! - now).toBeGreaterThan(590);
        expect(byName.get('server')!.expires! - now).toBeLessThan(620);
        expect(byName.get('serverDomain')).toMatchObject({ hostOnly: false, domain: '.a.test' });
        expect(byName.get('script')).toMatchObject({ httpOnly: false, hostOnly: true });
        expect(byName.get('script')!.expires! - now).toBeGreaterThan(110);
        expect(byName.get('scriptSession')).not.toHaveProperty('expires');
        // The URL filter: the sub-domain sees only domain cookies; /x also sees the deep cookie.
        expect((await getContextCookies(context, `${sub}/`)).map((c) => c.name).sort()).toEqual(['domainWide', 'serverDomain']);
        expect((await getContextCookies(context, `${a}/x/`)).map((c) => c.name)).toContain('deep');

        // Into a fresh session: everything read back survives a second trip unchanged.
        const all = await getContextCookies(context);
        const fresh = await pool.getContext('two');
        expect(await setContextCookies(fresh, all)).toEqual({ set: all.length, rejected: [] });
        const sortByName = (list: SessionCookieData[]) => [...list].sort((x, y) => x.name.localeCompare(y.name));
        const again = sortByName(await getContextCookies(fresh));
        const expected = sortByName(all);
        expect(again.map(({ expires, ...rest }) => rest)).toEqual(expected.map(({ expires, ...rest }) => rest));
        again.forEach((cookie, i) => {
            if (expected[i]!.expires === undefined) expect(cookie.expires).toBeUndefined();
            else expect(cookie.expires).toBeCloseTo(expected[i]!.expires!, 2);
        });
        // And host-only semantics are still enforced by Chromium in the new context.
        expect(await cookieHeaderAt('two', `${sub}/`)).toEqual(['domainWide=1', 'serverDomain=1']);
        // Nothing leaked into a third session.
        expect(await (await pool.getContext('three')).cookies()).toEqual([]);
    });

    it('pins the Chromium behaviour this relies on: CDP domain without a leading dot = host-only cookie', async () => {
        const context = await pool.getContext('raw');
        await context.setCookie(
            { name: 'noDot', value: '1', domain: 'a.test', path: '/' },
            { name: 'dot', value: '1', domain: '.a.test', path: '/' },
        );
        expect(await cookieHeaderAt('raw', `${a}/`)).toEqual(['dot=1', 'noDot=1']);
        expect(await cookieHeaderAt('raw', `${sub}/`)).toEqual(['dot=1']);
        const domains = Object.fromEntries((await context.cookies()).map((c) => [c.name, c.domain]));
        expect(domains).toEqual({ noDot: 'a.test', dot: '.a.test' });
        await pool.closeContext('raw');
    });

    it('sets an empty list without a CDP call and surfaces errors of a closed context', async () => {
        const context = await pool.getContext('closing');
        expect(await setContextCookies(context, [])).toEqual({ set: 0, rejected: [] });
        await pool.closeContext('closing');
        await expect(
            setContextCookies(context, [{ ...base, name: 'n', value: '1', domain: 'a.test', hostOnly: true }]),
        ).rejects.toThrow();
    });
});
