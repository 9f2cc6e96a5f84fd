/**
 * A/B micro-benchmark of two builds of @sessionkit/core in ONE process, interleaved (A, B, A, B, …) so that load
 * from other processes hits both alike, rates per CPU second of the process: `await pool.getSession()` + `markGood()` (every 100th op `retire()`
 * instead) at pool sizes 1,000 and 100,000, and heap bytes per session (100,000 sessions in a pool). Prints
 * figures (median of the runs); asserts nothing.
 *
 *   cd bench && node --expose-gc --import tsx src/pool-ab.ts <path of A's dist/index.js> <path of B's dist/index.js>
 *
 * e.g. A = a build of the main branch, B = this branch's packages/core/dist/index.js. Env: POOL_AB_RUNS (default 5),
 * POOL_AB_RUN_MS (default 600).
 */
import { pathToFileURL } from 'node:url';

interface Core {
    SessionPool: {
        open(options: Record<string, unknown>): Promise<{
            getSession(): Promise<{ markGood(): void; retire(): void }>;
            addSession(): Promise<unknown>;
            teardown(): Promise<void>;
            readonly size: number;
        }>;
    };
}

const RUNS = Number(process.env.POOL_AB_RUNS ?? 5);
const RUN_MS = Number(process.env.POOL_AB_RUN_MS ?? 600);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const [pathA, pathB] = process.argv.slice(2);
if (!pathA || !pathB) throw new Error('usage: pool-ab.ts <A dist/index.js> <B dist/index.js>');
const sides: [string, Core][] = [
    ['A', (await import(pathToFileURL(pathA).href)) as Core],
    ['B', (await import(pathToFileURL(pathB).href)) as Core],
];

const options = (size: number) => ({ maxPoolSize: size, persist: false, logLevel: 'off', sessionOptions: { maxUsageCount: 1e9, maxAgeSecs: 1e6 } });

async function opsPerSec(core: Core, size: number): Promise<number> {
    const pool = await core.SessionPool.open(options(size));
    while (pool.size < size) await pool.addSession();
    let ops = 0;
    const end = performance.now() + RUN_MS;
    const cpu = process.cpuUsage();
    while (performance.now() < end) {
        for (let i = 0; i < 1000; i++) {
            const session = await pool.getSession();
            if (++ops % 100 === 0) session.retire();
            else session.markGood();
        }
    }
    // Per CPU second of this process, not per wall second: on a shared machine other processes' load then
    // changes the figures much less.
    const used = process.cpuUsage(cpu);
    const rate = ops / ((used.user + used.system) / 1e6);
    await pool.teardown();
    return rate;
}

async function heapPerSession(core: Core, size: number): Promise<number> {
    gc!();
    const pool = await core.SessionPool.open(options(size));
    gc!();
    const before = process.memoryUsage().heapUsed;
    while (pool.size < size) await pool.addSession();
    gc!();
    const after = process.memoryUsage().heapUsed;
    await pool.teardown();
    return (after - before) / size;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
const results: Record<string, Record<string, number[]>> = { A: {}, B: {} };
const cases: [string, (core: Core) => Promise<number>][] = [
    ['getSession+markGood, pool 1,000 (ops per CPU s)', (core) => opsPerSec(core, 1000)],
    ['getSession+markGood, pool 100,000 (ops per CPU s)', (core) => opsPerSec(core, 100_000)],
    ['heap per session, 100,000 in a pool (B)', (core) => heapPerSession(core, 100_000)],
];
for (const [name, run] of cases) {
    for (const [, core] of sides) await run(core); // warm-up
    for (let i = 0; i < RUNS; i++) {
        for (const [side, core] of i % 2 === 0 ? sides : [...sides].reverse()) {
            (results[side]![name] ??= []).push(await run(core));
        }
    }
}
console.log(`A: ${pathA}\nB: ${pathB}\nruns: ${RUNS} × ${RUN_MS} ms, interleaved; medians\n`);
console.log('| metric | A | B | B / A |\n| --- | ---: | ---: | ---: |');
for (const [name] of cases) {
    const a = median(results.A![name]!);
    const b = median(results.B![name]!);
    console.log(`| ${name} | ${Math.round(a).toLocaleString('en-US')} | ${Math.round(b).toLocaleString('en-US')} | ${(b / a).toFixed(3)} |`);
}
