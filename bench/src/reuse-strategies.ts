/**
 * The three `sessionReuseStrategy` values on the anti-bot simulator's single-IP scenario (no proxies, the
 * site's default new-visitor limit: 10 new visitors per 10 s, then 429 + Retry-After 2 s; 50 pages per
 * visitor). One HttpCrawler crawl per strategy; prints requests per page, sessions minted and 429s; asserts
 * nothing. Run (from the repo root): `npx -y pnpm@10.34.9 --filter @sessionkit/bench bench:reuse` Optional argv: pages (500), maxPoolSize (50),
 * maxConcurrency (10).
 */
import { performance } from 'node:perf_hooks';

import type { SessionReuseStrategy } from '@sessionkit/core';
import { HttpCrawler } from '@sessionkit/http';
import { mulberry32, startAntiBotSite } from '@sessionkit/testing';

const PAGES = Number(process.argv[2] ?? 500);
const POOL_SIZE = Number(process.argv[3] ?? 50);
const CONCURRENCY = Number(process.argv[4] ?? 10);
const STRATEGIES: SessionReuseStrategy[] = ['use-until-failure', 'round-robin', 'random'];

/** The 'random' strategy's picks repeat from run to run. */
function seededRandom(seed: number): () => number {
    const next = mulberry32(seed);
    return () => next() / 4294967296;
}

async function crawl(strategy: SessionReuseStrategy): Promise<void> {
    const site = await startAntiBotSite({ seed: 15, pageCount: PAGES });
    try {
        let pages = 0;
        const crawler = new HttpCrawler({
            maxConcurrency: CONCURRENCY,
            sessionPoolOptions: { maxPoolSize: POOL_SIZE, persist: false, sessionReuseStrategy: strategy, random: seededRandom(15) },
            logLevel: 'off',
            statusIntervalSecs: 0,
            requestHandler: async () => {
                pages += 1;
            },
        });
        const started = performance.now();
        const stats = await crawler.run(Array.from({ length: PAGES }, (_, i) => site.pageUrl(i)));
        const seconds = (performance.now() - started) / 1000;
        const s = site.stats();
        console.log(
            `${strategy.padEnd(17)} ${String(pages).padStart(4)}/${PAGES} pages in ${seconds.toFixed(1).padStart(5)} s | ` +
                `requests/page ${(s.requests / Math.max(1, pages)).toFixed(3)} | sessions minted ${stats.sessionsCreated} | ` +
                `429s ${s.rateLimited} | 403s ${s.blockedBudget + s.blockedIpMove + s.blockedBannedIp} | new visitors ${s.newVisitors} | failed ${stats.requestsFailed}`,
        );
    } finally {
        await site.close();
    }
}

console.log(`single IP, default new-visitor limit, ${PAGES} pages, maxPoolSize ${POOL_SIZE}, maxConcurrency ${CONCURRENCY}`);
for (const strategy of STRATEGIES) await crawl(strategy);
