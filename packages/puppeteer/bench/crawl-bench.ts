/**
 * PuppeteerCrawler figures on loopback (prints, asserts nothing):
 *  1. a simple local crawl (default 50 pages, concurrency 4): pages/s, node and Chromium RSS;
 *  2. the cost of copying a session's cookies into its context on every request ("set all") against
 *     what the crawler does (set only cookies the context lacks), and of reading them back.
 *
 * Run (needs built @sessionkit/core and @sessionkit/crawler): `npx tsx packages/puppeteer/bench/crawl-bench.ts [pages] [concurrency]`
 */
import { readFileSync, readdirSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { Session } from '@sessionkit/core';

import { PuppeteerCrawler, getContextCookies, launchBrowser, setContextCookies } from '../src/index.js';

const pages = Number(process.argv[2] ?? 50);
const concurrency = Number(process.argv[3] ?? 4);

/** RSS and PSS (shared pages divided among their users: the honest sum for a process tree) of a process and its descendants, in MB. */
function memoryOfTreeMb(rootPid: number | undefined): { rss: number; pss: number; processes: number } {
    if (rootPid === undefined) return { rss: 0, pss: 0, processes: 0 };
    const children = new Map<number, number[]>();
    const rss = new Map<number, number>();
    for (const entry of readdirSync('/proc')) {
        if (!/^\d+$/.test(entry)) continue;
        try {
            const status = readFileSync(`/proc/${entry}/status`, 'utf8');
            const ppid = Number(/PPid:\s+(\d+)/.exec(status)?.[1]);
            const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
            rss.set(Number(entry), kb);
            children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
        } catch {
            // process gone
        }
    }
    let rssKb = 0;
    let pssKb = 0;
    let processes = 0;
    const stack = [rootPid];
    while (stack.length > 0) {
        const pid = stack.pop()!;
        processes += 1;
        rssKb += rss.get(pid) ?? 0;
        try {
            pssKb += Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
        } catch {
            // process gone
        }
        stack.push(...(children.get(pid) ?? []));
    }
    return { rss: rssKb / 1024, pss: pssKb / 1024, processes };
}

async function startSite(): Promise<{ origin: string; close(): Promise<void> }> {
    const server = http.createServer((req, res) => {
        const path = req.url ?? '/';
        if (path === '/favicon.ico') {
            res.statusCode = 404;
            res.end();
            return;
        }
        // Every page sets a couple of cookies, like a real site's session and tracking cookies.
        res.setHeader('set-cookie', [`sid=${path.length}; Path=/; HttpOnly`, `seen=${Date.now() % 1000}; Path=/; Max-Age=3600`]);
        res.setHeader('content-type', 'text/html; charset=utf-8');
        const links = Array.from({ length: 10 }, (_, i) => `<a href="/p${i}">p${i}</a>`).join(' ');
        res.end(`<!doctype html><title>${path}</title><h1>${path}</h1><p>${'lorem ipsum '.repeat(200)}</p>${links}`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return {
        origin: `http://127.0.0.1:${port}`,
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

async function crawlBench(origin: string): Promise<void> {
    let peakNode = 0;
    let peakChromium = { rss: 0, pss: 0, processes: 0 };
    const crawler = new PuppeteerCrawler({
        statusIntervalSecs: 0,
        logLevel: 'error',
        maxConcurrency: concurrency,
        sessionPoolOptions: { persist: false, maxPoolSize: concurrency * 2 },
        requestHandler: async ({ page }) => {
            await page.title();
        },
    });
    const sampler = setInterval(() => {
        peakNode = Math.max(peakNode, process.memoryUsage().rss / 1024 / 1024);
        const chromium = memoryOfTreeMb(crawler.browserAdapter.browser?.process()?.pid);
        peakChromium = {
            rss: Math.max(peakChromium.rss, chromium.rss),
            pss: Math.max(peakChromium.pss, chromium.pss),
            processes: Math.max(peakChromium.processes, chromium.processes),
        };
    }, 250);
    const stats = await crawler.run(Array.from({ length: pages }, (_, i) => `${origin}/page-${i}`));
    clearInterval(sampler);
    const browser = crawler.getBrowserStats();
    console.log(`crawl: ${pages} pages, concurrency ${concurrency}`);
    console.log(`  ${stats.requestsFinished} ok, ${stats.requestsFailed} failed in ${(stats.durationMs / 1000).toFixed(2)} s (browser launch included)`);
    console.log(`  ${(stats.requestsFinished / (stats.durationMs / 1000)).toFixed(1)} pages/s`);
    console.log(
        `  peak memory: node RSS ${peakNode.toFixed(0)} MB; Chromium (up to ${peakChromium.processes} processes): PSS ${peakChromium.pss.toFixed(0)} MB (RSS sum ${peakChromium.rss.toFixed(0)} MB, counts shared pages once per process)`,
    );
    console.log(
        `  contexts created ${browser.contextsCreated}, pages ${browser.pagesOpened}, cookies pushed ${browser.cookiesPushed}, saved ${browser.cookiesSaved}`,
    );
}

async function cookieSyncBench(origin: string): Promise<void> {
    const browser = await launchBrowser();
    try {
        const context = await browser.createBrowserContext();
        const session = new Session();
        const host = new URL(origin).hostname;
        const cookies = Array.from({ length: 30 }, (_, i) => ({ name: `c${i}`, value: `value-${i}-${'x'.repeat(40)}`, domain: host, path: '/', hostOnly: true }));
        session.setCookies(cookies, origin);
        const all = session.getAllCookies();
        await setContextCookies(context, all);
        const rounds = 200;
        const time = async (label: string, fn: () => Promise<unknown> | unknown) => {
            await fn();
            const start = performance.now();
            for (let i = 0; i < rounds; i++) await fn();
            console.log(`  ${label}: ${((performance.now() - start) / rounds).toFixed(3)} ms`);
        };
        console.log(`cookie sync, ${all.length} cookies in the session, per request:`);
        await time('set all into the context (Storage.setCookies)', () => setContextCookies(context, session.getAllCookies()));
        await time('diff only, nothing to set (what the crawler does)', () => {
            const seen = new Map(all.map((cookie) => [`${cookie.domain}\t${cookie.path}\t${cookie.name}`, cookie.value]));
            return session.getAllCookies().filter((cookie) => seen.get(`${cookie.domain}\t${cookie.path}\t${cookie.name}`) !== cookie.value);
        });
        await time('read the context back (Storage.getCookies)', () => getContextCookies(context));
        await time('store 30 cookies into the session (tough-cookie)', () => {
            for (const cookie of all) session.setCookies([cookie], origin);
        });
    } finally {
        await browser.close();
    }
}

const site = await startSite();
try {
    await crawlBench(site.origin);
    await cookieSyncBench(site.origin);
} finally {
    await site.close();
}
