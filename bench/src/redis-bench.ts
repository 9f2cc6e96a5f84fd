/**
 * Benchmark of the shared session pool on Redis. Prints figures, asserts nothing.
 *
 *   cd bench && npx pnpm@10.34.9 bench:redis [--secs=3] [--skip-ops] [--skip-crawl] [--runs=3] [--pages=600] [--latency=50]
 *   (build first: npx pnpm@10.34.9 build — the workers use the built @sessionkit/core, the crawl uses the built packages)
 *
 * 1. Pool operations: acquire() + markGood() + release() cycles, in 1, 2 and 4 worker PROCESSES on one pool
 *    (maxPoolSize 64, maxUsageCount high so nothing retires), each worker running `concurrency` loops (1 = one
 *    request at a time, every cycle waits for Redis; 8 = a crawler with maxConcurrency 8). Workers start together,
 *    warm up 0.5 s, then count cycles for --secs seconds. Also: the local (in-process) pool for reference.
 * 2. Crawl throughput: examples/distributed/main.ts (CheerioCrawler, anti-bot simulator with latency, 6 loopback
 *    proxies) with 1 vs 3 worker processes on one Redis pool; pages/s from the moment all workers are ready.
 * Env: REDIS_URL (default redis://127.0.0.1:6379).
 */
import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Log, SessionPool } from '@sessionkit/core';
import { RedisSessionStore } from '@sessionkit/redis';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..');
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const arg = (name: string, fallback: number): number => {
    const value = process.argv.find((item) => item.startsWith(`--${name}=`))?.split('=')[1];
    return value === undefined ? fallback : Number(value);
};
const SECS = arg('secs', 3);
const WARMUP_MS = 500;
const quiet = new Log({ level: 'off' });

interface ChildResult {
    ops: number;
    elapsedMs: number;
    p50Us: number;
    p99Us: number;
}

function percentile(sorted: number[], p: number): number {
    if (sorted.length === 0) return 0;
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs acquire+markGood+release loops on `pool` from `startAt` (+warm-up) for SECS seconds. */
async function cycles(pool: SessionPool, concurrency: number, startAt: number): Promise<ChildResult> {
    const measureFrom = startAt + WARMUP_MS;
    const measureTo = measureFrom + SECS * 1000;
    let ops = 0;
    const latencies: number[] = [];
    const loop = async () => {
        for (;;) {
            const t0 = performance.now();
            const now = performance.timeOrigin + t0;
            if (now >= measureTo) return;
            const lease = await pool.acquire();
            const t1 = performance.now();
            lease.session.markGood();
            lease.release();
            if (now >= measureFrom) {
                ops += 1;
                if (latencies.length < 200_000) latencies.push((t1 - t0) * 1000);
            }
        }
    };
    const wait = startAt - (performance.timeOrigin + performance.now());
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    await Promise.all(Array.from({ length: concurrency }, loop));
    latencies.sort((a, b) => a - b);
    return { ops, elapsedMs: SECS * 1000, p50Us: percentile(latencies, 50), p99Us: percentile(latencies, 99) };
}

function poolOptions() {
    return { maxPoolSize: 64, sessionOptions: { maxUsageCount: 1_000_000_000, maxAgeSecs: 1_000_000 }, acquireTimeoutSecs: 60, log: quiet };
}

// ---------------------------------------------------------------------------------------------- child mode
if (process.argv.includes('--child')) {
    const config = JSON.parse(process.env.SK_BENCH_CHILD!) as { poolId: string; concurrency: number; startAt: number };
    const pool = new SessionPool({ ...poolOptions(), store: new RedisSessionStore({ url: REDIS_URL, poolId: config.poolId, log: quiet }) });
    await pool.initialize();
    process.stdout.write('READY\n');
    const startAt = await new Promise<number>((resolve) => process.stdin.once('data', (data) => resolve(Number(String(data).trim()))));
    const result = await cycles(pool, config.concurrency, startAt);
    await pool.teardown();
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
    process.exit(0);
}

// ---------------------------------------------------------------------------------------------- main
function spawnChild(env: Record<string, string>, args: string[]): { ready: Promise<void>; send(text: string): void; done: Promise<string> } {
    const child = spawn(process.execPath, [...process.execArgv, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
    let output = '';
    let onReady = () => {};
    const ready = new Promise<void>((resolve) => {
        onReady = resolve;
    });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
        output += chunk;
        if (output.includes('READY\n')) onReady();
    });
    const done = new Promise<string>((resolve, reject) => {
        child.on('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`child exited with ${code}`))));
    });
    return { ready, send: (text) => child.stdin.end(text), done };
}

async function opsRow(workers: number, concurrency: number): Promise<{ label: string; perWorker: number[]; p50: number; p99: number }> {
    const poolId = `bench-${process.pid}-${Date.now().toString(36)}`;
    const children = Array.from({ length: workers }, () =>
        spawnChild({ SK_BENCH_CHILD: JSON.stringify({ poolId, concurrency }) }, [fileURLToPath(import.meta.url), '--child']),
    );
    await Promise.all(children.map((child) => child.ready));
    const startAt = Date.now() + 200;
    for (const child of children) child.send(`${startAt}\n`);
    const results = (await Promise.all(children.map((child) => child.done))).map(
        (output) => JSON.parse(output.split('\n').find((line) => line.startsWith('RESULT '))!.slice(7)) as ChildResult,
    );
    await new RedisSessionStore({ url: REDIS_URL, poolId, log: quiet }).clear();
    return {
        label: `${workers} process${workers > 1 ? 'es' : ''}`,
        perWorker: results.map((result) => result.ops / (result.elapsedMs / 1000)),
        p50: Math.max(...results.map((result) => result.p50Us)),
        p99: Math.max(...results.map((result) => result.p99Us)),
    };
}

async function localRow(concurrency: number): Promise<{ perWorker: number[]; p50: number; p99: number }> {
    const pool = await SessionPool.open({ ...poolOptions(), persist: false });
    const result = await cycles(pool, concurrency, Date.now());
    await pool.teardown();
    return { perWorker: [result.ops / (result.elapsedMs / 1000)], p50: result.p50Us, p99: result.p99Us };
}

async function crawl(workers: number, pages: number, latency: number): Promise<{ pagesPerSecond: number; wallMs: number; pagesOk: number; created: number; shared: number }> {
    const script = join(repoRoot, 'examples', 'distributed', 'main.ts');
    const child = spawn(process.execPath, [...process.execArgv, script, '--json', `--workers=${workers}`, `--pages=${pages}`, `--latency=${latency}`], {
        cwd: join(repoRoot, 'examples'),
        env: { ...process.env, SESSIONKIT_LOG_LEVEL: 'error' },
        stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
        output += chunk;
    });
    await new Promise<void>((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`crawl exited with ${code}`)))));
    const summary = JSON.parse(output.trim().split('\n').pop()!) as {
        pagesPerSecond: number;
        wallMs: number;
        pagesOk: number;
        pool: { sessionsCreated: number };
        sessionsUsedByTwoOrMoreWorkers: number;
    };
    return { pagesPerSecond: summary.pagesPerSecond, wallMs: summary.wallMs, pagesOk: summary.pagesOk, created: summary.pool.sessionsCreated, shared: summary.sessionsUsedByTwoOrMoreWorkers };
}

