import { afterEach, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { HttpCrawler } from '@sessionkit/http';
import { type AntiBotSite, type ProxyFarm, startAntiBotSite, startProxyFarm } from '@sessionkit/testing';
import { SessionPool } from '@sessionkit/core';
import { RedisSessionStore } from '../src/index.js';
import { OwnRedisServer, captureLog, keyPrefix, uniquePoolId, waitFor } from './helpers.js';

// Redis killed and started again with no data, mid-crawl: the pool's sessions, leases, proxies and settings are
// gone. Every worker must notice (the epoch check of every script), re-seed what it knows, say so once, and go on.

const PAGES = 240;
const RESTARTS = 2;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

describe('a shared pool on a Redis that restarts empty', () => {
    it('re-registers its proxies, warns once per loss and per worker, and finishes the crawl (twice)', async () => {
        const redis = new OwnRedisServer();
        await redis.start();
        cleanups.push(() => redis.kill());
        const site: AntiBotSite = await startAntiBotSite({ newVisitorLimit: false, pageCount: PAGES, latencyMs: 15 });
        cleanups.push(() => site.close());
        const farm: ProxyFarm = await startProxyFarm({ count: 4, firstAddress: '127.0.0.70' });
        cleanups.push(() => farm.close());
        const poolId = uniquePoolId('restart');

        let handled = 0;
        let losses = 0;
        let chaos: Promise<void> = Promise.resolve();
        // Kills and restarts happen at set points of the crawl (after a third, after two thirds of the pages).
        const onPage = (): void => {
            handled += 1;
            if (losses < RESTARTS && handled >= ((losses + 1) * PAGES) / (RESTARTS + 1)) {
                losses += 1;
                chaos = chaos.then(async () => {
                    await redis.kill();
                    await redis.start();
                });
            }
        };

        const workers = [0, 1].map(() => {
            const { log, lines } = captureLog();
            const crawler = new HttpCrawler({
                statusIntervalSecs: 0,
                logLevel: 'off',
                maxConcurrency: 3,
                maxRequestRetries: 3,
                proxyConfiguration: { proxyUrls: [...farm.urls] },
                sessionPoolOptions: {
                    store: new RedisSessionStore({ url: redis.url, poolId, log }),
                    maxPoolSize: 8,
                    acquireTimeoutSecs: 8,
                    log,
                },
                requestHandler: onPage,
                failedRequestHandler: () => {},
            });
            return { crawler, lines };
        });
        const half = PAGES / 2;
        const runs = workers.map(({ crawler }, i) => crawler.run(site.pageUrls(half, i * half)));
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`the crawl did not finish within 45 s (${handled} of ${PAGES} pages handled)`)), 45_000);
        });
        let results: Awaited<ReturnType<HttpCrawler['run']>>[];
        try {
            results = await Promise.race([Promise.all(runs), deadline]);
        } finally {
            clearTimeout(timer);
        }
        await chaos;

        expect(losses).toBe(RESTARTS);
        // Every page ended, ok or failed; and the pool went on working after each loss.
        for (const stats of results) expect(stats.requestsFinished + stats.requestsFailed).toBe(half);
        const ok = results.reduce((sum, stats) => sum + stats.requestsFinished, 0);
        expect(ok).toBeGreaterThanOrEqual(PAGES * 0.9);
        // One warning per loss in each worker, naming what was lost and what was re-registered.
        for (const { lines } of workers) {
            const warnings = lines.filter((line) => line.level === 'warning' && /lost its state/.test(line.message));
            expect(warnings).toHaveLength(RESTARTS);
            expect(warnings[0]!.message).toMatch(/sessions and leases of all workers are gone/);
            expect(warnings[0]!.message).toMatch(/4 proxies/);
        }
        // The proxies are registered in the new pool.
        const client = new Redis(redis.url, { maxRetriesPerRequest: 2 });
        cleanups.push(() => client.quit());
        await waitFor(async () => (await client.llen(`${keyPrefix(poolId)}proxies`)) === 4, 2000, 'the proxies in the restarted pool');
    }, 60_000);

    it('concurrent calls that meet one loss re-seed once: one warning, new sessions, none of the lost ones', async () => {
        const redis = new OwnRedisServer();
        await redis.start();
        cleanups.push(() => redis.kill());
        const { log, lines } = captureLog();
        const proxyUrls = ['http://127.0.0.71:8000', 'http://127.0.0.72:8000'];
        const pool = new SessionPool({
            store: new RedisSessionStore({ url: redis.url, poolId: uniquePoolId('restart-once'), log }),
            proxyConfiguration: { proxyUrls },
            maxPoolSize: 6,
            acquireTimeoutSecs: 5,
            log,
        });
        cleanups.push(() => pool.teardown());
        await pool.initialize();
        const before = await Promise.all([0, 1, 2].map(() => pool.acquire()));
        const lostIds = new Set(before.map((lease) => lease.session.id));
        for (const lease of before) lease.release();

        await redis.kill();
        await redis.start();
        const after = await Promise.all([0, 1, 2, 3, 4].map(() => pool.acquire()));

        expect(after.filter((lease) => lostIds.has(lease.session.id))).toEqual([]);
        expect(lines.filter((line) => line.level === 'warning' && /lost its state/.test(line.message))).toHaveLength(1);
        const stats = await pool.fetchStats();
        expect(stats.sessions).toBe(5);
        expect(stats.proxies.map((proxy) => proxy.url).sort()).toEqual(proxyUrls);
        for (const lease of after) lease.release();
    }, 30_000);
});
