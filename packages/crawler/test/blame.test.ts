import { afterEach, describe, expect, it } from '@jest/globals';
import { ProxyConfiguration, SessionPool } from '@sessionkit/core';
import { BasicCrawler, NavigationError, blameFor } from '@sessionkit/crawler';

// A bug in user code must never bench healthy proxies; crashes of our own tooling must not cost sessions points.
const QUIET = { statusIntervalSecs: 0, logLevel: 'off' } as const;
const pools: SessionPool[] = [];
afterEach(async () => {
    await Promise.all(pools.splice(0).map((pool) => pool.teardown()));
});

describe('blameFor', () => {
    it('tells network, handler and infrastructure failures apart', () => {
        expect(blameFor(new Error('boom'), true)).toBe('session');
        expect(blameFor(new Error('boom'), false)).toBe('sessionAndProxy');
        expect(blameFor(new NavigationError('GET', 'http://x/', undefined, new Error('refused')), true)).toBe('sessionAndProxy');
        const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
        expect(blameFor(new Error('wrapped', { cause: reset }), true)).toBe('sessionAndProxy');
        expect(blameFor(Object.assign(new Error('browser died'), { sessionFault: false }), false)).toBe('none');
    });
});

describe('handler errors and proxy health', () => {
    it('a handler that keeps throwing does not bench the proxies, but the sessions pay', async () => {
        const proxyConfiguration = new ProxyConfiguration({ proxyUrls: ['http://127.0.0.2:9', 'http://127.0.0.3:9'] });
        const pool = new SessionPool({ persist: false, proxyConfiguration, proxyBanThreshold: 2 });
        pools.push(pool);
        const crawler = new BasicCrawler({
            ...QUIET,
            sessionPool: pool,
            maxRequestRetries: 2,
            requestHandler: () => {
                throw new TypeError('cannot read properties of undefined (a bug in the handler)');
            },
        });
        const stats = await crawler.run(['http://127.0.0.1:9/a', 'http://127.0.0.1:9/b', 'http://127.0.0.1:9/c']);
        expect(stats).toMatchObject({ requestsFinished: 0, requestsFailed: 3 });
        const poolStats = pool.getStats();
        expect(poolStats.markedBad).toBe(9);
        expect(poolStats.proxiesBenched).toBe(0);
        expect(poolStats.proxies.every((proxy) => proxy.state === 'healthy' && proxy.errors === 0)).toBe(true);
    });

    it('a network error thrown inside the handler (sendRequest style) does count against the proxy', async () => {
        const proxyConfiguration = new ProxyConfiguration({ proxyUrls: ['http://127.0.0.2:9'] });
        const pool = new SessionPool({ persist: false, proxyConfiguration, proxyBanThreshold: 2, acquireTimeoutSecs: 1 });
        pools.push(pool);
        const crawler = new BasicCrawler({
            ...QUIET,
            sessionPool: pool,
            maxRequestRetries: 1,
            requestHandler: () => {
                throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.2:9'), { code: 'ECONNREFUSED' });
            },
        });
        await crawler.run(['http://127.0.0.1:9/a']);
        expect(pool.getStats().proxies[0]).toMatchObject({ errors: 2, state: 'benched' });
    });

    it('an error marked sessionFault: false costs the session nothing', async () => {
        const pool = new SessionPool({ persist: false });
        pools.push(pool);
        let session: import('@sessionkit/core').Session | undefined;
        const crawler = new BasicCrawler({
            ...QUIET,
            sessionPool: pool,
            maxRequestRetries: 2,
            requestHandler: (context) => {
                session = context.session;
                throw Object.assign(new Error('the browser crashed'), { sessionFault: false });
            },
        });
        const stats = await crawler.run(['http://127.0.0.1:9/a']);
        expect(stats.requestsFailed).toBe(1);
        expect(session!.errorScore).toBe(0);
        expect(pool.getStats().markedBad).toBe(0);
    });
});
