// One worker process of the distributed example (started by main.ts). It crawls its share of the pages with
// a CheerioCrawler whose session pool lives in Redis — the same pool as the other workers.
import { CheerioCrawler } from '@sessionkit/cheerio';
import { RedisSessionStore } from '@sessionkit/redis';

export interface WorkerTask {
    index: number;
    redisUrl: string;
    poolId: string;
    urls: string[];
    proxyUrls: string[];
    maxPoolSize: number;
    maxConcurrency: number;
}

export interface WorkerReport {
    index: number;
    pid: number;
    pagesOk: number;
    pagesFailed: number;
    navigations: number;
    sessionsCreated: number;
    sessionsRetired: number;
    durationMs: number;
    /** Ids of the sessions this worker's requests used. */
    sessionsUsed: string[];
}

const task = JSON.parse(process.env.SESSIONKIT_DISTRIBUTED_TASK ?? '{}') as WorkerTask;
const sessionsUsed = new Set<string>();

const crawler = new CheerioCrawler({
    proxyConfiguration: { proxyUrls: task.proxyUrls },
    sessionPoolOptions: {
        // Every worker names the same poolId: they share sessions, cookies, leases, retirements, proxy health.
        store: new RedisSessionStore({ url: task.redisUrl, poolId: task.poolId }),
        maxPoolSize: task.maxPoolSize,
    },
    maxConcurrency: task.maxConcurrency,
    statusIntervalSecs: 0,
    logLevel: 'warning',
    requestHandler: async ({ $, session }) => {
        if (session) sessionsUsed.add(session.id);
        if ($('title').text() === 'Blocked') session?.retire(); // a soft block: rotate
    },
});

try {
    // Join the pool (connect to Redis), then wait for main.ts to start every worker at once.
    await crawler.sessionPool?.initialize();
    process.stdout.write('READY\n');
    await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
    process.stdin.destroy();
    const stats = await crawler.run(task.urls);
    const report: WorkerReport = {
        index: task.index,
        pid: process.pid,
        pagesOk: stats.requestsFinished,
        pagesFailed: stats.requestsFailed,
        navigations: stats.navigations,
        sessionsCreated: stats.sessionsCreated,
        sessionsRetired: stats.sessionsRetired,
        durationMs: stats.durationMs,
        sessionsUsed: [...sessionsUsed],
    };
    process.stdout.write(`REPORT ${JSON.stringify(report)}\n`);
} catch (error) {
    process.stderr.write(`worker ${task.index}: ${(error as Error).message}\n`);
    process.exitCode = 1;
}
