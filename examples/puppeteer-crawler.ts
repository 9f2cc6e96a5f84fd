// Seed "PuppeteerCrawler": one incognito browser context per session. Needs Chromium
// (apt-get install -y chromium). Run: npx tsx examples/puppeteer-crawler.ts [url ...]
import { PuppeteerCrawler } from '@sessionkit/puppeteer';
import { isQuiet, openProxies, openTarget } from './support.js';

const target = await openTarget(20, { softBlockRate: 0.05 });
const farm = await openProxies(target, 3);

const crawler = new PuppeteerCrawler({
    ...(farm ? { proxyConfiguration: { proxyUrls: [...farm.urls] } } : {}),
    useSessionPool: true,
    sessionPoolOptions: { maxPoolSize: 100, persist: false },
    // Session cookies are set on the page's context before navigation and saved after the handler.
    persistCookiesPerSession: true,
    maxConcurrency: 3,
    logLevel: isQuiet() ? 'warning' : 'info',
    requestHandler: async ({ page, session }) => {
        const title = await page.title();
        if (title === 'Blocked') {
            session?.retire();
        } else if (title === 'Not sure if blocked, might also be a connection error') {
            session?.markBad();
        }
        // session.markGood() happens automatically.
    },
});

const stats = await crawler.run(target.urls);
console.log(`PuppeteerCrawler: ${stats.requestsFinished} pages ok, ${stats.requestsFailed} failed, ${stats.sessionsCreated} sessions`);
await farm?.close();
await target.close();
