// Bad URLs are the target's fault: a URL that hangs, loops redirects or answers garbage fails through every
// proxy, and must not bench the healthy proxies or burn the healthy sessions that happened to carry it.
import { afterEach, describe, expect, it } from '@jest/globals';

import { HttpCrawler } from '@sessionkit/http';
import { startAntiBotSite, startProxyFarm } from '@sessionkit/testing';

import { startRawServer, startServer } from './helpers.js';
import { Closers } from '@sessionkit/test-utils';

const closers = new Closers();
afterEach(() => closers.closeAll());
const track = <T extends { close(): Promise<void> }>(started: Promise<T>): Promise<T> => closers.track(started);

describe('target-side faults', () => {
    it('fail the bad URLs without taking the healthy proxies down or retiring healthy sessions', async () => {
        const site = await track(startAntiBotSite({ pageCount: 200, newVisitorLimit: false, softBlockRate: 0, transientErrorRate: 0 }));
        const farm = await track(startProxyFarm({ count: 3, firstAddress: '127.0.0.60' }));
        const bad = await track(
            startServer((req, res, url) => {
                if (url.pathname.startsWith('/loop')) {
                    res.writeHead(302, { location: url.pathname }).end();
                    return;
                }
                req.socket.setTimeout(0); // /hang: never answers
            }),
        );
        const garbage = await track(startRawServer('this is not HTTP\r\n\r\n'));
        const badUrls = [
            ...Array.from({ length: 4 }, (_, i) => bad.url(`/hang/${i}`)),
            ...Array.from({ length: 3 }, (_, i) => bad.url(`/loop/${i}`)),
            ...Array.from({ length: 3 }, (_, i) => garbage.url(`/garbage/${i}`)),
        ];
        const good = site.pageUrls(200);
        // Bad URLs spread through the crawl, as they would be in a real one.
        const urls = good.flatMap((url, i) => (i % 20 === 0 && badUrls[i / 20] ? [badUrls[i / 20]!, url] : [url]));

        const failed: string[] = [];
        const crawler = new HttpCrawler({
            statusIntervalSecs: 0,
            logLevel: 'off',
            maxConcurrency: 10,
            navigationTimeoutSecs: 3,
            proxyConfiguration: { proxyUrls: [...farm.urls] },
            sessionPoolOptions: { persist: false, maxPoolSize: 30 },
            requestHandler: () => {},
            failedRequestHandler: ({ request }) => {
                failed.push(request.url);
            },
        });
        const stats = await crawler.run(urls);
        expect(stats.requestsFinished).toBe(200);
        expect(failed.sort()).toEqual([...badUrls].sort());
        // Only each bad URL's first failure counts against its route. Those of the hanging URLs land after the good
        // pages are done (nothing resets a proxy's failure streak then), so one proxy can still collect three of them;
        // never all three proxies (before this rule: all benched, the crawl stalled).
        expect(stats.proxiesBenched).toBeLessThanOrEqual(1);
        expect(crawler.sessionPool!.getStats().proxies.filter((proxy) => proxy.state === 'healthy').length).toBeGreaterThanOrEqual(2);
        // Each bad URL's first failure still counts (it could have been the route), so a session that carried
        // several bad URLs in a row may be retired; the retries of a URL that fails everywhere burn none.
        // (Before this rule the three proxies were benched and the crawl stalled.)
        expect(stats.retiredByReason.errorScore ?? 0).toBeLessThanOrEqual(2);
    }, 90_000);
});
