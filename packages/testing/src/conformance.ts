import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ProxyConfigurationOptions, type Session, SessionPool, type SessionPoolOptions } from '@sessionkit/core';
import type { CrawlerRunStatistics, CrawlingContext, RequestLike } from '@sessionkit/crawler';

import { type ProxyFarm, startProxyFarm } from './proxy-farm.js';

/** The options every crawler under test must accept (a subset of BasicCrawlerOptions). */
export interface ConformanceCrawlerOptions {
    requestHandler(context: CrawlingContext): void | Promise<void>;
    maxConcurrency: number;
    maxRequestRetries?: number;
    persistCookiesPerSession?: boolean;
    sessionPoolOptions?: SessionPoolOptions;
    sessionPool?: SessionPool;
    proxyConfiguration?: ProxyConfigurationOptions;
    statusIntervalSecs: number;
    logLevel: 'off';
}

/** What the suite needs from a crawler. */
export interface CrawlerUnderTest {
    run(requests: Iterable<RequestLike>): Promise<CrawlerRunStatistics>;
    readonly sessionPool: SessionPool | undefined;
}

export interface CrawlerAdapterSuite {
    /** Crawler name, for the describe block. */
    name: string;
    makeCrawler(options: ConformanceCrawlerOptions): CrawlerUnderTest;
    /** The client runs page scripts (a browser): `document.cookie` set by the page must reach the session. */
    runsPageScripts?: boolean;
    /** Sets a cookie through the client from inside the handler (a browser: `document.cookie` via the page). */
    setCookieInClient?(context: CrawlingContext, cookie: string): Promise<void>;
    /** The client can route each session through its own proxy. Default true. */
    supportsProxies?: boolean;
    /** Crashes the client from inside the handler (a browser: kills Chromium); absent for clients that cannot crash. */
    crash?(context: CrawlingContext): Promise<void>;
    /** Called once after the suite (close shared browsers). */
    teardown?(): Promise<void>;
}

interface SiteHit {
    path: string;
    search: string;
    cookie: string;
    remoteAddress: string;
}

interface ConformanceSite {
    origin: string;
    hits: SiteHit[];
    hitsOf(path: string): SiteHit[];
    url(path: string): string;
    close(): Promise<void>;
}

function html(title: string, body = '', head = ''): string {
    // An inline icon: a browser then never fetches /favicon.ico through the session's proxy.
    return `<!doctype html><html><head><title>${title}</title><link rel="icon" href="data:,">${head}</head><body>${body}</body></html>`;
}

/**
 *  /set?a=1&…        Set-Cookie per query pair but `tag` (value verbatim: "1; Max-Age=0" works)
 *  /js-cookie        a script sets document.cookie js=from-script
 *  /redirect-cookie  302 → /landing with Set-Cookie hop=1
 *  /visitor          Set-Cookie vid=<new> unless a vid came; the page shows the vid
 *  /status?code=     `code` for the first hit of that URL (429 with Retry-After: 1), then 200
 *  anything else     200
 */
