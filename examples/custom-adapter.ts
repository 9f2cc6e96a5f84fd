// A new crawler type in ~60 lines: FetchCrawler (examples/fetch-crawler.ts) implements the adapter
// contract on global fetch; the session middleware does the rest. See docs/adapters.md.
// Run: npx tsx examples/custom-adapter.ts [url ...]
import { FetchCrawler } from './fetch-crawler.js';
import { isQuiet, openTarget } from './support.js';

const target = await openTarget(30, { softBlockRate: 0.05 });

const crawler = new FetchCrawler({
    sessionPoolOptions: { maxPoolSize: 10, persist: false },
    maxConcurrency: 3,
    logLevel: isQuiet() ? 'warning' : 'info',
    requestHandler: async ({ body, session, log, request }) => {
        const title = /<title>([^<]*)<\/title>/.exec(body)?.[1];
        if (title === 'Blocked') session?.retire(); // soft block → the request rotates to another session
        else log.debug(`${request.url}: ${title}`);
    },
});

const stats = await crawler.run(target.urls);
console.log(`FetchCrawler: ${stats.requestsFinished} pages ok, ${stats.requestsFailed} failed, ` +
    `${stats.sessionsCreated} sessions created, ${stats.sessionsRetired} retired`);
await target.close();
