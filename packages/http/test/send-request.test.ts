import { afterEach, describe, expect, it } from '@jest/globals';

import { BasicCrawler } from '@sessionkit/crawler';
import { sendRequest } from '@sessionkit/http';

import { type TestProxy, type TestServer, readCookie, startProxy, startVisitorSite } from './helpers.js';

const closers: (TestServer | TestProxy)[] = [];
afterEach(async () => {
    for (const closer of closers.splice(0)) await closer.close();
});

async function track<T extends TestServer | TestProxy>(started: Promise<T>): Promise<T> {
    const value = await started;
    closers.push(value);
    return value;
}

describe('BasicCrawler + sendRequest (seed "BasicCrawler" example)', () => {
    it('fetches as the session: its proxy, its cookies; blocks and soft blocks rotate the session', async () => {
        // /hard-block answers 403 to the first visitor that asks; /soft-block says "blocked" in a 200 page to v2.
        let hardBlocked = false;
        const site = await track(
            startVisitorSite((_req, res, url, visitor) => {
                if (url.pathname === '/hard-block' && !hardBlocked) {
                    hardBlocked = true;
                    res.statusCode = 403;
                    res.end('forbidden');
                    return true;
                }
                if (url.pathname === '/soft-block' && visitor === 'v2') {
                    res.end('{"blocked":true}');
                    return true;
                }
                return false;
            }),
        );
        const p2 = await track(startProxy('127.0.0.2'));
        const p3 = await track(startProxy('127.0.0.3'));
        const ipOf = new Map([
            [p2.url, '127.0.0.2'],
            [p3.url, '127.0.0.3'],
        ]);
        const pages: { path: string; visitor: string; ip: string; proxyUrl: string }[] = [];

        const crawler = new BasicCrawler({
            statusIntervalSecs: 0,
            logLevel: 'off',
            // Allows access to proxyInfo in the handler; each session keeps one proxy.
            proxyConfiguration: { proxyUrls: [p2.url, p3.url] },
            useSessionPool: true,
            sessionPoolOptions: { persist: false, maxPoolSize: 100 },
            maxConcurrency: 1,
            requestHandler: async (context) => {
                const { request, session, proxyInfo } = context;
                let response;
                try {
                    // The session's Cookie header, its proxy (proxyInfo.url) and its generated headers are applied.
                    response = await sendRequest(context);
                } catch (error) {
                    session!.markBad(); // a network error: maybe bad luck, keep the session
                    throw error;
                }
                // Retires the session on 401/403; the crawler then retries the request with another session.
                session!.retireOnBlockedStatusCodes(response.statusCode);
                if (response.body.includes('"blocked":true')) {
                    session!.retire(); // sure it is blocked: throw the session away
                    return;
                }
                if (session!.retired) return;
                // No session.setCookiesFromResponse(response): sendRequest stored the cookies already.
                // No session.markGood(): the crawler does it.
                const match = /visitor=(v\d+) ip=([\d.]+)/.exec(response.body)!;
                pages.push({ path: new URL(request.url).pathname, visitor: match[1]!, ip: match[2]!, proxyUrl: proxyInfo!.url });
            },
        });
        const stats = await crawler.run(['/first', '/second', '/hard-block', '/soft-block', '/last'].map((path) => site.url(path)));

        expect(stats).toMatchObject({ requestsFinished: 5, requestsFailed: 0, requestsRetried: 0, sessionRotations: 2, sessionsCreated: 3, retiredByReason: { blocked: 1, manual: 1 } });
        // The cookie minted on /first arrived with /second: sendRequest saved it.
        expect(readCookie(site.hits[1]!.headers.cookie, 'visitor')).toBe('v1');
        // v1 got the 403 on /hard-block, v2 (its replacement) the soft block; rotated requests go to the back of the queue.
        expect(site.hits.map((hit) => [hit.path, readCookie(hit.headers.cookie, 'visitor') ?? 'new'])).toEqual([
            ['/first', 'new'],
            ['/second', 'v1'],
            ['/hard-block', 'v1'],
            ['/soft-block', 'new'],
            ['/last', 'new'],
            ['/hard-block', 'v3'],
            ['/soft-block', 'v3'],
        ]);
        expect(pages.map(({ path, visitor }) => [path, visitor])).toEqual([
            ['/first', 'v1'],
            ['/second', 'v1'],
            ['/last', 'v3'],
            ['/hard-block', 'v3'],
            ['/soft-block', 'v3'],
        ]);
        // Every page came through the proxy of the session that fetched it.
        for (const page of pages) expect(page.ip).toBe(ipOf.get(page.proxyUrl));
        expect(p2.requests + p3.requests).toBe(site.hits.length);
    });

    it('retries later a page the handler found rate limited (retireOnBlockedStatusCodes(429) cools the session down)', async () => {
        let limited = false;
        const site = await track(
            startVisitorSite((_req, res) => {
                if (limited) return false;
                limited = true;
                res.statusCode = 429;
                res.end('slow down');
                return true;
            }),
        );
        const statuses: number[] = [];
        const crawler = new BasicCrawler({
            statusIntervalSecs: 0,
            logLevel: 'off',
            sessionPoolOptions: { persist: false },
            requestHandler: async (context) => {
                const response = await sendRequest(context);
                statuses.push(response.statusCode);
                // Not a block: 429 cools the session (and its route) down instead of retiring it.
                expect(context.session!.retireOnBlockedStatusCodes(response.statusCode)).toBe(false);
            },
        });
        const stats = await crawler.run([site.url('/busy')]);
        expect(statuses).toEqual([429, 200]);
        expect(stats).toMatchObject({ requestsFinished: 1, requestsRetried: 0, rateLimitRetries: 1, sessionRotations: 0, sessionsCreated: 1, sessionsRetired: 0 });
        // The same session came back after its backoff (rateLimitBackoffSecs 1: 0.5-1 s), cookie and all.
        expect(readCookie(site.hits[1]!.headers.cookie, 'visitor')).toBe('v1');
        expect(site.hits[1]!.at - site.hits[0]!.at).toBeGreaterThanOrEqual(450);
    });

    it('works without sessions: no cookies kept, the proxy from proxyConfiguration', async () => {
        const site = await track(startVisitorSite());
        const proxy = await track(startProxy('127.0.0.2'));
        const bodies: string[] = [];
        await new BasicCrawler({
            statusIntervalSecs: 0,
            logLevel: 'off',
            useSessionPool: false,
            proxyConfiguration: { proxyUrls: [proxy.url] },
            maxConcurrency: 1,
            requestHandler: async (context) => {
                bodies.push((await sendRequest(context)).body);
            },
        }).run([site.url('/a'), site.url('/b')]);
        expect(bodies.map((body) => /visitor=(v\d+) ip=([\d.]+)/.exec(body)!.slice(1))).toEqual([
            ['v1', '127.0.0.2'],
            ['v2', '127.0.0.2'],
        ]);
        expect(site.hits.map((hit) => hit.headers.cookie)).toEqual([undefined, undefined]);
    });
});
