import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext } from 'puppeteer-core';

import {
    ContextPoolClosedError,
    ContextProxyMismatchError,
    InvalidProxyUrlError,
    SessionContextPool,
    launchBrowser,
} from '@sessionkit/puppeteer';

import { type TargetServer, type TestProxy, canConnect, startProxy, startTargetServer, waitFor } from './helpers.js';

let browser: Browser;
let target: TargetServer;
let proxy: TestProxy;
let authProxy: TestProxy;

beforeAll(async () => {
    [browser, target, proxy, authProxy] = await Promise.all([
        launchBrowser(),
        startTargetServer('127.0.0.1'),
        startProxy('127.0.0.2'),
        startProxy('127.0.0.3', { username: 'alice', password: 's3cr3t' }),
    ]);
});

afterAll(async () => {
    await browser?.close();
    await Promise.all([target?.close(), proxy?.close(), authProxy?.close()]);
});

/** Loads `path` on the target in a fresh page of `context` and returns what the server recorded. */
async function visit(context: BrowserContext, path: string) {
    const page = await context.newPage();
    try {
        const before = target.hits.length;
        const response = await page.goto(`${target.origin}${path}`);
        expect(response?.status()).toBe(200);
        const hit = target.hits.slice(before).find((h) => h.path === path.split('?')[0]);
        expect(hit).toBeDefined();
        return hit!;
    } finally {
        await page.close();
    }
}

describe('launchBrowser', () => {
    it('launches the system Chromium headless with the default flags and loads a loopback page', async () => {
        expect(browser.connected).toBe(true);
        const spawnargs = browser.process()?.spawnargs ?? [];
        expect(spawnargs[0]).toBe('/usr/bin/chromium');
        expect(spawnargs).toEqual(
            expect.arrayContaining([
                '--no-sandbox',
                '--disable-background-networking',
                '--disable-component-update',
                '--proxy-bypass-list=<-loopback>',
            ]),
        );
        expect(spawnargs.some((arg) => arg.startsWith('--headless'))).toBe(true);
        const page = await browser.newPage();
        await page.goto(`${target.origin}/hello`);
        expect(await page.title()).toBe('/hello');
        await page.close();
    });
});

