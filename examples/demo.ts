// The main job: the four crawlers against the bundled anti-bot simulator through a loopback proxy farm,
// with progress while they run and a session-health summary at the end.
// Run: npx -y pnpm@10.34.9 demo        (options: --pages=N, --browser-pages=N, --quiet)
import type { CrawlerRunStatistics } from '@sessionkit/crawler';
import { formatRunStatistics } from '@sessionkit/crawler';
import { CheerioCrawler } from '@sessionkit/cheerio';
import { HttpCrawler } from '@sessionkit/http';
import { type AntiBotSite, type AntiBotSiteOptions, type ProxyFarm, startAntiBotSite, startProxyFarm } from '@sessionkit/testing';

const pages = numberArg('pages', 400);
const browserPages = numberArg('browser-pages', 60);
const quiet = process.argv.includes('--quiet');
const logLevel = quiet ? 'warning' : 'info';

console.log('sessionkit demo: HTTP, Cheerio, Puppeteer and Playwright crawlers with useSessionPool against a simulated protected site\n');
const farm = await startProxyFarm({ count: 10 });
// Two of the ten proxy IPs are banned by the site; the pool has to find out which.
const bannedIps = [farm.proxies[2]!.ip, farm.proxies[7]!.ip];
const siteOptions: AntiBotSiteOptions = {
    pageCount: Math.max(pages, browserPages),
    newVisitorLimit: { max: 8, windowMs: 5_000, retryAfterSecs: 1 },
    pagesPerVisitor: 40,
    bannedIps,
    transientErrorRate: 0.02,
    softBlockRate: 0.02,
};
console.log(`site: new visitors limited to 8 per IP per 5 s (then 429 + Retry-After), 40 pages per visitor (then 403),`);
console.log(`      cookies bound to their IP, 2% transient 503s, 2% soft blocks ("Blocked" title), banned IPs ${bannedIps.join(', ')}`);
console.log(`proxies: ${farm.proxies.length} on ${farm.proxies[0]!.ip}…${farm.proxies.at(-1)!.ip}\n`);

const runs: CrawlerRunStatistics[] = [];
const notes: string[] = [];

const httpRun = await crawlWith('HttpCrawler', pages, async (site) => {
    const crawler = new HttpCrawler({
        ...common(farm),
        requestHandler: async ({ body, session }) => {
            if (/<title>Blocked<\/title>/.test(body)) session?.retire();
        },
    });
    return crawler.run(site.pageUrls(pages));
});
if (httpRun) runs.push(httpRun);

const cheerioRun = await crawlWith('CheerioCrawler', pages, async (site) => {
    const crawler = new CheerioCrawler({
        ...common(farm),
        requestHandler: async ({ $, session }) => {
            if ($('title').text() === 'Blocked') session?.retire();
        },
    });
    return crawler.run(site.pageUrls(pages));
});
if (cheerioRun) runs.push(cheerioRun);

const browserRun = await crawlWith('PuppeteerCrawler', browserPages, async (site) => {
    const { PuppeteerCrawler, resolveChromiumExecutable } = await import('@sessionkit/puppeteer');
    try {
        resolveChromiumExecutable();
    } catch (error) {
        notes.push(`PuppeteerCrawler skipped: ${(error as Error).message}`);
        return undefined;
    }
    const crawler = new PuppeteerCrawler({
        ...common(farm),
        maxConcurrency: 4,
        requestHandler: async ({ page, session }) => {
            if ((await page.title()) === 'Blocked') session?.retire();
        },
    });
    return crawler.run(site.pageUrls(browserPages));
});
if (browserRun) runs.push(browserRun);

const playwrightRun = await crawlWith('PlaywrightCrawler', browserPages, async (site) => {
    const { PlaywrightCrawler, resolveChromiumExecutable } = await import('@sessionkit/playwright');
    try {
        resolveChromiumExecutable();
    } catch (error) {
        notes.push(`PlaywrightCrawler skipped: ${(error as Error).message}`);
        return undefined;
    }
    const crawler = new PlaywrightCrawler({
        ...common(farm),
        maxConcurrency: 4,
        requestHandler: async ({ page, session }) => {
            if ((await page.title()) === 'Blocked') session?.retire();
        },
    });
    return crawler.run(site.pageUrls(browserPages));
});
if (playwrightRun) runs.push(playwrightRun);

console.log(`\nSession health summary\n${formatRunStatistics(runs)}`);
for (const note of notes) console.log(`\n${note}`);
await farm.close();

function common(proxyFarm: ProxyFarm) {
    return {
        proxyConfiguration: { proxyUrls: [...proxyFarm.urls] },
        useSessionPool: true,
        sessionPoolOptions: { maxPoolSize: 40, persist: false as const, proxyBanThreshold: 2 },
        persistCookiesPerSession: true,
        maxConcurrency: 10,
        statusIntervalSecs: quiet ? 0 : 2,
        logLevel: logLevel as 'warning' | 'info',
    };
}

async function crawlWith(
    name: string,
    count: number,
    crawl: (site: AntiBotSite) => Promise<CrawlerRunStatistics | undefined>,
): Promise<CrawlerRunStatistics | undefined> {
    // A fresh site per crawler, so that one crawler's bans and rate limits do not leak into the next.
    const site = await startAntiBotSite(siteOptions);
    console.log(`— ${name}: ${count} pages`);
    try {
        const stats = await crawl(site);
        if (stats) {
            const seen = site.stats();
            console.log(`  site saw ${seen.requests} requests: ${seen.pagesServed} pages, ${seen.rateLimited} rate-limited, ` +
                `${seen.blockedBannedIp} banned-IP blocks, ${seen.blockedBudget} budget blocks, ${seen.transientErrors} 503s, ${seen.softBlocks} soft blocks`);
        }
        return stats;
    } finally {
        await site.close();
    }
}

function numberArg(name: string, fallback: number): number {
    const raw = process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];
    const value = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(value) || value < 1) {
        console.error(`--${name} must be a positive integer, got ${raw}`);
        process.exit(2);
    }
    return value;
}