const fmt = (value: number) => Math.round(value).toLocaleString('en-US');
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

console.log(`Redis shared-pool benchmark — node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), Redis at ${REDIS_URL}`);
console.log(`load average at start: ${loadavg().map((value) => value.toFixed(2)).join(' ')}\n`);

const opsRows: string[] = [];
opsRows.push('| pool | workers | loops per worker | cycles/s per worker | cycles/s total | acquire p50 | acquire p99 |');
opsRows.push('|:--|--:|--:|--:|--:|--:|--:|');
for (const concurrency of process.argv.includes('--skip-ops') ? [] : [1, 8]) {
    const local = await localRow(concurrency);
    opsRows.push(`| local (in-process) | 1 | ${concurrency} | ${fmt(local.perWorker[0]!)} | ${fmt(local.perWorker[0]!)} | ${local.p50.toFixed(1)} µs | ${local.p99.toFixed(1)} µs |`);
    for (const workers of [1, 2, 4]) {
        const row = await opsRow(workers, concurrency);
        const total = row.perWorker.reduce((sum, value) => sum + value, 0);
        opsRows.push(
            `| Redis | ${workers} | ${concurrency} | ${fmt(total / workers)} (${row.perWorker.map(fmt).join(' / ')}) | ${fmt(total)} | ${fmt(row.p50)} µs | ${fmt(row.p99)} µs |`,
        );
        process.stderr.write(`  … ops: ${row.label}, ${concurrency} loops done\n`);
    }
}
if (opsRows.length > 2) {
    console.log('acquire() + markGood() + release() cycles, one pool (maxPoolSize 64), measured for', SECS, 's after a 0.5 s warm-up:\n');
    console.log(opsRows.join('\n'));
}

if (!process.argv.includes('--skip-crawl')) {
    const pages = arg('pages', 600);
    const latency = arg('latency', 50);
    const runs = arg('runs', 3);
    const crawlRows = ['| workers | pages/s (median of runs) | runs | sessions created | sessions used by 2+ workers |', '|--:|--:|:--|--:|--:|'];
    for (const workers of [1, 3]) {
        const results = [];
        for (let run = 0; run < runs; run++) {
            results.push(await crawl(workers, pages, latency));
            process.stderr.write(`  … crawl: ${workers} workers, run ${run + 1}\n`);
        }
        crawlRows.push(
            `| ${workers} | ${median(results.map((result) => result.pagesPerSecond)).toFixed(1)} | ${results.map((result) => result.pagesPerSecond.toFixed(1)).join(', ')} | ${median(results.map((result) => result.created))} | ${median(results.map((result) => result.shared))} |`,
        );
    }
    console.log(
        `\nCrawl throughput: examples/distributed (CheerioCrawler, maxConcurrency 8 per worker, ${pages} pages, site latency ${latency} ms, 6 proxies, one Redis pool):\n`,
    );
    console.log(crawlRows.join('\n'));
}
console.log(`\nload average at end: ${loadavg().map((value) => value.toFixed(2)).join(' ')}`);
