// Answers that are not the page's: a proxy refusing our credentials (407) and a site refusing a request whose
// headers grew too large (431). Both are judged as the fault of what caused them, never as a finished page.
import { afterEach, describe, expect, it } from '@jest/globals';

import { HttpCrawler, ProxyAuthenticationError } from '@sessionkit/http';
import { type AntiBotSite, type ProxyFarm, startAntiBotSite, startProxyFarm } from '@sessionkit/testing';

import { type TestServer, readCookie, startServer } from './helpers.js';
import { Closers } from '@sessionkit/test-utils';

const closers = new Closers();
afterEach(() => closers.closeAll());
const track = <T extends { close(): Promise<void> }>(started: Promise<T>): Promise<T> => closers.track(started);

const credentials = { username: 'crawler', password: 's3cret-pw' };
/** The farm's URL of proxy `index`, with a wrong password. */
const withWrongPassword = (farm: ProxyFarm, index: number) => farm.proxies[index]!.url.replace('s3cret-pw', 'wrong-pw');

function crawlThrough(proxyUrls: string[], handled: string[]) {
    return new HttpCrawler({
        statusIntervalSecs: 0,
        logLevel: 'off',
        maxConcurrency: 2,
        proxyConfiguration: { proxyUrls },
        sessionPoolOptions: { persist: false, proxyBanThreshold: 2 },
        requestHandler: ({ request }) => {
            handled.push(request.url);
        },
    });
}

describe('a proxy answering 407', () => {
    let site: AntiBotSite;
    let farm: ProxyFarm;


    it('is the proxy fault: its sessions rotate to the proxy that works, and no 407 counts as a page', async () => {
        site = await track(startAntiBotSite({ pageCount: 30, newVisitorLimit: false, softBlockRate: 0, transientErrorRate: 0 }));
        farm = await track(startProxyFarm({ count: 2, firstAddress: '127.0.0.40', credentials }));
        const handled: string[] = [];
        const crawler = crawlThrough([withWrongPassword(farm, 0), farm.proxies[1]!.url], handled);
        const stats = await crawler.run(site.pageUrls(30));
        expect(stats.requestsFinished).toBe(30);
        expect(new Set(handled).size).toBe(30);
        expect(site.stats().pagesServed).toBe(30);
        expect(farm.stats()[0]!.authFailures).toBeGreaterThan(0);
        const badProxy = crawler.sessionPool!.getStats().proxies.find((proxy) => proxy.url.includes('127.0.0.40'))!;
        expect(badProxy.state).not.toBe('healthy');
    }, 60_000);

    it('stops the crawl early with an error naming every proxy (passwords hidden) when all of them answer 407', async () => {
        site = await track(startAntiBotSite({ pageCount: 200, newVisitorLimit: false }));
        farm = await track(startProxyFarm({ count: 2, firstAddress: '127.0.0.42', credentials }));
        const handled: string[] = [];
        const crawler = crawlThrough([withWrongPassword(farm, 0), withWrongPassword(farm, 1)], handled);
        const failure = await crawler.run(site.pageUrls(200)).then(
            () => undefined,
            (error: unknown) => error,
        );
        expect(failure).toBeInstanceOf(ProxyAuthenticationError);
        const message = (failure as Error).message;
        expect(message).toMatch(/^Every proxy answered HTTP 407/);
        expect(message).toContain(`127.0.0.42:${farm.proxies[0]!.port}`);
        expect(message).toContain(`127.0.0.43:${farm.proxies[1]!.port}`);
        expect(message).not.toContain('wrong-pw');
        expect(handled).toEqual([]);
        expect(site.stats().pagesServed).toBe(0);
        // Stopped early: far fewer attempts than 200 pages × their retries and rotations.
        expect(farm.stats()[0]!.authFailures + farm.stats()[1]!.authFailures).toBeLessThan(40);
    }, 60_000);
});

describe('a site answering 431', () => {
    let server: TestServer;

    it('retires the session whose cookies grew too large and rotates the request, blaming no proxy', async () => {
        // Every page adds a 3 kB cookie; past 8 kB of Cookie header the site refuses with 431.
        let counter = 0;
        server = await track(
            startServer((req, res) => {
                if ((req.headers.cookie ?? '').length > 8_000) {
                    res.writeHead(431).end();
                    return;
                }
                counter += 1;
                res.setHeader('set-cookie', `c${counter}=${'x'.repeat(3_000)}; Path=/`);
                res.end(`<html><title>${readCookie(req.headers.cookie, 'c1') ? 'returning' : 'new'}</title></html>`);
            }),
        );
        const handled: string[] = [];
        const crawler = new HttpCrawler({
            statusIntervalSecs: 0,
            logLevel: 'off',
            maxConcurrency: 1,
            sessionPoolOptions: { persist: false },
            requestHandler: ({ request }) => {
                handled.push(request.url);
            },
        });
        const urls = Array.from({ length: 12 }, (_, i) => server.url(`/p${i}`));
        const stats = await crawler.run(urls);
        expect(stats.requestsFinished).toBe(12);
        expect(stats.requestsRetried).toBe(0);
        expect(stats.sessionRotations).toBeGreaterThan(0);
        expect(stats.retiredByReason.oversizedCookies).toBe(stats.sessionRotations);
        expect(stats.statusCodes['431']).toBe(stats.sessionRotations);
    }, 60_000);
});