describe('SessionContextPool', () => {
    it('keeps one context per session; concurrent calls share one creation', async () => {
        const pool = new SessionContextPool(browser);
        try {
            const contexts = await Promise.all([1, 2, 3, 4, 5].map(() => pool.getContext('s1')));
            expect(new Set(contexts).size).toBe(1);
            expect(contexts[0]!.closed).toBe(false);
            expect(await pool.getContext('s1')).toBe(contexts[0]);
            const other = await pool.getContext('s2');
            expect(other).not.toBe(contexts[0]);
            expect(browser.browserContexts()).toEqual(expect.arrayContaining([contexts[0], other]));
            expect(pool.stats()).toMatchObject({ openContexts: 2, contextsCreated: 2, pendingContexts: 0 });
        } finally {
            await pool.closeAll();
        }
        expect(pool.stats()).toMatchObject({ openContexts: 0, contextsClosed: 2 });
    });

    it('never mixes cookies between sessions', async () => {
        const pool = new SessionContextPool(browser);
        try {
            const a = await pool.getContext('a');
            const b = await pool.getContext('b');
            await visit(a, `/set-cookie?who=alice&tracking=${encodeURIComponent('a1; Path=/; HttpOnly')}`);
            await visit(b, '/set-cookie?who=bob');
            expect((await visit(a, '/echo')).cookie).toBe('who=alice; tracking=a1');
            expect((await visit(b, '/echo')).cookie).toBe('who=bob');
            expect((await a.cookies()).map((c) => c.name).sort()).toEqual(['tracking', 'who']);
            expect((await b.cookies()).map((c) => c.value)).toEqual(['bob']);
            // The default context saw none of it.
            expect(await browser.defaultBrowserContext().cookies()).toEqual([]);
        } finally {
            await pool.closeAll();
        }
    });

    it('routes a context through its proxy even for a 127.0.0.1 target (<-loopback> bypass list)', async () => {
        const pool = new SessionContextPool(browser);
        try {
            const proxied = await pool.getContext('via-proxy', proxy.url);
            expect(pool.info('via-proxy')).toMatchObject({ proxyServer: proxy.url, anonymized: false, ready: true });
            const before = proxy.requests.length;
            const hit = await visit(proxied, '/through-proxy');
            expect(hit.remoteAddress).toBe('127.0.0.2');
            expect(proxy.requests.slice(before)).toEqual([{ hostname: '127.0.0.1', port: target.port, username: '' }]);

            const direct = await pool.getContext('direct');
            const countAfterProxied = proxy.requests.length;
            expect((await visit(direct, '/direct')).remoteAddress).toBe('127.0.0.1');
            expect(proxy.requests.length).toBe(countAfterProxied);
            expect(pool.stats().anonymizedProxiesOpen).toBe(0);
        } finally {
            await pool.closeAll();
        }
    });

    it('shows why the bypass list is needed: without it Chromium skips the proxy for loopback', async () => {
        const pool = new SessionContextPool(browser, { proxyBypassList: [] });
        try {
            const context = await pool.getContext('no-bypass-rule', proxy.url);
            const before = proxy.requests.length;
            expect((await visit(context, '/skipped-proxy')).remoteAddress).toBe('127.0.0.1');
            expect(proxy.requests.length).toBe(before);
        } finally {
            await pool.closeAll();
        }
    });

    it('anonymizes a proxy with credentials and closes the local proxy with the context', async () => {
        const pool = new SessionContextPool(browser);
        try {
            const context = await pool.getContext('auth', authProxy.url);
            const info = pool.info('auth')!;
            expect(info.anonymized).toBe(true);
            expect(info.proxyServer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
            expect(info.proxyUrl).not.toContain('s3cr3t');
            expect(pool.stats()).toMatchObject({ anonymizedProxiesOpen: 1, anonymizedProxiesOpened: 1 });

            const before = authProxy.requests.length;
            const hit = await visit(context, '/through-auth-proxy');
            expect(hit.remoteAddress).toBe('127.0.0.3');
            expect(authProxy.requests.slice(before)).toEqual([
                { hostname: '127.0.0.1', port: target.port, username: 'alice' },
            ]);

            const localPort = Number(new URL(info.proxyServer!).port);
            expect(await canConnect('127.0.0.1', localPort)).toBe(true);
            expect(await pool.closeContext('auth')).toBe(true);
            expect(context.closed).toBe(true);
            expect(pool.stats()).toMatchObject({ anonymizedProxiesOpen: 0, openContexts: 0 });
            expect(await canConnect('127.0.0.1', localPort)).toBe(false);
            // Idempotent.
            expect(await pool.closeContext('auth')).toBe(false);
            expect(await pool.closeContext('never-existed')).toBe(false);
        } finally {
            await pool.closeAll();
        }
    });

    it('refuses to change a session proxy or to use a bad proxy URL, without leaking passwords', async () => {
        const pool = new SessionContextPool(browser);
        try {
            await pool.getContext('fixed', authProxy.url);
            const mismatch = pool.getContext('fixed', proxy.url);
            await expect(mismatch).rejects.toThrow(ContextProxyMismatchError);
            await expect(mismatch).rejects.toThrow(/closeContext\("fixed"\)/);
            await expect(pool.getContext('fixed')).rejects.not.toThrow(/s3cr3t/);
            await expect(pool.getContext('bad', 'not a url')).rejects.toThrow(InvalidProxyUrlError);
            await expect(pool.getContext('bad', 'ftp://u:hunter2@127.0.0.1:21')).rejects.toThrow(
                /not usable by Chromium.*ftp:\/\/u:<redacted>@/,
            );
            expect(pool.has('bad')).toBe(false);
            // After closing, the session may come back with another proxy.
            await pool.closeContext('fixed');
            await pool.getContext('fixed', proxy.url);
            expect(pool.info('fixed')?.anonymized).toBe(false);
        } finally {
            await pool.closeAll();
        }
        expect(pool.stats().anonymizedProxiesOpen).toBe(0);
    });

    it('bounds open contexts by closing the least-recently-used idle one', async () => {
        const pool = new SessionContextPool(browser, { maxOpenContexts: 2 });
        try {
            const a = await pool.getContext('a');
            const b = await pool.getContext('b');
            await pool.getContext('a'); // a is now more recent than b
            const c = await pool.getContext('c');
            expect(b.closed).toBe(true);
            expect(a.closed).toBe(false);
            expect(pool.sessionIds()).toEqual(['a', 'c']);
            expect(pool.stats()).toMatchObject({ contextsEvicted: 1, openContexts: 2 });
            expect(c.closed).toBe(false);
        } finally {
            await pool.closeAll();
        }
    });

    it('does not evict contexts with open pages; goes over the bound, then shrinks back when pages close', async () => {
        const pool = new SessionContextPool(browser, { maxOpenContexts: 2 });
        try {
            const pageA = await pool.newPage('a');
            await pool.getContext('b');
            await pool.getContext('c'); // a (older) has a page: b is evicted instead
            expect(pool.sessionIds()).toEqual(['a', 'c']);
            const pageC = await pool.newPage('c');
            await pool.getContext('d'); // a and c both busy: created over the bound
            expect(pool.size).toBe(3);
            expect(pool.stats()).toMatchObject({ overLimitCreations: 1, openContexts: 3 });
            expect(pageA.isClosed()).toBe(false);

            await pageA.close();
            // 'targetdestroyed' triggers the trim; the pool forgets 'a' at once, Chromium closes it soon after.
            await waitFor(() => pool.stats().openContexts === 2);
            expect(pool.sessionIds()).toEqual(['c', 'd']);
            expect(pageC.isClosed()).toBe(false);
            expect(pool.stats()).toMatchObject({ contextsEvicted: 2, openContexts: 2 });
        } finally {
            await pool.closeAll();
        }
    });

    it('replaces a context that was closed behind its back', async () => {
        const pool = new SessionContextPool(browser);
        try {
            const first = await pool.getContext('x', authProxy.url);
            await first.close();
            const second = await pool.getContext('x', authProxy.url);
            expect(second).not.toBe(first);
            expect(second.closed).toBe(false);
            await waitFor(() => pool.stats().anonymizedProxiesOpen === 1);
            expect((await visit(second, '/after-reopen')).remoteAddress).toBe('127.0.0.3');
        } finally {
            await pool.closeAll();
        }
        expect(pool.stats()).toMatchObject({ anonymizedProxiesOpen: 0, openContexts: 0 });
    });

    it('close() closes every context and detaches from a browser that outlives the pool', async () => {
        const listeners = () => [browser.listenerCount('disconnected'), browser.listenerCount('targetdestroyed')];
        const before = listeners();
        const pool = new SessionContextPool(browser);
        expect(listeners()).toEqual([before[0]! + 1, before[1]! + 1]);
        const context = await pool.getContext('a');
        await pool.close();
        expect(context.closed).toBe(true);
        expect(listeners()).toEqual(before);
        await expect(pool.getContext('b')).rejects.toThrow(ContextPoolClosedError);
        await expect(pool.getContext('b')).rejects.toThrow(/SessionContextPool was closed/);
        await pool.close(); // idempotent
    });

    it('closeAll waits for contexts still being created', async () => {
        const pool = new SessionContextPool(browser);
        const pending = pool.getContext('late', authProxy.url);
        await pool.closeAll();
        const context = await pending;
        expect(context.closed).toBe(true);
        expect(pool.size).toBe(0);
        expect(pool.stats()).toMatchObject({ openContexts: 0, anonymizedProxiesOpen: 0 });
    });
});
