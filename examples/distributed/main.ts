// Distributed crawl: N worker processes (3 by default), each running a CheerioCrawler over its share of the
// pages, all sharing ONE session pool on Redis. Starts the anti-bot simulator and a proxy farm, spawns the
// workers, then prints what each did and what the shared pool saw.
//
//   npx tsx examples/distributed/main.ts [--workers=3] [--pages=300] [--latency=20] [--json] [--quiet]
//
// Needs Redis at REDIS_URL (default redis://127.0.0.1:6379): `redis-server` or `docker run -p 6379:6379 redis:7`.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SessionPool } from '@sessionkit/core';
import { startAntiBotSite, startProxyFarm } from '@sessionkit/testing';
import { RedisSessionStore } from '@sessionkit/redis';
import type { WorkerReport, WorkerTask } from './worker.js';

const arg = (name: string, fallback: number): number => {
    const value = process.argv.find((item) => item.startsWith(`--${name}=`))?.split('=')[1];
    return value === undefined ? fallback : Number(value);
};
const workers = arg('workers', 3);
const pages = arg('pages', 300);
const latencyMs = arg('latency', 20);
const json = process.argv.includes('--json');
const quiet = json || process.argv.includes('--quiet') || process.env.SESSIONKIT_EXAMPLE_QUIET === '1';
const say = (line: string) => {
    if (!quiet) console.log(line);
};

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const poolId = `distributed-${process.pid}-${Date.now().toString(36)}`;
const maxPoolSize = 60;
const store = new RedisSessionStore({ url: redisUrl, poolId });

const site = await startAntiBotSite({ pageCount: pages, softBlockRate: 0.02, latencyMs, newVisitorLimit: { max: 10, windowMs: 10_000, retryAfterSecs: 1 } });
const farm = await startProxyFarm({ count: 6 });
const proxyUrls = [...farm.urls];

// This process joins the pool too (no crawling): it checks that Redis answers and reads the pool-wide stats at the end.
const pool = new SessionPool({ store, maxPoolSize, proxyConfiguration: { proxyUrls }, logLevel: 'warning' });
try {
    await pool.initialize();
} catch (error) {
    console.error((error as Error).message);
    await farm.close();
    await site.close();
    process.exit(1);
}

const urls = site.pageUrls(pages);
const here = dirname(fileURLToPath(import.meta.url));
say(`Distributed crawl of ${pages} pages by ${workers} worker processes sharing one session pool: ${store.describe()}`);
const children = Array.from({ length: workers }, (_, index) =>
    startWorker({
        index,
        redisUrl,
        poolId,
        urls: urls.filter((_, n) => n % workers === index),
        proxyUrls,
        maxPoolSize,
        maxConcurrency: 8,
    }),
);
// Every worker has loaded and joined the pool: start them together, so the time measures the crawl.
await Promise.all(children.map((child) => child.ready));
const started = Date.now();
for (const child of children) child.go();
const reports = await Promise.all(children.map((child) => child.report));
const wallMs = Date.now() - started;
const shared = await pool.fetchStats();

// Sessions used by more than one worker: the pool is really shared.
const usedBy = new Map<string, number>();
for (const report of reports) for (const id of report.sessionsUsed) usedBy.set(id, (usedBy.get(id) ?? 0) + 1);
const sharedSessions = [...usedBy.values()].filter((count) => count > 1).length;
const total = {
    pagesOk: reports.reduce((sum, report) => sum + report.pagesOk, 0),
    pagesFailed: reports.reduce((sum, report) => sum + report.pagesFailed, 0),
    sessionsCreated: reports.reduce((sum, report) => sum + report.sessionsCreated, 0),
    sessionsRetired: reports.reduce((sum, report) => sum + report.sessionsRetired, 0),
};
const siteStats = site.stats();
const summary = {
    workers,
    pages,
    wallMs,
    pagesPerSecond: Math.round((total.pagesOk / wallMs) * 100_000) / 100,
    ...total,
    sessionsUsed: usedBy.size,
    sessionsUsedByTwoOrMoreWorkers: sharedSessions,
    pool: {
        sessions: shared.sessions,
        sessionsCreated: shared.sessionsCreated,
        sessionsRetired: shared.sessionsRetired,
        retiredByReason: Object.fromEntries(Object.entries(shared.retiredByReason).filter(([, count]) => count > 0)),
        leasesGranted: shared.leasesGranted,
        markedGood: shared.markedGood,
        markedBad: shared.markedBad,
        rateLimited: shared.rateLimited,
        proxiesBenched: shared.proxiesBenched,
    },
    site: { newVisitors: siteStats.newVisitors, blockedIpMove: siteStats.blockedIpMove, rateLimited: siteStats.rateLimited },
    reports: reports.map(({ sessionsUsed, ...report }) => ({ ...report, sessionsUsed: sessionsUsed.length })),
};

