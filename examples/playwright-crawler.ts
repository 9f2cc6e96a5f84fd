// PlaywrightCrawler: one Playwright BrowserContext per session (its proxy, its cookies). Needs Chromium
// (apt-get install -y chromium). Run: npx tsx examples/playwright-crawler.ts [url ...]
import { PlaywrightCrawler } from '@sessionkit/playwright';
import { isQuiet, openProxies, openTarget } from './support.js';

const target = await openTarget(20, { softBlockRate: 0.05 });
const farm = await openProxies(target, 3);

const crawler = new PlaywrightCrawler({
    ...(farm ? { proxyConfiguration: { proxyUrls: [...farm.urls] } } : {}),
    useSessionPool: true,
    sessionPoolOptions: { maxPoolSize: 100, persist: false },
    // Session cookies go into the session's context before navigation and come back after the handler.
    persistCookiesPerSession: true,
    maxConcurrency: 3,
    logLevel: isQuiet() ? 'warning' : 'info',
    requestHandler: async ({ page, session, response }) => {
        const title = await page.title();
        if (title === 'Blocked') session?.retire(); // a soft block: the request goes round again with another session
        else if (response && response.status() >= 400) session?.markBad();
        // session.markGood() happens automatically.
    },
});

const stats = await crawler.run(target.urls);
console.log(`PlaywrightCrawler: ${stats.requestsFinished} pages ok, ${stats.requestsFailed} failed, ${stats.sessionsCreated} sessions`);
await farm?.close();
await target.close();
