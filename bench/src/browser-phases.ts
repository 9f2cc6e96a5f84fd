/**
 * Where a browser crawl's time goes, per phase (prints figures, asserts nothing). A farm crawl (the anti-bot
 * simulator of scenario (d) and a proxy farm with credentials, in this process) with sessionkit's
 * PuppeteerCrawler or PlaywrightCrawler, every driver call timed:
 *   context creation (proxy anonymising included), page creation, cookie push, navigation, cookie pull,
 *   page close, context close;
 * plus Chromium's CPU (the browser's process tree, from /proc) and node's. Then the cost of cookie sync with
 * 30 cookies: setting all of them every request vs the diff the crawler does, and reading them back.
 *
 *   cd bench && npx tsx src/browser-phases.ts [--driver=puppeteer|playwright] [--pages=100] [--concurrency=4]
 */
import { readFileSync, readdirSync } from 'node:fs';

import type { BrowserDriver } from '@sessionkit/browser/spi';
import { CookieSyncTracker, fromBrowserCookies } from '@sessionkit/browser';
import { Session } from '@sessionkit/core';
import { startAntiBotSite, startProxyFarm } from '@sessionkit/testing';

function flag(name: string, fallback: string): string {
    const hit = process.argv.find((arg) => arg.startsWith(`--${name}=`));
    return hit === undefined ? fallback : hit.slice(name.length + 3);
}
const driverName = flag('driver', 'puppeteer');
const pages = Number(flag('pages', '100'));
const concurrency = Number(flag('concurrency', '4'));
if (!['puppeteer', 'playwright'].includes(driverName) || !Number.isInteger(pages) || !Number.isInteger(concurrency)) {
    console.error('usage: browser-phases.ts [--driver=puppeteer|playwright] [--pages=N] [--concurrency=N]');
    process.exit(2);
}

// ---------------------------------------------------------------------------------------------- /proc

const TICK_MS = 10; // USER_HZ = 100 on Linux
/** CPU ms (user + system) of every descendant of this process that is alive now, by pid. */
function descendantsCpuMs(): Map<number, number> {
    const parent = new Map<number, number>();
    const cpu = new Map<number, number>();
    for (const entry of readdirSync('/proc')) {
        if (!/^\d+$/.test(entry)) continue;
        try {
            const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
            const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
            parent.set(Number(entry), Number(fields[1]));
            cpu.set(Number(entry), (Number(fields[11]) + Number(fields[12])) * TICK_MS);
        } catch {
            // gone
        }
    }
    const result = new Map<number, number>();
    for (const [pid, ms] of cpu) {
        for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) {
            if (p === process.pid) {
                result.set(pid, ms);
                break;
            }
        }
    }
    return result;
}

// ---------------------------------------------------------------------------------------------- phases

interface Phase {
    count: number;
    samples: number[];
}
const phases = new Map<string, Phase>();
function record(name: string, ms: number): void {
    const phase = phases.get(name) ?? { count: 0, samples: [] };
    phase.count += 1;
    phase.samples.push(ms);
    phases.set(name, phase);
}

/** Wraps the driver's calls so each one's wall time is recorded under its phase. */
function instrument<B, C, P, R>(driver: BrowserDriver<B, C, P, R>): void {
    const timed: Array<[keyof BrowserDriver<B, C, P, R>, string]> = [
        ['launch', 'browser launch'],
        ['newContext', 'context creation'],
        ['newPage', 'page creation'],
        ['setCookies', 'cookie push (set)'],
        ['deleteCookies', 'cookie push (delete)'],
        ['navigate', 'navigation'],
        ['getCookies', 'cookie pull (read)'],
        ['closePage', 'page close'],
        ['closeContext', 'context close'],
    ];
    const target = driver as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    for (const [method, name] of timed) {
        const original = target[method as string]!.bind(driver);
        target[method as string] = async (...args: unknown[]) => {
            const started = performance.now();
            try {
                return await original(...args);
            } finally {
                record(name, performance.now() - started);
            }
        };
    }
}

