// Seed "BasicCrawler": the handler fetches with sendRequest (session cookies, proxy, headers).
// Run: npx tsx examples/basic-crawler.ts [url ...]
import { BasicCrawler } from '@sessionkit/crawler';
import { sendRequest } from '@sessionkit/http';
import { isQuiet, openProxies, openTarget } from './support.js';

const target = await openTarget(40);
const farm = await openProxies(target, 4);

const crawler = new BasicCrawler({
    ...(farm ? { proxyConfiguration: { proxyUrls: [...farm.urls] } } : {}),
    useSessionPool: true,
    sessionPoolOptions: { maxPoolSize: 100, persist: false },
    maxConcurrency: 4,
    logLevel: isQuiet() ? 'warning' : 'info',
    requestHandler: async (context) => {
        const { request, session, proxyInfo, log } = context;
        // Cookies, the session's proxy and its consistent headers are applied; Set-Cookie is saved.
        const response = await sendRequest(context);
        // Retires the session on 401/403 (429 cools it down instead).
        if (session?.retireOnBlockedStatusCodes(response.statusCode)) throw new Error(`Blocked (${response.statusCode})`);
        if (response.statusCode === 429) throw new Error('Rate limited: retry later');
        const title = /<title>([^<]*)<\/title>/.exec(response.body)?.[1] ?? '';
        if (title === 'Blocked') {
            session?.retire(); // a soft block: throw the identity away, the request rotates to another session
            return;
        }
        log.debug(`${request.url} → ${title} via ${proxyInfo?.url ?? 'direct'}`);
        // No markGood needed: the crawler does it.
    },
});

const stats = await crawler.run(target.urls);
console.log(`BasicCrawler: ${stats.requestsFinished} pages ok, ${stats.requestsFailed} failed, ${stats.sessionsCreated} sessions`);
await farm?.close();
await target.close();
