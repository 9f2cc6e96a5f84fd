import { afterEach, describe, expect, it } from '@jest/globals';

import { HttpCrawler } from '@sessionkit/http';

import { type TestProxy, type TestServer, startProxy, startVisitorSite } from './helpers.js';

const closers: (TestServer | TestProxy)[] = [];
afterEach(async () => {
    for (const closer of closers.splice(0)) await closer.close();
});

async function track<T extends TestServer | TestProxy>(started: Promise<T>): Promise<T> {
    const value = await started;
    closers.push(value);
    return value;
}

describe('proxies', () => {
    it("sends every request through its session's proxy (proxyUrl)", async () => {
        const site = await track(startVisitorSite());
        const p2 = await track(startProxy('127.0.0.2'));
        const p3 = await track(startProxy('127.0.0.3'));
        const ipOf = new Map([
            [p2.url, '127.0.0.2'],
            [p3.url, '127.0.0.3'],
        ]);
        const observed: { proxyUrl: string | undefined; proxyInfoUrl: string | undefined; ip: string }[] = [];
        const stats = await new HttpCrawler({
            statusIntervalSecs: 0,
            logLevel: 'off',
            sessionPoolOptions: { persist: false, maxPoolSize: 4 },
            proxyConfiguration: { proxyUrls: [p2.url, p3.url] },
            maxConcurrency: 4,
            requestHandler: ({ session, proxyInfo, body }) => {
                observed.push({ proxyUrl: session!.proxyUrl, proxyInfoUrl: proxyInfo?.url, ip: / ip=([\d.]+)/.exec(body)![1]! });
            },
        }).run(Array.from({ length: 16 }, (_, i) => site.url(`/p${i}`)));
        expect(stats.requestsFinished).toBe(16);
        for (const { proxyUrl, proxyInfoUrl, ip } of observed) {
            expect(proxyInfoUrl).toBe(proxyUrl);
            expect(ip).toBe(ipOf.get(proxyUrl!));
        }
        // Both proxies carried traffic, and nothing went around them.
        expect(p2.requests).toBeGreaterThan(0);
        expect(p3.requests).toBeGreaterThan(0);
        expect(p2.requests + p3.requests).toBe(16);
        expect(site.hits.every((hit) => hit.remoteAddress === '127.0.0.2' || hit.remoteAddress === '127.0.0.3')).toBe(true);
    });

    it("names the request's session in proxyInfo.sessionId, as Crawlee does", async () => {
        const site = await track(startVisitorSite());
        const proxy = await track(startProxy('127.0.0.2'));
        const seen: [string | undefined, string, string | undefined][] = [];
        const crawler = new HttpCrawler({
            statusIntervalSecs: 0,
            logLevel: 'off',
            sessionPoolOptions: { persist: false, maxPoolSize: 3 },
            proxyConfiguration: { proxyUrls: [proxy.url] },
            maxConcurrency: 3,
            requestHandler: async ({ session, proxyInfo }) => {
                seen.push([proxyInfo?.sessionId, session!.id, proxyInfo?.url]);
            },
        });
        const stats = await crawler.run(Array.from({ length: 9 }, (_, i) => site.url(`/p${i}`)));
        expect(stats.requestsFinished).toBe(9);
        for (const [sessionId, id, url] of seen) {
            expect(sessionId).toBe(id);
            expect(url).toBe(proxy.url);
        }
        expect(new Set(seen.map(([sessionId]) => sessionId)).size).toBeGreaterThan(1);
    });

    describe.each([
        ['markBad', { retries: 1, rotations: 0, retiredManually: 0, proxyErrors: 2, proxyBlocks: 0 }],
        ['rotateSession', { retries: 0, rotations: 1, retiredManually: 2, proxyErrors: 0, proxyBlocks: 2 }],
    ] as const)("onProxyError '%s' when the proxy refuses connections", (policy, expected) => {
        it(policy === 'markBad' ? 'marks the session bad and spends a request retry' : 'retires the session and rotates the request, spending no retry', async () => {
            const site = await track(startVisitorSite());
            const dead = await startProxy('127.0.0.5');
            await dead.close(); // its port now refuses connections
            const failures: Error[] = [];
            const crawler = new HttpCrawler({
                statusIntervalSecs: 0,
                logLevel: 'off',
                onProxyError: policy,
                maxRequestRetries: 1,
                maxSessionRotations: 1,
                sessionPoolOptions: { persist: false, maxPoolSize: 4, proxyBanThreshold: 10, logLevel: 'off' },
                proxyConfiguration: { proxyUrls: [dead.url] },
                requestHandler: () => {},
                failedRequestHandler: (_context, error) => {
                    failures.push(error);
                },
            });
            const stats = await crawler.run([site.url('/p')]);
            expect(stats).toMatchObject({ requestsFinished: 0, requestsFailed: 1, requestsRetried: expected.retries, sessionRotations: expected.rotations });
            expect(stats.retiredByReason.manual ?? 0).toBe(expected.retiredManually);
            const proxy = crawler.sessionPool!.getStats().proxies[0]!;
            expect([proxy.errors, proxy.blocks]).toEqual([expected.proxyErrors, expected.proxyBlocks]);
            expect(failures[0]!.message).toMatch(/ECONNREFUSED/);
            expect(site.hits).toHaveLength(0);
        });
    });

    it("onProxyError 'rotateSession' leaves a refused connection to the site itself (no proxy) to markBad", async () => {
        const gone = await startVisitorSite();
        const url = gone.url('/p');
        await gone.close(); // its port now refuses connections
        const crawler = new HttpCrawler({
            statusIntervalSecs: 0,
            logLevel: 'off',
            onProxyError: 'rotateSession',
            maxRequestRetries: 1,
            sessionPoolOptions: { persist: false, maxPoolSize: 2, logLevel: 'off' },
            requestHandler: () => {},
            failedRequestHandler: () => {},
        });
        const stats = await crawler.run([url]);
        expect(stats).toMatchObject({ requestsFailed: 1, requestsRetried: 1, sessionRotations: 0 });
        expect(stats.retiredByReason.manual ?? 0).toBe(0);
    });

    it('rejects an unknown onProxyError', () => {
        expect(() => new HttpCrawler({ requestHandler: () => {}, onProxyError: 'retire' as never })).toThrow(/Option "onProxyError" must be one of "markBad", "rotateSession", got "retire"/);
    });

    it('benches a proxy whose IP the site bans, and sends later requests through the healthy one', async () => {
        // The site refuses everything that comes from 127.0.0.3.
        const site = await track(
            startVisitorSite((req, res) => {
                if (req.socket.remoteAddress?.endsWith('127.0.0.3')) {
                    res.statusCode = 403;
                    res.end('banned');
                    return true;
                }
                return false;
            }),
        );
        const healthy = await track(startProxy('127.0.0.2'));
        const banned = await track(startProxy('127.0.0.3'));
        const crawler = new HttpCrawler({
            statusIntervalSecs: 0,
            logLevel: 'off',
            sessionPoolOptions: { persist: false, maxPoolSize: 4, proxyBanThreshold: 3 },
            proxyConfiguration: { proxyUrls: [healthy.url, banned.url] },
            maxConcurrency: 3,
            requestHandler: () => {},
        });
        let benchedAtHit = -1;
        crawler.sessionPool!.on('proxyBenched', (proxy) => {
            if (proxy.url === banned.url) benchedAtHit = site.hits.length;
        });
        const stats = await crawler.run(Array.from({ length: 30 }, (_, i) => site.url(`/p${i}`)));
        expect(stats).toMatchObject({ requestsFinished: 30, requestsFailed: 0, requestsRetried: 0, proxiesBenched: 1 });
        expect(stats.blockedResponses).toBe(banned.requests);
        expect(stats.sessionRotations).toBe(banned.requests);
        // 3 blocks bench it; requests already on their way through it (at most maxConcurrency - 1) may add a few.
        expect(banned.requests).toBeGreaterThanOrEqual(3);
        expect(banned.requests).toBeLessThanOrEqual(5);
        expect(benchedAtHit).toBeGreaterThan(0);
        const afterBench = site.hits.slice(benchedAtHit + 2);
        expect(afterBench.length).toBeGreaterThanOrEqual(20);
        expect(afterBench.every((hit) => hit.remoteAddress === '127.0.0.2')).toBe(true);
        const proxyStats = crawler.sessionPool!.getStats().proxies.find((proxy) => proxy.url === banned.url)!;
        expect(proxyStats).toMatchObject({ state: 'benched', successes: 0, timesBenched: 1 });
    });
});