function quantile(sorted: number[], q: number): number {
    return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

// ---------------------------------------------------------------------------------------------- crawl

async function makeCrawler(options: Record<string, unknown>) {
    if (driverName === 'playwright') {
        const { PlaywrightCrawler } = await import('@sessionkit/playwright');
        return new PlaywrightCrawler(options as never);
    }
    const { PuppeteerCrawler } = await import('@sessionkit/puppeteer');
    return new PuppeteerCrawler(options as never);
}

async function crawl(): Promise<void> {
    const farm = await startProxyFarm({ count: 20, credentials: { username: 'bench', password: 'bench' } });
    const site = await startAntiBotSite({ seed: 1, pageCount: pages, pagesPerVisitor: 40, transientErrorRate: 0.01, softBlockRate: 0.005 });
    const crawler = await makeCrawler({
        statusIntervalSecs: 0,
        logLevel: 'off',
        maxConcurrency: concurrency,
        proxyConfiguration: { proxyUrls: [...farm.urls] },
        sessionPoolOptions: { persist: false, maxPoolSize: 100 },
        requestHandler: async ({ page, session }: { page: { title(): Promise<string> }; session?: { retire(): void } }) => {
            if ((await page.title()) === 'Blocked') session?.retire();
        },
    });
    instrument(crawler.browserAdapter.driver as BrowserDriver<unknown, unknown, unknown, unknown>);
    let lastChromium = new Map<number, number>();
    const chromiumDone = new Map<number, number>();
    const sampler = setInterval(() => {
        const now = descendantsCpuMs();
        for (const [pid, ms] of lastChromium) if (!now.has(pid)) chromiumDone.set(pid, ms);
        lastChromium = now;
    }, 200);
    const nodeBefore = process.cpuUsage();
    const started = performance.now();
    const stats = await crawler.run(site.pageUrls(pages));
    const wallS = (performance.now() - started) / 1000;
    clearInterval(sampler);
    const node = process.cpuUsage(nodeBefore);
    for (const [pid, ms] of lastChromium) chromiumDone.set(pid, ms);
    const chromiumMs = [...chromiumDone.values()].reduce((sum, ms) => sum + ms, 0);
    const browser = crawler.getBrowserStats();
    await farm.close();
    await site.close();

    console.log(`${driverName}: ${stats.requestsFinished} ok, ${stats.requestsFailed} failed of ${pages} pages in ${wallS.toFixed(1)} s at concurrency ${concurrency}: ${(stats.requestsFinished / wallS).toFixed(2)} pages/s`);
    console.log(`  attempts ${stats.requestsFinished + stats.requestsRetried + stats.sessionRotations + stats.rateLimitRetries}, sessions ${stats.sessionsCreated}, contexts ${browser.contextsCreated}, pages ${browser.pagesOpened}`);
    const ok = Math.max(stats.requestsFinished, 1);
    console.log(`  CPU per ok page: node ${((node.user + node.system) / 1000 / ok).toFixed(1)} ms (crawler + site + proxies: same process), Chromium ${(chromiumMs / ok).toFixed(1)} ms (${chromiumDone.size} processes)`);
    console.log(`  cookies pushed ${browser.cookiesPushed}, saved ${browser.cookiesSaved}, deleted ${browser.cookiesDeleted}, removed ${browser.cookiesRemoved}`);
    console.log('');
    console.log('| phase (driver call) | calls | total s | mean ms | p50 ms | p90 ms | share of summed time |');
    console.log('|:--|--:|--:|--:|--:|--:|--:|');
    const total = [...phases.values()].reduce((sum, phase) => sum + phase.samples.reduce((a, b) => a + b, 0), 0);
    for (const [name, phase] of phases) {
        const sorted = [...phase.samples].sort((a, b) => a - b);
        const sum = sorted.reduce((a, b) => a + b, 0);
        console.log(
            `| ${name} | ${phase.count} | ${(sum / 1000).toFixed(2)} | ${(sum / phase.count).toFixed(1)} | ${quantile(sorted, 0.5).toFixed(1)} | ${quantile(sorted, 0.9).toFixed(1)} | ${((100 * sum) / total).toFixed(1)}% |`,
        );
    }
}

// ---------------------------------------------------------------------------------------------- cookie sync

async function cookieSync(): Promise<void> {
    const crawler = await makeCrawler({ requestHandler: () => undefined, logLevel: 'off' });
    const driver = crawler.browserAdapter.driver as BrowserDriver<unknown, unknown, unknown, unknown>;
    const browser = await driver.launch();
    try {
        const context = await driver.newContext(browser, {});
        const origin = 'http://127.0.0.1:9';
        const session = new Session();
        session.setCookies(Array.from({ length: 30 }, (_, i) => ({ name: `c${i}`, value: `value-${i}-${'x'.repeat(40)}` })), origin);
        const all = session.getAllCookies();
        const tracker = new CookieSyncTracker();
        const plan = tracker.planPush(all);
        await driver.setCookies(context, plan.set);
        tracker.markPushed(plan.set);
        const rounds = 100;
        const time = async (label: string, fn: () => Promise<unknown> | unknown) => {
            await fn();
            const start = performance.now();
            for (let i = 0; i < rounds; i++) await fn();
            console.log(`  ${label}: ${((performance.now() - start) / rounds).toFixed(3)} ms`);
        };
        console.log(`\ncookie sync (${driverName}), ${all.length} cookies in the session, per request:`);
        await time('set all into the context (one call)', () => driver.setCookies(context, tracker.planPush([]).set.concat(plan.set)));
        await time('diff only, nothing to set (what the crawler does)', () => tracker.planPush(session.getAllCookies()));
        await time('read the context back (one call)', () => driver.getCookies(context));
        await time('pull diff of 30 unchanged cookies', async () => tracker.pull(await driver.getCookies(context)));
        await time('store 30 cookies into the session (tough-cookie)', () => {
            for (const cookie of fromBrowserCookies(plan.set)) session.setCookies([cookie], origin);
        });
    } finally {
        await driver.closeBrowser(browser);
    }
}

await crawl();
await cookieSync();
