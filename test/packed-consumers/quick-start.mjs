// The README quick start, as an ESM consumer of the packed packages, against the bundled simulator.
import { CheerioCrawler } from '@sessionkit/cheerio';
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
const stats = await crawler.run(site.pageUrls(20));
console.log(JSON.stringify({ consumer: 'esm', finished: stats.requestsFinished, failed: stats.requestsFailed }));
await farm.close();
await site.close();
