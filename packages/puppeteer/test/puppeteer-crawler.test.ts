import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Session } from '@sessionkit/core';
import type { FailedRequestContext } from '@sessionkit/crawler';
import type { Browser } from 'puppeteer-core';

import {
    InvalidChromiumPathError,
    NavigationError,
    PuppeteerCrawler,
    type PuppeteerCrawlerOptions,
    launchBrowser,
} from '@sessionkit/puppeteer';

import { type TestProxy, startProxy } from './helpers.js';

// ---------------------------------------------------------------------------------------------- site

interface SiteHit {
    method: string;
    body: string;
    /** The x-test request header. */
    xTest: string;
    path: string;
    search: string;
    host: string;
    cookie: string;
    remoteAddress: string;
    status: number;
}

interface Site {
    origin: string;
    port: number;
    hits: SiteHit[];
    /** Hits of one path, in order. */
    hitsOf(path: string): SiteHit[];
    close(): Promise<void>;
}

function page(title: string, body = '', head = ''): string {
    return `<!doctype html><html><head><title>${title}</title>${head}</head><body>${body}</body></html>`;
}

/**
 * The target site, on loopback. Every page records the Cookie header and the peer address it got.
 *  /set?a=1&b=…           Set-Cookie per query pair (value verbatim: "1; Domain=…; Max-Age=…" works)
 *  /js-cookie             a script sets document.cookie
 *  /redirect-cookie       302 → /landing with Set-Cookie hop=1
 *  /visitor               Set-Cookie vid=<new> unless a vid came; the page shows the vid
 *  /status?code=&times=   `code` for the first `times` hits of that URL (429 with Retry-After: 1), then 200
 *  /soft-block?times=     200 with title "Blocked" for the first `times` hits
 *  anything else          200, title = path
 */
