// The README quick start as strict TypeScript (nodenext, skipLibCheck false; .mts so it compiles to ESM):
// the packed .d.ts files must typecheck as a user's compiler sees them.
import { CheerioCrawler } from '@sessionkit/cheerio';
import { openSessionPool, type Session } from '@sessionkit/core';
import type { CrawlerRunStatistics } from '@sessionkit/crawler';
import { startAntiBotSite, startProxyFarm } from '@sessionkit/testing';

const site = await startAntiBotSite({ pageCount: 20, softBlockRate: 0.1 });
const farm = await startProxyFarm({ count: 2 });
const crawler = new CheerioCrawler({
    proxyConfiguration: { proxyUrls: [...farm.urls] },
    useSessionPool: true,
    sessionPoolOptions: { maxPoolSize: 100, persist: false },
    persistCookiesPerSession: true,
    logLevel: 'warning',
    requestHandler: async ({ $, session }) => {
        if ($('title').text() === 'Blocked') session?.retire();
    },
});
const stats: CrawlerRunStatistics = await crawler.run(site.pageUrls(20));

// The pool alone, as in the README's second snippet.
const pool = await openSessionPool({ maxPoolSize: 10, persist: false });
const lease = await pool.acquire();
const session: Session = lease.session;
session.getCookieString(site.url);
session.markGood();
lease.release();
await pool.teardown();

console.log(JSON.stringify({ consumer: 'typescript', finished: stats.requestsFinished, failed: stats.requestsFailed }));
await farm.close();
await site.close();
