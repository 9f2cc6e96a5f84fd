// Proxy health: sessions stick to a proxy; proxies whose sessions keep getting blocked are benched,
// revived after a jittered exponential backoff, and new sessions go to healthy ones.
// Run: npx tsx examples/proxies.ts
import { HttpCrawler } from '@sessionkit/http';
import { startAntiBotSite, startProxyFarm } from '@sessionkit/testing';
import { isQuiet } from './support.js';

const farm = await startProxyFarm({ count: 6 });
// The site bans two of the six proxy IPs.
const banned = [farm.proxies[1]!.ip, farm.proxies[4]!.ip];
const site = await startAntiBotSite({ pageCount: 200, bannedIps: banned, newVisitorLimit: false });

const crawler = new HttpCrawler({
    proxyConfiguration: { proxyUrls: [...farm.urls] },
    sessionPoolOptions: { maxPoolSize: 12, persist: false, proxyBanThreshold: 2, proxyBenchSecs: 60 },
    maxConcurrency: 6,
    logLevel: isQuiet() ? 'warning' : 'info',
    statusIntervalSecs: 0,
    requestHandler: async () => {},
});
const pool = crawler.sessionPool!;
pool.on('proxyBenched', (proxy) => console.log(`benched ${proxy.url} after ${proxy.blocks} blocks`));

const stats = await crawler.run(site.pageUrls(200));
console.log(`${stats.requestsFinished} pages ok, ${stats.blockedResponses} blocked responses, ${stats.proxiesBenched} proxies benched`);
for (const proxy of pool.getStats().proxies) {
    console.log(`${proxy.url.padEnd(26)} ${proxy.state.padEnd(9)} ok ${String(proxy.successes).padStart(3)}  blocked ${proxy.blocks}  sessions ${proxy.sessionsCreated}`);
}
console.log(`banned IPs were ${banned.join(', ')}`);
await farm.close();
await site.close();
