// Seed "CheerioCrawler" with sessions and proxies. Run: npx tsx examples/cheerio-crawler.ts [url ...]
import { CheerioCrawler } from '@sessionkit/cheerio';
import { isQuiet, openProxies, openTarget } from './support.js';

const target = await openTarget(100, { softBlockRate: 0.03 });
const farm = await openProxies(target, 6);

const crawler = new CheerioCrawler({
    // To use the proxy IP session rotation logic, turn the proxy usage on.
    ...(farm ? { proxyConfiguration: { proxyUrls: [...farm.urls] } } : {}),
    useSessionPool: true,
    sessionPoolOptions: { maxPoolSize: 100, persist: false },
    // Cookies of the session go with each request and come back from each response.
    persistCookiesPerSession: true,
    maxConcurrency: 8,
    statusIntervalSecs: 2,
    logLevel: isQuiet() ? 'warning' : 'info',
    requestHandler: async ({ $, session }) => {
        const title = $('title').text();
        if (title === 'Blocked') {
            session?.retire();
        } else if (title === 'Not sure if blocked, might also be a connection error') {
            session?.markBad();
        } else {
            // session.markGood() is done automatically.
        }
    },
});

const stats = await crawler.run(target.urls);
console.log(`CheerioCrawler: ${stats.requestsFinished} pages ok, ${stats.requestsFailed} failed, ` +
    `${stats.sessionsCreated} sessions created, ${stats.sessionsRetired} retired`);
await farm?.close();
await target.close();