async function startConformanceSite(): Promise<ConformanceSite> {
    const hits: SiteHit[] = [];
    const counts = new Map<string, number>();
    let visitors = 0;
    const server = http.createServer((req, res) => {
        const url = new URL(req.url ?? '/', 'http://x');
        if (url.pathname === '/favicon.ico') {
            res.statusCode = 404;
            res.end();
            return;
        }
        const cookie = req.headers.cookie ?? '';
        const seen = (counts.get(req.url!) ?? 0) + 1;
        counts.set(req.url!, seen);
        hits.push({ path: url.pathname, search: url.search, cookie, remoteAddress: req.socket.remoteAddress ?? '' });
        let status = 200;
        let body = html(url.pathname);
        res.setHeader('content-type', 'text/html; charset=utf-8');
        switch (url.pathname) {
            case '/set':
                res.setHeader(
                    'set-cookie',
                    [...url.searchParams.entries()].filter(([name]) => name !== 'tag').map(([name, value]) => `${name}=${value}`),
                );
                break;
            case '/js-cookie':
                body = html('js', '', `<script>document.cookie = 'js=from-script; path=/';</script>`);
                break;
            case '/redirect-cookie':
                status = 302;
                res.setHeader('set-cookie', 'hop=1; Path=/; HttpOnly');
                res.setHeader('location', '/landing');
                body = '';
                break;
            case '/visitor': {
                const vid = /(?:^|; )vid=(\d+)/.exec(cookie)?.[1];
                if (vid === undefined) {
                    visitors += 1;
                    res.setHeader('set-cookie', `vid=${visitors}; Path=/`);
                }
                body = html('visitor', `<p id="vid">${vid ?? visitors}</p>`);
                break;
            }
            case '/status':
                if (seen === 1) {
                    status = Number(url.searchParams.get('code'));
                    if (status === 429) res.setHeader('retry-after', '1');
                }
                break;
            default:
        }
        res.statusCode = status;
        res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const origin = `http://127.0.0.1:${port}`;
    return {
        origin,
        hits,
        hitsOf: (path) => hits.filter((hit) => hit.path === path),
        url: (path) => `${origin}${path}`,
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

const QUIET = { statusIntervalSecs: 0, logLevel: 'off' } as const;

/**
 * The conformance suite every crawler type must pass (docs/adapters.md, checklist): run it from a jest test
 * file with a factory that builds the crawler under test from BasicCrawler options. Real loopback site, real
 * proxies with credentials; each test is independent.
 */
export function testCrawlerAdapter(suite: CrawlerAdapterSuite): void {
    const supportsProxies = suite.supportsProxies ?? true;
    let site: ConformanceSite;
    let farm: ProxyFarm;
    let testNo = 0;
    /** A unique path prefix per test, so hits of one test never mix with another's. */
    const scoped = () => `/t${(testNo += 1)}`;

    beforeAll(async () => {
        [site, farm] = await Promise.all([startConformanceSite(), startProxyFarm({ count: 2, credentials: { username: 'conformance', password: 's3cr3t' } })]);
    });
    afterAll(async () => {
        await suite.teardown?.();
        await Promise.all([site?.close(), farm?.close()]);
    });

    const crawl = (options: Partial<ConformanceCrawlerOptions> & Pick<ConformanceCrawlerOptions, 'requestHandler'>) =>
        suite.makeCrawler({
            ...QUIET,
            maxConcurrency: 1,
            ...options,
            ...(options.sessionPool ? {} : { sessionPoolOptions: { persist: false, ...options.sessionPoolOptions } }),
        });

    describe(`${suite.name} conformance (testCrawlerAdapter)`, () => {
        it('round-trips cookies, including the Set-Cookie of a redirect hop', async () => {
            const t = scoped();
            const crawler = crawl({ sessionPoolOptions: { maxPoolSize: 1 }, requestHandler: () => {} });
            const stats = await crawler.run([site.url(`/set?a=1&tag=${t.slice(1)}`), site.url(`/redirect-cookie?tag=${t.slice(1)}`), site.url(`${t}/after`)]);
            expect(stats).toMatchObject({ requestsFinished: 3, requestsFailed: 0 });
            expect(site.hitsOf('/landing').at(-1)!.cookie).toBe('a=1; hop=1');
            expect(site.hitsOf(`${t}/after`)[0]!.cookie).toBe('a=1; hop=1');
            const [session] = crawler.sessionPool!.getSessions();
            expect(session!.getCookieString(site.origin)).toBe('a=1; hop=1');
        });

        if (suite.runsPageScripts) {
            it('saves a cookie set by a page script', async () => {
                const t = scoped();
                const crawler = crawl({ sessionPoolOptions: { maxPoolSize: 1 }, requestHandler: () => {} });
                await crawler.run([site.url(`/js-cookie?${t}`), site.url(`${t}/after-script`)]);
                expect(site.hitsOf(`${t}/after-script`)[0]!.cookie).toBe('js=from-script');
                expect(crawler.sessionPool!.getSessions()[0]!.getCookieString(site.origin)).toBe('js=from-script');
            });
        }

        it('sends a cookie the handler put into the session with the next request', async () => {
            const t = scoped();
            const crawler = crawl({
                sessionPoolOptions: { maxPoolSize: 1 },
                requestHandler: async (context) => {
                    if (!context.request.url.endsWith('/first')) return;
                    context.session!.setCookies([{ name: 'token', value: 'abc' }], site.origin);
                    if (suite.setCookieInClient) await suite.setCookieInClient(context, 'client=1; path=/');
                },
            });
            await crawler.run([site.url(`${t}/first`), site.url(`${t}/second`)]);
            expect(site.hitsOf(`${t}/second`)[0]!.cookie.split('; ').sort()).toEqual(suite.setCookieInClient ? ['client=1', 'token=abc'] : ['token=abc']);
        });

        it('sends the cookies a session already has on its first request, and forgets a cookie the site deleted', async () => {
            const t = scoped();
            const pool = new SessionPool({ persist: false, maxPoolSize: 1 });
            await pool.initialize();
            const lease = await pool.acquire();
            lease.session.setCookies([{ name: 'seed', value: '1' }], site.origin);
            lease.release();
            try {
                const crawler = crawl({ sessionPool: pool, requestHandler: () => {} });
                await crawler.run([site.url(`${t}/fresh`), site.url(`/set?drop=2&tag=${t.slice(1)}`), site.url(`/set?drop=${encodeURIComponent('x; Max-Age=0')}&tag=${t.slice(1)}`), site.url(`${t}/after`)]);
                expect(site.hitsOf(`${t}/fresh`)[0]!.cookie).toBe('seed=1');
                expect(site.hitsOf(`${t}/after`)[0]!.cookie).toBe('seed=1');
                expect(pool.getSessions()[0]!.getCookieString(site.origin)).toBe('seed=1');
            } finally {
                await pool.teardown();
            }
        });

        it('retires a session on 401 and 403 and finishes the request with another one', async () => {
            const t = scoped();
            const used: string[] = [];
            const crawler = crawl({ requestHandler: ({ session }) => void used.push(session!.id) });
            const stats = await crawler.run([site.url(`/status?code=403&${t}`), site.url(`/status?code=401&${t}`)]);
            expect(stats).toMatchObject({ requestsFinished: 2, requestsFailed: 0, sessionRotations: 2, retiredByReason: { blocked: 2 } });
            const retired = crawler.sessionPool!.getSessions().filter((session) => session.retired);
            expect(used.some((id) => retired.some((session) => session.id === id))).toBe(false);
        });

        it('cools a single session down on 429 and retries with it once rested', async () => {
            const t = scoped();
            const crawler = crawl({ sessionPoolOptions: { maxPoolSize: 1 }, requestHandler: () => {} });
            const started = Date.now();
            const stats = await crawler.run([site.url(`/status?code=429&${t}`)]);
            expect(stats).toMatchObject({ requestsFinished: 1, rateLimitRetries: 1, sessionsRetired: 0, sessionsCreated: 1 });
            expect(Date.now() - started).toBeGreaterThanOrEqual(900);
        });

        if (supportsProxies) {
            it("sends every request of a session through that session's own proxy (credentials included)", async () => {
                const t = scoped();
                const handled: Array<{ search: string; proxyIp: string }> = [];
                const crawler = crawl({
                    maxConcurrency: 2,
                    sessionPoolOptions: { maxPoolSize: 2 },
                    proxyConfiguration: { proxyUrls: [...farm.urls] },
                    requestHandler: ({ request, session }) => {
                        handled.push({ search: new URL(request.url).search, proxyIp: new URL(session!.proxyUrl!).hostname });
                    },
                });
                await crawler.run(Array.from({ length: 6 }, (_, i) => site.url(`/visitor?${t}-${i}`)));
                expect(handled).toHaveLength(6);
                for (const { search, proxyIp } of handled) {
                    const hits = site.hits.filter((hit) => hit.search === search);
                    expect(hits.map((hit) => hit.remoteAddress)).toEqual([proxyIp]);
                }
                expect(new Set(handled.map((entry) => entry.proxyIp))).toEqual(new Set(farm.proxies.map((proxy) => proxy.ip)));
            });
        }

        it('never lets two sessions crawling concurrently see each other’s cookies' + (supportsProxies ? ' or proxy' : ''), async () => {
            const t = scoped();
            const seen = new Map<string, Set<string>>();
            const crawler = crawl({
                maxConcurrency: 2,
                sessionPoolOptions: { maxPoolSize: 2 },
                ...(supportsProxies ? { proxyConfiguration: { proxyUrls: [...farm.urls] } } : {}),
                requestHandler: ({ session, request }) => {
                    const key = session!.id;
                    const entry = seen.get(key) ?? new Set<string>();
                    entry.add(new URL(request.url).search);
                    seen.set(key, entry);
                },
            });
            await crawler.run(Array.from({ length: 10 }, (_, i) => site.url(`/visitor?${t}-${i}`)));
            const sessions = crawler.sessionPool!.getSessions();
            expect(sessions).toHaveLength(2);
            const vids = new Set<string>();
            for (const session of sessions) {
                const searches = seen.get(session.id) ?? new Set<string>();
                const hits = site.hits.filter((hit) => searches.has(hit.search));
                const vid = /vid=(\d+)/.exec(session.getCookieString(site.origin))?.[1];
                expect(vid).toBeDefined();
                vids.add(vid!);
                // After its first request, every request of the session carried its own visitor id only.
                expect(new Set(hits.slice(1).map((hit) => hit.cookie))).toEqual(new Set(hits.length > 1 ? [`vid=${vid}`] : []));
                if (supportsProxies) expect(new Set(hits.map((hit) => hit.remoteAddress))).toEqual(new Set([new URL(session.proxyUrl!).hostname]));
            }
            expect(vids.size).toBe(2);
        });

        if (suite.crash) {
            const crash = suite.crash;
            it('survives a crash of its client: the request is retried, the session keeps its cookies and its score', async () => {
                const t = scoped();
                let crashed = false;
                let sessionUsed: Session | undefined;
                const crawler = crawl({
                    sessionPoolOptions: { maxPoolSize: 1 },
                    maxRequestRetries: 2,
                    requestHandler: async (context) => {
                        sessionUsed = context.session;
                        if (context.request.url.endsWith('/crash') && !crashed) {
                            crashed = true;
                            await crash(context);
                        }
                    },
                });
                const stats = await crawler.run([site.url(`/set?keep=me&tag=${t.slice(1)}`), site.url(`${t}/crash`), site.url(`${t}/after-crash`)]);
                expect(stats).toMatchObject({ requestsFinished: 3, requestsFailed: 0, requestsRetried: 1 });
                expect(site.hitsOf(`${t}/after-crash`)[0]!.cookie).toBe('keep=me');
                expect(site.hitsOf(`${t}/crash`).at(-1)!.cookie).toBe('keep=me');
                expect(sessionUsed!.errorScore).toBe(0);
            });
        }

        it('neither sends nor stores session cookies with persistCookiesPerSession: false', async () => {
            const t = scoped();
            const crawler = crawl({
                persistCookiesPerSession: false,
                sessionPoolOptions: { maxPoolSize: 1 },
                requestHandler: () => {},
            });
            await crawler.run([site.url(`/set?a=1&tag=${t.slice(1)}`), site.url(`/redirect-cookie?tag=${t.slice(1)}`), site.url(`${t}/after`)]);
            // No request carries a cookie of an earlier one (a browser still sends hop=1 within the redirect itself).
            const tagged = (path: string) => site.hits.find((hit) => hit.path === path && (path === `${t}/after` || hit.search.includes(`tag=${t.slice(1)}`)))!.cookie;
            expect([tagged('/set'), tagged('/redirect-cookie'), tagged(`${t}/after`)]).toEqual(['', '', '']);
            expect(crawler.sessionPool!.getSessions()[0]!.getAllCookies()).toEqual([]);
        });
    });
}