if (json) {
    console.log(JSON.stringify(summary));
} else {
    const rows = [
        ['worker', 'pid', 'pages ok', 'failed', 'sessions created', 'retired', 'sessions used', 'time'],
        ...reports.map((report) => [
            String(report.index),
            String(report.pid),
            String(report.pagesOk),
            String(report.pagesFailed),
            String(report.sessionsCreated),
            String(report.sessionsRetired),
            String(report.sessionsUsed.length),
            `${(report.durationMs / 1000).toFixed(1)} s`,
        ]),
        ['total', '', String(total.pagesOk), String(total.pagesFailed), String(total.sessionsCreated), String(total.sessionsRetired), String(usedBy.size), `${(wallMs / 1000).toFixed(1)} s`],
    ];
    const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
    console.log('');
    for (const row of rows) console.log(row.map((cell, column) => cell.padStart(widths[column]!)).join(' | '));
    console.log('');
    console.log(`${summary.pagesPerSecond} pages/s over ${workers} workers.`);
    console.log(
        `Shared pool: ${shared.sessions} sessions alive, ${shared.sessionsCreated} created (workers: ${reports.map((r) => r.sessionsCreated).join(' + ')}), ` +
            `${shared.sessionsRetired} retired (${Object.entries(summary.pool.retiredByReason).map(([reason, count]) => `${reason} ${count}`).join(', ') || 'none'}), ` +
            `${shared.leasesGranted} leases, ${shared.markedGood} good / ${shared.markedBad} bad marks, ${shared.proxiesBenched} proxies benched.`,
    );
    console.log(`Sessions used by 2 or more workers: ${sharedSessions} of ${usedBy.size}.`);
    console.log(
        `The site saw ${siteStats.newVisitors} new visitors for ${shared.sessionsCreated} sessions and ${siteStats.blockedIpMove} cookies moved to another IP: ` +
            'cookies and proxies travel with the session from worker to worker.',
    );
}

await pool.teardown();
await store.clear(); // an example leaves nothing behind; a real crawl keeps its pool for the next run
await farm.close();
await site.close();

function startWorker(task: WorkerTask): { ready: Promise<void>; go(): void; report: Promise<WorkerReport> } {
    // process.execArgv carries tsx's loader: the worker runs TypeScript like this file.
    const child = spawn(process.execPath, [...process.execArgv, join(here, 'worker.ts')], {
        env: { ...process.env, SESSIONKIT_DISTRIBUTED_TASK: JSON.stringify(task) },
        stdio: ['pipe', 'pipe', 'inherit'],
    });
    let output = '';
    let onReady: () => void = () => {};
    const ready = new Promise<void>((resolve) => {
        onReady = resolve;
    });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
        output += chunk;
        if (output.includes('READY\n')) onReady();
    });
    const report = new Promise<WorkerReport>((resolve, reject) => {
        child.on('error', reject);
        child.on('exit', (code) => {
            const line = output.split('\n').find((text) => text.startsWith('REPORT '));
            if (code !== 0 || !line) reject(new Error(`worker ${task.index} exited with code ${code}`));
            else resolve(JSON.parse(line.slice('REPORT '.length)) as WorkerReport);
        });
    });
    return { ready: Promise.race([ready, report.then(() => undefined)]), go: () => child.stdin.end('go\n'), report };
}