async function startSite(host = '127.0.0.1'): Promise<Site> {
    const hits: SiteHit[] = [];
    const counts = new Map<string, number>();
    let visitors = 0;
    const server = http.createServer(async (req, res) => {
        const url = new URL(req.url ?? '/', 'http://x');
        let body = '';
        for await (const chunk of req) body += String(chunk);
        if (url.pathname === '/favicon.ico') {
            res.statusCode = 404;
            res.end();
            return;
        }
        const cookie = req.headers.cookie ?? '';
        const seen = (counts.get(req.url!) ?? 0) + 1;
        counts.set(req.url!, seen);
        const times = Number(url.searchParams.get('times') ?? 1);
        let status = 200;
        let html = page(url.pathname, `<pre id="cookie">${cookie}</pre>`);
        res.setHeader('content-type', 'text/html; charset=utf-8');
        switch (url.pathname) {
            case '/set':
                res.setHeader('set-cookie', [...url.searchParams.entries()].map(([name, value]) => `${name}=${value}`));
                break;
            case '/js-cookie':
                html = page('js', '', `<script>document.cookie = 'js=from-script; path=/';</script>`);
                break;
            case '/redirect-cookie':
                status = 302;
                res.setHeader('set-cookie', 'hop=1; Path=/; HttpOnly');
                res.setHeader('location', '/landing');
                html = '';
                break;
            case '/visitor': {
                const vid = /(?:^|; )vid=(\d+)/.exec(cookie)?.[1];
                if (vid === undefined) {
                    visitors += 1;
                    res.setHeader('set-cookie', `vid=${visitors}; Path=/`);
                }
                html = page('visitor', `<p id="vid">${vid ?? visitors}</p>`);
                break;
            }
            case '/status': {
                if (seen <= times) {
                    status = Number(url.searchParams.get('code'));
                    if (status === 429) res.setHeader('retry-after', '1');
                }
                break;
            }
            case '/soft-block':
                if (seen <= times) html = page('Blocked', 'Please solve the captcha');
                break;
            default:
        }
        hits.push({ method: req.method ?? '', body, xTest: String(req.headers['x-test'] ?? ''), path: url.pathname, search: url.search, host: req.headers.host ?? '', cookie, remoteAddress: req.socket.remoteAddress ?? '', status });
        res.statusCode = status;
        res.end(html);
    });
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    const { port } = server.address() as AddressInfo;
    return {
        origin: `http://${host}:${port}`,
        port,
        hits,
        hitsOf: (path) => hits.filter((hit) => hit.path === path),
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
}

// ---------------------------------------------------------------------------------------------- setup

let site: Site;
let proxyA: TestProxy;
let proxyB: TestProxy;
let sharedBrowser: Browser;

beforeAll(async () => {
    [site, proxyA, proxyB, sharedBrowser] = await Promise.all([
        startSite('127.0.0.1'),
        startProxy('127.0.0.2'),
        // Credentials: this one goes through anonymizeProxy.
        startProxy('127.0.0.3', { username: 'bob', password: 'pw' }),
        launchBrowser({ args: ['--host-resolver-rules=MAP *.sessionkit.test 127.0.0.1'] }),
    ]);
});

afterAll(async () => {
    await sharedBrowser?.close();
    await Promise.all([site?.close(), proxyA?.close(), proxyB?.close()]);
});

const quiet = { statusIntervalSecs: 0, logLevel: 'off' } as const;

/** A crawler on the shared browser (fast: no launch per test) unless options say otherwise. */
function crawler(options: PuppeteerCrawlerOptions): PuppeteerCrawler {
    const useShared = options.launchOptions === undefined && !('browser' in options);
    return new PuppeteerCrawler({
        ...quiet,
        ...(useShared ? { browser: sharedBrowser } : {}),
        ...options,
        ...(options.useSessionPool === false ? {} : { sessionPoolOptions: { persist: false, ...options.sessionPoolOptions } }),
    });
}

function url(path: string): string {
    return `${site.origin}${path}`;
}

function sessionsOf(c: PuppeteerCrawler): Session[] {
    return c.sessionPool!.getSessions();
}

// ---------------------------------------------------------------------------------------------- tests

describe('PuppeteerCrawler cookies', () => {
    it('sends cookies set by the server with the next request of the same session, and keeps them in the session', async () => {
        const seenInHandler: string[] = [];
        const c = crawler({
            maxConcurrency: 1,
            sessionPoolOptions: { maxPoolSize: 1 },
            requestHandler: ({ session }) => {
                seenInHandler.push(session!.getCookieString(site.origin));
            },
        });
        const stats = await c.run([url('/set?srv=1&other=2'), url('/after-set')]);
        expect(stats).toMatchObject({ requestsFinished: 2, requestsFailed: 0 });
        expect(site.hitsOf('/after-set')[0]!.cookie).toBe('srv=1; other=2');
        // Saved after the first handler: the second handler sees them in the session.
        expect(seenInHandler).toEqual(['', 'srv=1; other=2']);
        const [session] = sessionsOf(c);
        expect(session!.usageCount).toBe(2); // markGood is automatic
        expect(session!.getAllCookies().map((cookie) => [cookie.name, cookie.domain, cookie.hostOnly])).toEqual([
            ['srv', '127.0.0.1', true],
            ['other', '127.0.0.1', true],
        ]);
    });

    it('saves a cookie set by a page script and one set by the handler through page.evaluate', async () => {
        const later: string[] = [];
        const c = crawler({
            maxConcurrency: 1,
            sessionPoolOptions: { maxPoolSize: 1 },
            requestHandler: async ({ page, request, session }) => {
                if (request.url.endsWith('/js-cookie')) {
                    await page.evaluate(`document.cookie = 'fromHandler=2; path=/'`);
                } else {
                    later.push(session!.getCookieString(site.origin));
                }
            },
        });
        await c.run([url('/js-cookie'), url('/later')]);
        expect(later).toEqual(['js=from-script; fromHandler=2']);
        expect(site.hitsOf('/later').at(-1)!.cookie).toBe('js=from-script; fromHandler=2');
    });

    it('pushes cookies put into the session by the handler to the browser before the next navigation', async () => {
        const c = crawler({
            maxConcurrency: 1,
            sessionPoolOptions: { maxPoolSize: 1 },
            requestHandler: ({ session, request }) => {
                if (request.url.endsWith('/first')) {
                    session!.setCookies([{ name: 'token', value: 'abc' }], site.origin);
                }
            },
        });
        await c.run([url('/first'), url('/second')]);
        expect(site.hitsOf('/second').at(-1)!.cookie).toBe('token=abc');
        expect(c.getBrowserStats().cookiesPushed).toBe(1);
    });

    it('keeps a Set-Cookie received on a redirect hop', async () => {
        const c = crawler({
            maxConcurrency: 1,
            sessionPoolOptions: { maxPoolSize: 1 },
            requestHandler: ({ request, navigation }) => {
                expect(navigation!.url).toBe(url('/landing'));
                expect(request.loadedUrl).toBe(url('/landing'));
            },
        });
        await c.run([url('/redirect-cookie')]);
        expect(site.hitsOf('/landing').at(-1)!.cookie).toBe('hop=1');
        const [session] = sessionsOf(c);
        expect(session!.getCookieString(url('/anything'))).toBe('hop=1');
        expect(session!.getAllCookies()[0]).toMatchObject({ name: 'hop', httpOnly: true, hostOnly: true });
    });

    it('removes from the session a cookie the site deleted', async () => {
        const c = crawler({ maxConcurrency: 1, sessionPoolOptions: { maxPoolSize: 1 }, requestHandler: () => {} });
        await c.run([url('/set?keep=1&drop=2'), url(`/set?drop=${encodeURIComponent('x; Max-Age=0')}`), url('/check-deleted')]);
        expect(site.hitsOf('/check-deleted').at(-1)!.cookie).toBe('keep=1');
        expect(sessionsOf(c)[0]!.getCookieString(site.origin)).toBe('keep=1');
        expect(c.getBrowserStats().cookiesDeleted).toBe(1);
    });

    it('keeps host-only cookies host-only and domain cookies domain-wide', async () => {
        const origin = (host: string) => `http://${host}:${site.port}`;
        const c = crawler({ maxConcurrency: 1, sessionPoolOptions: { maxPoolSize: 1 }, requestHandler: () => {} });
        await c.run([
            `${origin('www.sessionkit.test')}/set?host=1&wide=${encodeURIComponent('2; Domain=sessionkit.test')}`,
            `${origin('www.sessionkit.test')}/host-check`,
            `${origin('shop.sessionkit.test')}/domain-check`,
        ]);
        expect(site.hitsOf('/host-check').at(-1)!.cookie).toBe('host=1; wide=2');
        expect(site.hitsOf('/domain-check').at(-1)!.cookie).toBe('wide=2');
        const [session] = sessionsOf(c);
        expect(session!.getCookieString(origin('www.sessionkit.test'))).toBe('host=1; wide=2');
        expect(session!.getCookieString(origin('shop.sessionkit.test'))).toBe('wide=2');
        expect(session!.getCookieString(origin('sessionkit.test'))).toBe('wide=2');
    });

    it('never mixes cookies between sessions', async () => {
        const vidsBySession = new Map<string, Set<string>>();
        const c = crawler({
            maxConcurrency: 2,
            sessionPoolOptions: { maxPoolSize: 2 },
            requestHandler: async ({ page, session }) => {
                const vid = await page.$eval('#vid', (element) => element.textContent ?? '');
                const set = vidsBySession.get(session!.id) ?? new Set<string>();
                set.add(vid);
                vidsBySession.set(session!.id, set);
            },
        });
        const before = site.hitsOf('/visitor').length;
        await c.run(Array.from({ length: 8 }, (_, i) => url(`/visitor?n=${i}`)));
        expect(vidsBySession.size).toBe(2);
        const vids = [...vidsBySession.values()].map((set) => [...set]);
        // One visitor id per session, two different ones.
        expect(vids.map((list) => list.length)).toEqual([1, 1]);
        expect(vids[0]![0]).not.toBe(vids[1]![0]);
        // The site saw exactly two visitors arrive without a cookie; later each came back with its own.
        const hits = site.hitsOf('/visitor').slice(before);
        expect(hits.filter((hit) => hit.cookie === '')).toHaveLength(2);
        for (const session of sessionsOf(c)) {
            const vid = [...vidsBySession.get(session.id)!][0];
            expect(session.getCookieString(site.origin)).toBe(`vid=${vid}`);
        }
    });
});

describe('PuppeteerCrawler session judging', () => {
    it('retires a session on 403 and 401, and finishes the request with another session', async () => {
        const used: string[] = [];
        const c = crawler({
            maxConcurrency: 1,
            requestHandler: ({ session }) => {
                used.push(session!.id);
            },
        });
        const retired: Array<[string, string]> = [];
        c.sessionPool!.on('sessionRetired', (session, reason) => retired.push([session.id, reason]));
        const stats = await c.run([url('/status?code=403&k=a'), url('/status?code=401&k=b')]);
        expect(stats).toMatchObject({ requestsFinished: 2, requestsFailed: 0, sessionRotations: 2, retiredByReason: { blocked: 2 } });
        expect(stats.statusCodes).toEqual({ '200': 2, '401': 1, '403': 1 });
        expect(retired.map(([, reason]) => reason)).toEqual(['blocked', 'blocked']);
        // The handler only ever saw live sessions, none of the retired ones.
        expect(used).toHaveLength(2);
        expect(used.some((id) => retired.some(([retiredId]) => retiredId === id))).toBe(false);
        expect(sessionsOf(c).map((session) => session.id)).toEqual(expect.arrayContaining(used));
        // The contexts of the two retired sessions were closed.
        const browserStats = c.getBrowserStats();
        expect(browserStats.retiredSessionContextsClosed).toBe(2);
        expect(browserStats.openPages).toBe(0);
    });

    it('cools a session down on 429 with Retry-After instead of retiring it', async () => {
        const c = crawler({ maxConcurrency: 1, sessionPoolOptions: { maxPoolSize: 1 }, requestHandler: () => {} });
        const started = Date.now();
        const stats = await c.run([url('/status?code=429&k=c')]);
        expect(stats).toMatchObject({ requestsFinished: 1, rateLimitRetries: 1, sessionsRetired: 0, sessionsCreated: 1 });
        expect(Date.now() - started).toBeGreaterThanOrEqual(900);
        const [session] = sessionsOf(c);
        expect(session!.retired).toBe(false);
        expect(session!.usageCount).toBe(1);
    });

    it('rotates the session when the handler retires it (soft block)', async () => {
        const titles: Array<[string, string]> = [];
        const c = crawler({
            maxConcurrency: 1,
            requestHandler: async ({ page, session }) => {
                const title = await page.title();
                titles.push([session!.id, title]);
                if (title === 'Blocked') session!.retire();
            },
        });
        const stats = await c.run([url('/soft-block?times=1')]);
        expect(stats).toMatchObject({ requestsFinished: 1, sessionRotations: 1, retiredByReason: { manual: 1 } });
        expect(titles.map(([, title]) => title)).toEqual(['Blocked', '/soft-block']);
        expect(titles[0]![0]).not.toBe(titles[1]![0]);
    });

    it('retries a request whose handler throws, then calls failedRequestHandler, and keeps crawling', async () => {
        const failed: Array<{ url: string; message: string }> = [];
        const attempts = jest.fn();
        const c = crawler({
            maxConcurrency: 2,
            maxRequestRetries: 2,
            requestHandler: ({ request }) => {
                if (request.url.endsWith('/throws')) {
                    attempts();
                    throw new Error('handler bug');
                }
            },
            failedRequestHandler: ({ request }: FailedRequestContext, error: Error) => {
                failed.push({ url: request.url, message: error.message });
            },
        });
        const stats = await c.run([url('/throws'), url('/fine-1'), url('/fine-2')]);
        expect(attempts).toHaveBeenCalledTimes(3);
        expect(failed).toEqual([{ url: url('/throws'), message: 'handler bug' }]);
        expect(stats).toMatchObject({ requestsFinished: 2, requestsFailed: 1, requestsRetried: 2 });
        expect(c.getBrowserStats().openPages).toBe(0);
    });

    it('fails a request to an unreachable host with a clear error, without crashing the crawl', async () => {
        const port = await closedPort();
        const failed: Error[] = [];
        const c = crawler({
            maxConcurrency: 2,
            maxRequestRetries: 1,
            requestHandler: () => {},
            failedRequestHandler: (_context, error) => {
                failed.push(error);
            },
        });
        const stats = await c.run([`http://127.0.0.1:${port}/nothing-here`, url('/reachable')]);
        expect(stats).toMatchObject({ requestsFinished: 1, requestsFailed: 1 });
        expect(failed[0]).toBeInstanceOf(NavigationError);
        expect(failed[0]!.message).toBe(
            `GET http://127.0.0.1:${port}/nothing-here failed: net::ERR_CONNECTION_REFUSED at http://127.0.0.1:${port}/nothing-here`,
        );

        // A dead proxy: the error names it.
        const viaDeadProxy = crawler({
            maxRequestRetries: 0,
            proxyConfiguration: { proxyUrls: [`http://127.0.0.1:${port}`] },
            requestHandler: () => {},
            failedRequestHandler: (_context, error) => {
                failed.push(error);
            },
        });
        expect(await viaDeadProxy.run([url('/via-dead-proxy')])).toMatchObject({ requestsFinished: 0, requestsFailed: 1 });
        expect(failed[1]!.message).toMatch(
            new RegExp(`^GET ${url('/via-dead-proxy')} via proxy http://127\\.0\\.0\\.1:${port} failed: net::ERR_PROXY_CONNECTION_FAILED`),
        );
    });
});

describe('PuppeteerCrawler requests', () => {
    it('sends the request method, payload and headers', async () => {
        const c = crawler({ maxConcurrency: 1, requestHandler: () => {} });
        await c.run([
            { url: url('/form'), method: 'POST', payload: 'a=1&b=2', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-test': 'yes' } },
            url('/plain-get'),
        ]);
        expect(site.hitsOf('/form').at(-1)).toMatchObject({ method: 'POST', body: 'a=1&b=2', xTest: 'yes' });
        expect(site.hitsOf('/plain-get').at(-1)).toMatchObject({ method: 'GET', body: '', xTest: '' });
    });
});

describe('PuppeteerCrawler proxies', () => {
    it('always loads a page through the proxy of the session that leased it', async () => {
        type Attempt = { path: string; proxyUrl: string | undefined };
        const attempts: Attempt[] = [];
        const c = crawler({
            maxConcurrency: 4,
            proxyConfiguration: { proxyUrls: [proxyA.url, proxyB.url] },
            sessionPoolOptions: { maxPoolSize: 4 },
            preNavigationHooks: [
                ({ request, session, proxyInfo }) => {
                    expect(proxyInfo?.url).toBe(session!.proxyUrl);
                    attempts.push({ path: new URL(request.url).search, proxyUrl: session!.proxyUrl });
                },
            ],
            requestHandler: () => {},
        });
        const before = site.hitsOf('/status').length;
        // Some pages block their first visitor: sessions are retired and new ones (new proxies) take over.
        const urls = Array.from({ length: 16 }, (_, i) => url(`/status?code=${i % 4 === 0 ? 403 : 200}&p=${i}`));
        const stats = await c.run(urls);
        expect(stats).toMatchObject({ requestsFinished: 16, requestsFailed: 0, sessionRotations: 4 });
        expect(stats.sessionsCreated).toBeGreaterThan(4);

        const hits = site.hitsOf('/status').slice(before);
        expect(hits).toHaveLength(attempts.length);
        const proxyIp = (proxyUrl: string | undefined) => (proxyUrl === undefined ? '127.0.0.1' : new URL(proxyUrl).hostname);
        // Per page, the n-th hit the site saw came from the proxy of the session of the n-th attempt.
        const byPage = new Map<string, string[]>();
        for (const attempt of attempts) byPage.set(attempt.path, [...(byPage.get(attempt.path) ?? []), proxyIp(attempt.proxyUrl)]);
        const seenByPage = new Map<string, string[]>();
        for (const hit of hits) seenByPage.set(hit.search, [...(seenByPage.get(hit.search) ?? []), hit.remoteAddress]);
        expect(seenByPage).toEqual(byPage);
        // Both proxies were used, and nothing bypassed them.
        const addresses = new Set(hits.map((hit) => hit.remoteAddress));
        expect(addresses).toEqual(new Set(['127.0.0.2', '127.0.0.3']));
        expect(proxyB.requests.length).toBeGreaterThan(0);
        expect(proxyB.requests.every((request) => request.username === 'bob')).toBe(true);

        const browserStats = c.getBrowserStats();
        expect(browserStats.retiredSessionContextsClosed).toBe(stats.sessionsRetired);
        // Everything closed at the end, including the local proxies of anonymized contexts.
        expect(browserStats).toMatchObject({ openPages: 0, openContexts: 0, anonymizedProxiesOpen: 0 });
    });
});

describe('PuppeteerCrawler browser lifecycle', () => {
    it('survives a browser crash: the request is retried in a relaunched browser, with the session cookies', async () => {
        let killed = false;
        const c = new PuppeteerCrawler({
            ...quiet,
            launchOptions: { headless: true },
            maxConcurrency: 1,
            sessionPoolOptions: { persist: false, maxPoolSize: 1 },
            requestHandler: async ({ page, request }) => {
                if (request.url.endsWith('/kill') && !killed) {
                    killed = true;
                    page.browser().process()!.kill('SIGKILL');
                    await page.title();
                }
            },
        });
        const stats = await c.run([url('/set?keep=me'), url('/kill'), url('/after-crash')]);
        expect(stats).toMatchObject({ requestsFinished: 3, requestsFailed: 0, requestsRetried: 1 });
        expect(site.hitsOf('/after-crash').at(-1)!.cookie).toBe('keep=me');
        expect(site.hitsOf('/kill').at(-1)!.cookie).toBe('keep=me');
        const browserStats = c.getBrowserStats();
        expect(browserStats).toMatchObject({ browserLaunches: 2, browserDisconnects: 1, openPages: 0, openContexts: 0 });
        expect(c.browserAdapter.browser).toBeUndefined();
    });

    it('turns a crash during navigation into a retryable BrowserDisconnectedError', async () => {
        const errors: string[] = [];
        let killed = false;
        const c = new PuppeteerCrawler({
            ...quiet,
            launchOptions: {},
            maxConcurrency: 1,
            maxRequestRetries: 2,
            sessionPoolOptions: { persist: false },
            preNavigationHooks: [
                ({ page }) => {
                    if (!killed) {
                        killed = true;
                        // Dies while goto is in flight.
                        setTimeout(() => page.browser().process()!.kill('SIGKILL'), 0);
                    }
                },
            ],
            requestHandler: ({ request }) => {
                errors.push(...request.errorMessages);
            },
        });
        const stats = await c.run([url('/status?code=200&k=slow')]);
        expect(stats.requestsFinished).toBe(1);
        expect(errors).toHaveLength(1);
        expect(errors[0]).toMatch(/^Chromium crashed or was closed while loading http:\/\/127\.0\.0\.1:\d+\/status\?code=200&k=slow \(.+\)\. The request will be retried in a newly launched browser\.$/);
        expect(c.getBrowserStats().browserLaunches).toBe(2);
    });

    it('uses a given browser without closing it, and closes the contexts it made', async () => {
        const before = sharedBrowser.browserContexts().length;
        const listeners = () => [sharedBrowser.listenerCount('disconnected'), sharedBrowser.listenerCount('targetdestroyed')];
        const listenersBefore = listeners();
        const c = crawler({ maxConcurrency: 2, reusePages: false, requestHandler: () => {} });
        await c.run([url('/given-1'), url('/given-2'), url('/given-3')]);
        expect(sharedBrowser.connected).toBe(true);
        expect(sharedBrowser.browserContexts()).toHaveLength(before);
        // A browser that outlives the crawler keeps none of its listeners.
        expect(listeners()).toEqual(listenersBefore);
        expect(c.getBrowserStats()).toMatchObject({ browserLaunches: 0, pagesOpened: 3, pagesClosed: 3, pagesReused: 0, openContexts: 0 });
    });

    it("keeps a session's page for its next plain GET, and opens a new one after a request with headers", async () => {
        const pagesSeen: unknown[] = [];
        const c = crawler({ maxConcurrency: 1, sessionPoolOptions: { maxPoolSize: 1 }, requestHandler: ({ page }) => void pagesSeen.push(page) });
        await c.run([url('/reuse-1'), url('/reuse-2'), { url: url('/reuse-3'), headers: { 'x-test': 'h' } }, url('/reuse-4')]);
        expect(pagesSeen[1]).toBe(pagesSeen[0]);
        expect(pagesSeen[2]).toBe(pagesSeen[1]);
        // The page that sent extra headers is not kept: the next request gets a clean one.
        expect(pagesSeen[3]).not.toBe(pagesSeen[2]);
        expect(site.hitsOf('/reuse-4').at(-1)!.xTest).toBe('');
        expect(c.getBrowserStats()).toMatchObject({ pagesOpened: 2, pagesReused: 2, openPages: 0, openContexts: 0 });
        expect(sharedBrowser.browserContexts().filter((context) => context !== sharedBrowser.defaultBrowserContext())).toHaveLength(0);
    });

    it('gives every request a fresh context when sessions are off, and can run twice', async () => {
        const c = crawler({
            useSessionPool: false,
            maxConcurrency: 1,
            requestHandler: async ({ page, session }) => {
                expect(session).toBeUndefined();
                expect(await page.title()).toMatch(/^\//);
            },
        });
        await c.run([url('/set?nosession=1'), url('/no-session-2')]);
        expect(site.hitsOf('/no-session-2').at(-1)!.cookie).toBe('');
        await c.run([url('/no-session-3')]);
        expect(c.getBrowserStats()).toMatchObject({ pagesOpened: 3, openContexts: 0, contextsCreated: 3, contextsClosed: 3 });
    });

    it('bounds open contexts by maxOpenContexts', async () => {
        let maxOpen = 0;
        const c = crawler({
            maxConcurrency: 2,
            maxOpenContexts: 3,
            sessionPoolOptions: { maxPoolSize: 8, maxConcurrencyPerSession: 1 },
            requestHandler: ({ session }) => {
                maxOpen = Math.max(maxOpen, c.getBrowserStats().openContexts);
                session!.retire(); // every request rotates: many sessions, many contexts
            },
            maxSessionRotations: 1,
            failedRequestHandler: () => {},
        });
        await c.run(Array.from({ length: 4 }, (_, i) => url(`/bounded-${i}`)));
        expect(maxOpen).toBeLessThanOrEqual(3);
        expect(c.getBrowserStats().contextsCreated).toBeGreaterThan(3);
    });
});

describe('PuppeteerCrawler options', () => {
    const handler = () => {};

    it('rejects bad options naming the option and the value', () => {
        expect(() => new PuppeteerCrawler({ requestHandler: handler, navigationTimeoutSecs: 0 })).toThrow(
            'Option "navigationTimeoutSecs" must be a number of seconds > 0 and <= 2147483 (about 24.8 days), got 0.',
        );
        expect(() => new PuppeteerCrawler({ requestHandler: handler, maxOpenContexts: 1.5 })).toThrow(/"maxOpenContexts" must be an integer >= 1, got 1\.5/);
        expect(() => new PuppeteerCrawler({ requestHandler: handler, gotoOptions: { waitUntil: 'idle' as 'load' } })).toThrow(
            /"gotoOptions\.waitUntil" must be one of load, domcontentloaded, networkidle0, networkidle2.*got "idle"/,
        );
        expect(() => new PuppeteerCrawler({ requestHandler: handler, gotoOptions: { timeout: 5 } as never })).toThrow(/use navigationTimeoutSecs/);
        expect(() => new PuppeteerCrawler({ requestHandler: handler, launchOptions: { args: '--foo' as never } })).toThrow(/"launchOptions\.args" must be an array/);
        expect(() => new PuppeteerCrawler({ requestHandler: handler, browser: sharedBrowser, launchOptions: {} })).toThrow(/"launchOptions" has no effect with an existing browser/);
        expect(() => new PuppeteerCrawler({ requestHandler: handler, browser: {} as Browser })).toThrow(/"browser" must be a puppeteer-core Browser/);
        expect(() => new PuppeteerCrawler({ requestHandler: handler, navigationTimoutSecs: 5 } as never)).toThrow(/did you mean "navigationTimeoutSecs"/);
    });

    it('fails run() at once with a clear error when the configured Chromium does not exist', async () => {
        const c = new PuppeteerCrawler({ ...quiet, requestHandler: handler, launchOptions: { executablePath: '/nope/chromium' } });
        await expect(c.run([url('/never')])).rejects.toThrow(InvalidChromiumPathError);
        await expect(c.run([url('/never')])).rejects.toThrow(/apt-get install -y chromium/);
    });
});
