/**
 * Pool micro-benchmark: Crawlee 3.18.1 `SessionPool`/`Session` vs `@sessionkit/core`, side by side,
 * in ONE process run, through the SAME measuring harness.
 *
 *   cd bench && npx pnpm@10.34.9 bench:pool
 *   (= node --expose-gc --import tsx src/pool-micro.ts; `npx tsx src/pool-micro.ts` also works: it then
 *   enables gc at runtime through v8.setFlagsFromString)
 *
 * Measured, for each side:
 *   1. session creation rate (sessions/s):
 *        a. standalone constructor: Crawlee `new Session({ sessionPool })` (Crawlee's constructor requires
 *           a pool, an EventEmitter) vs sessionkit `new Session()`;
 *        b. pool-created: `await pool.addSession()` on both (a fresh pool with a very large maxPoolSize per
 *           run).
 *   2. `await pool.getSession()` + `session.markGood()` ops/s, every 100th op `session.retire()` instead of
 *      markGood (1% retirements), at pool sizes 1,000 and 100,000. The pool is pre-filled to maxPoolSize
 *      with `addSession()` outside the timed part; maxUsageCount / maxAgeSecs are set high so nothing
 *      retires by usage or age during the run.
 *      FAIRNESS: Crawlee's getSession() creates a NEW session on every call until the pool is full (it
 *      only reuses once `sessions.length === maxPoolSize`), whereas sessionkit reuses a usable session
 *      before minting one. Pre-filling both pools to maxPoolSize makes both measure the steady state.
 *      The cold-start difference (Crawlee minting maxPoolSize identities first) is not measured here.
 *      Steady states still differ: Crawlee refills a retired slot on a later getSession() (paying a new
 *      session, ~0.3 ms, plus an O(n) sweep of the session array), sessionkit does not refill while an idle
 *      session exists, so its pool shrinks during the runs (each run starts topped up to maxPoolSize again,
 *      untimed; the pool size at the end is printed). Row 2b therefore also measures sessionkit with the
 *      pool kept full: after each retire() the op calls `await pool.addSession()` (timed), i.e. it pays a
 *      replacement per retirement like Crawlee does.
 *   3. heap bytes per session: N = 100,000 sessions held in a pool (the 100k pool of (2), filled with
 *      addSession()), `process.memoryUsage().heapUsed` after gc() minus the same figure for the empty
 *      opened pool, divided by N.
 *   4. cookies on one session: 3 × `setCookie(rawSetCookie, 'http://127.0.0.1/')` (three distinct
 *      Set-Cookie headers) + 1 × `getCookieString('http://127.0.0.1/')` = one op.
 *      The three headers are the same on every op, as sites resend them: sessionkit recognizes a header that
 *      stored a cookie still in the jar and only refreshes it. Row 4c is the same op with headers whose value
 *      changes on every op (nothing repeats: every setCookie parses and stores, every get recomputes).
 *   4b. `getCookieString(url)` on an unchanged jar (the same three cookies, set once, untimed), `url` cycling
 *      over four pages of the same origin (other paths, a query): the common case of a crawl, where the jar
 *      has not changed since the previous request to that origin. One call = one op.
 *
 * Crawlee setup (otherwise default settings):
 *   - `persistenceOptions: { enable: false }` on every SessionPool (SessionPoolOptions in
 *     @crawlee/core/session_pool/session_pool.d.ts): no persistState listener, no KV-store writes.
 *     `SessionPool.initialize()` still opens the default KeyValueStore, so CRAWLEE_STORAGE_DIR points to a
 *     fresh temp dir (set before @crawlee/core is imported, removed at exit).
 *   - `log.setLevel(log.LEVELS.ERROR)` (Crawlee's `log`, i.e. @apify/log). sessionkit's log is set to
 *     `error` too (SESSIONKIT_LOG_LEVEL) so neither side prints debug/info lines.
 *   - teardown: `pool.teardown({ persistState: false })` for each pool, then
 *     `Configuration.getEventManager().close()`; the process then exits on its own (an unref'd watchdog
 *     forces the exit and says so if some handle would keep it alive).
 * sessionkit pools: `SessionPool.open({ maxPoolSize, sessionOptions, persist: false })`, `teardown()`.
 *
 * Timing: for each case both sides are warmed up (WARMUP_MS), then the timed runs alternate
 * Crawlee, sessionkit, Crawlee, sessionkit, … (RUNS × RUN_MS each), so that load from other processes
 * hits both alike. Exception: the pool cases (rows 2, 2b, 3) run one side at a time, because a second 100k
 * pool alive in the same heap slows the other side's loop down (GC), which would bias the comparison.
 * The table shows the median of the runs; all runs are listed below it.
 * Env overrides: POOL_MICRO_RUN_MS, POOL_MICRO_WARMUP_MS, POOL_MICRO_RUNS, POOL_MICRO_ONLY=cookies (only rows
 * 4 and 4b; the pool rows take minutes),
 * POOL_MICRO_SK=auto|dist|src|off|<module path> (which @sessionkit/core to load; auto: the package's dist
 * if it exports the API, else packages/core/src through tsx).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// ---------------------------------------------------------------------------------------------------------
// Environment, before any Crawlee / sessionkit module is loaded.
// ---------------------------------------------------------------------------------------------------------
const storageDir = mkdtempSync(join(tmpdir(), 'sessionkit-pool-micro-crawlee-'));
process.env.CRAWLEE_STORAGE_DIR = storageDir;
process.env.SESSIONKIT_LOG_LEVEL ??= 'error';

const RUN_MS = Number(process.env.POOL_MICRO_RUN_MS ?? 800);
const WARMUP_MS = Number(process.env.POOL_MICRO_WARMUP_MS ?? 250);
const RUNS = Number(process.env.POOL_MICRO_RUNS ?? 3);
const POOL_SIZES = [1_000, 100_000] as const;
const HEAP_N = 100_000; // one of POOL_SIZES: the heap is measured while pre-filling that pool
const RETIRE_EVERY = 100; // 1% retirements
const HIGH_SESSION_OPTIONS = { maxUsageCount: 1_000_000_000, maxAgeSecs: 10_000_000 } as const;
const ADD_SESSION_POOL_SIZE = 10_000_000; // "unbounded" pool for the addSession() creation-rate row
const COOKIE_URL = 'http://127.0.0.1/';
const SET_COOKIES = [
    'sid=8f14e45fceea167a5a36dedd4bea2543; Path=/; HttpOnly',
    'visitor=v-20240601-0001; Path=/; Max-Age=86400',
    'consent=yes; Path=/; SameSite=Lax',
] as const;
const EXPECTED_COOKIE_STRING = 'sid=8f14e45fceea167a5a36dedd4bea2543; visitor=v-20240601-0001; consent=yes';
const READ_URLS = ['http://127.0.0.1/', 'http://127.0.0.1/products/17', 'http://127.0.0.1/products?page=2', 'http://127.0.0.1/cart'] as const;
const ONLY_COOKIES = process.env.POOL_MICRO_ONLY === 'cookies';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

// gc: prefer --expose-gc; otherwise enable it at runtime (works on Node 20/22).
let gcMode = 'node --expose-gc';
let gcFn = (globalThis as { gc?: () => void }).gc;
if (typeof gcFn !== 'function') {
    setFlagsFromString('--expose_gc');
    gcFn = runInNewContext('gc') as () => void;
    gcMode = 'v8.setFlagsFromString(--expose_gc) fallback';
}
const gc = gcFn;
function fullGc(): void {
    for (let i = 0; i < 4; i++) gc();
}

// ---------------------------------------------------------------------------------------------------------
// What the harness needs from each side (structural: both Crawlee and sessionkit fit it).
// ---------------------------------------------------------------------------------------------------------
interface BenchSession {
    markGood(): void;
    retire(): void;
}
interface CookieSession {
    setCookie(rawCookie: string, url: string): unknown;
    getCookieString(url: string): string;
}
interface BenchPool {
    addSession(): Promise<unknown>;
    getSession(): Promise<BenchSession>;
    readonly usableSessionsCount: number;
}
interface Side {
    name: string;
    /** The standalone constructor call measured in row 1a. */
    newSessionLabel: string;
    newSession(): unknown;
    /** Opens (and initializes) a pool with maxPoolSize = size and HIGH_SESSION_OPTIONS. */
    openPool(size: number): Promise<BenchPool>;
    teardownPool(pool: BenchPool): Promise<void>;
    /** Does getSession() on a full pool put a new session in a retired one's place by itself? */
    refillsOnGetSession: boolean;
    newCookieSession(): CookieSession;
    close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------
// Crawlee side.
// ---------------------------------------------------------------------------------------------------------
async function crawleeSide(): Promise<Side> {
    const { Configuration, Session, SessionPool, log } = await import('@crawlee/core');
    log.setLevel(log.LEVELS.ERROR);
    // Crawlee's Session constructor requires `sessionPool` (ow: instanceOf EventEmitter); a constructed,
    // never-initialized pool is enough and touches no storage.
    const hostPool = new SessionPool({ persistenceOptions: { enable: false } });
    return {
        name: 'Crawlee 3.18.1',
        newSessionLabel: 'new Session({ sessionPool })',
        newSession: () => new Session({ sessionPool: hostPool }),
        openPool: (size) =>
            SessionPool.open({
                maxPoolSize: size,
                sessionOptions: { ...HIGH_SESSION_OPTIONS },
                persistenceOptions: { enable: false },
            }),
        teardownPool: (pool) => (pool as InstanceType<typeof SessionPool>).teardown({ persistState: false }),
        refillsOnGetSession: true,
        newCookieSession: () => new Session({ sessionPool: hostPool }),
        close: () => Configuration.getEventManager().close(),
    };
}

// ---------------------------------------------------------------------------------------------------------
// sessionkit side: uses exactly the planned public API of @sessionkit/core
//   new Session(options?), SessionPool.open({ maxPoolSize, sessionOptions, persist: false }),
//   pool.addSession(), pool.getSession(), session.markGood()/retire(), session.setCookie(raw, url),
//   session.getCookieString(url), pool.usableSessionsCount, pool.teardown().
// ---------------------------------------------------------------------------------------------------------
interface SessionkitSessionOptions {
    maxAgeSecs?: number;
    maxUsageCount?: number;
    maxErrorScore?: number;
}
interface SessionkitPoolOptions {
    maxPoolSize?: number;
    sessionOptions?: SessionkitSessionOptions;
    persist?: boolean;
}
interface SessionkitPool extends BenchPool {
    teardown(): Promise<void>;
}
interface SessionkitCore {
    Session: new (options?: SessionkitSessionOptions) => BenchSession & CookieSession;
    SessionPool: { open(options: SessionkitPoolOptions): Promise<SessionkitPool> };
}

function sessionkitSide(sk: SessionkitCore): Side {
    const { Session, SessionPool } = sk;
    return {
        name: 'sessionkit',
        newSessionLabel: 'new Session()',
        newSession: () => new Session(),
        openPool: (size) =>
            SessionPool.open({ maxPoolSize: size, sessionOptions: { ...HIGH_SESSION_OPTIONS }, persist: false }),
        teardownPool: (pool) => (pool as SessionkitPool).teardown(),
        refillsOnGetSession: false,
        newCookieSession: () => new Session(),
        close: async () => {},
    };
}

function newestMtime(dir: string): number {
    let newest = 0;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, entry.name);
        newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
    }
    return newest;
}

/** Loads @sessionkit/core; says why not when its public API is not there yet. */
async function loadSessionkit(): Promise<{ core?: SessionkitCore; source: string; note?: string }> {
    const raw = process.env.POOL_MICRO_SK ?? 'auto';
    const want = raw.toLowerCase();
    if (want === 'off') return { source: 'off', note: 'disabled by POOL_MICRO_SK=off' };
    const srcDir = resolve(here, '../../packages/core/src');
    const srcIndex = join(srcDir, 'index.ts');
    const hasApi = (m: Record<string, unknown>): boolean =>
        typeof m.Session === 'function' &&
        typeof m.SessionPool === 'function' &&
        typeof (m.SessionPool as { open?: unknown }).open === 'function';
    if (!['auto', 'dist', 'src'].includes(want)) {
        // Any other value: a path to a module exporting the same API (e.g. another checkout's build).
        const file = resolve(raw);
        const m = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
        if (hasApi(m)) return { core: m as unknown as SessionkitCore, source: `POOL_MICRO_SK=${file}` };
        return { source: 'not available', note: `POOL_MICRO_SK=${file} does not export Session/SessionPool.open` };
    }
    const tried: string[] = [];
    if (want === 'auto' || want === 'dist') {
        try {
            const m = (await import('@sessionkit/core')) as Record<string, unknown>;
            // The package exports only the "import" condition, so resolve as ESM (require.resolve would fail).
            const distIndex = fileURLToPath(import.meta.resolve('@sessionkit/core'));
            if (hasApi(m)) {
                let note: string | undefined;
                if (existsSync(srcDir) && newestMtime(srcDir) > newestMtime(dirname(distIndex))) {
                    note = 'packages/core/src is newer than its dist: rebuild (pnpm build) or run with POOL_MICRO_SK=src';
                }
                return { core: m as unknown as SessionkitCore, source: `@sessionkit/core dist (${distIndex})`, note };
            }
            tried.push(`dist (${distIndex}) does not export Session/SessionPool.open yet`);
        } catch (error) {
            tried.push(`dist failed to load: ${(error as Error).message}`);
        }
    }
    if (want === 'auto' || want === 'src') {
        try {
            const m = (await import(pathToFileURL(srcIndex).href)) as Record<string, unknown>;
            if (hasApi(m)) return { core: m as unknown as SessionkitCore, source: `packages/core/src via tsx (${srcIndex})` };
            tried.push(`src (${srcIndex}) does not export Session/SessionPool.open yet`);
        } catch (error) {
            tried.push(`src failed to load: ${(error as Error).message}`);
        }
    }
    return { source: 'not available', note: `waiting for @sessionkit/core: ${tried.join('; ')}` };
}

// ---------------------------------------------------------------------------------------------------------
// Harness.
// ---------------------------------------------------------------------------------------------------------
let blackhole: unknown;

/** Calls fn for about ms milliseconds (the clock is read every `batch` calls); returns calls per second. */
function runSync(fn: () => unknown, ms: number, batch: number): number {
    let ops = 0;
    let sink: unknown;
    const t0 = performance.now();
    const end = t0 + ms;
    let t = t0;
    do {
        for (let k = 0; k < batch; k++) sink = fn();
        ops += batch;
        t = performance.now();
    } while (t < end);
    blackhole = sink;
    return ops / ((t - t0) / 1000);
}
async function runAsync(fn: () => Promise<unknown>, ms: number, batch: number): Promise<number> {
    let ops = 0;
    let sink: unknown;
    const t0 = performance.now();
    const end = t0 + ms;
    let t = t0;
    do {
        for (let k = 0; k < batch; k++) sink = await fn();
        ops += batch;
        t = performance.now();
    } while (t < end);
    blackhole = sink;
    return ops / ((t - t0) / 1000);
}

interface Measurement {
    median: number;
    runs: number[];
    unit: 'ops/s' | 'B';
    extra?: string;
}
type Result = Measurement | Error;
function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** One side's timed loop for one case. */
interface Runner {
    /** One timed run (may prepare untimed first); returns ops/s. */
    run(ms: number): Promise<number>;
    /** A note printed with the runs (state at the end). */
    extra?(): string;
}
interface Entry {
    side: Side;
    res: Map<string, Result>;
}

/** Warms every side up, then alternates the timed runs between sides, and stores the medians. */
async function compare(entries: Entry[], key: string, make: (side: Side) => Promise<Runner> | Runner): Promise<void> {
    const active: Array<{ e: Entry; r: Runner; runs: number[]; failed?: Error }> = [];
    for (const e of entries) {
        process.stderr.write(`  … ${key}: ${e.side.name}\n`);
        try {
            const r = await make(e.side);
            await r.run(WARMUP_MS);
            active.push({ e, r, runs: [] });
        } catch (error) {
            e.res.set(key, error as Error);
        }
        fullGc();
    }
    for (let i = 0; i < RUNS; i++) {
        for (const a of active) {
            if (a.failed) continue;
            try {
                a.runs.push(await a.r.run(RUN_MS));
            } catch (error) {
                a.failed = error as Error;
            }
            fullGc();
        }
    }
    for (const a of active) {
        a.e.res.set(key, a.failed ?? { median: median(a.runs), runs: a.runs, unit: 'ops/s', extra: a.r.extra?.() });
    }
}

/** Opens a pool of maxPoolSize = size and fills it with addSession() (untimed for row 2; reported as a rate,
 * and as heap bytes per session when size === HEAP_N). */
async function prefill(e: Entry, size: number): Promise<BenchPool | undefined> {
    const key = `prefill.${size}`;
    process.stderr.write(`  … ${key}: ${e.side.name}\n`);
    let pool: BenchPool | undefined;
    try {
        fullGc();
        pool = await e.side.openPool(size);
        fullGc();
        const before = process.memoryUsage().heapUsed;
        const t0 = performance.now();
        for (let i = 0; i < size; i++) await pool.addSession();
        const secs = (performance.now() - t0) / 1000;
        fullGc();
        const after = process.memoryUsage().heapUsed;
        if (size === HEAP_N) {
            const perSession = (after - before) / size;
            e.res.set('heap', {
                median: perSession,
                runs: [perSession],
                unit: 'B',
                extra: `heapUsed ${(before / 2 ** 20).toFixed(1)} → ${(after / 2 ** 20).toFixed(1)} MiB after gc`,
            });
        }
        const usable = pool.usableSessionsCount;
        if (usable !== size) throw new Error(`pre-fill left ${usable} usable sessions, expected ${size}`);
        e.res.set(key, { median: size / secs, runs: [size / secs], unit: 'ops/s', extra: `${size} × addSession() in ${secs.toFixed(2)} s` });
        return pool;
    } catch (error) {
        e.res.set(key, error as Error);
        if (pool) await e.side.teardownPool(pool).catch(() => {});
        return undefined;
    }
}

/** getSession + markGood, every RETIRE_EVERY-th op retire() instead (keepFull: then a timed addSession()). */
function opRunner(side: Side, pool: BenchPool, size: number, keepFull: boolean): Runner {
    let ops = 0;
    let retires = 0;
    let minSize = size;
    const op = keepFull
        ? async (): Promise<void> => {
              const s = await pool.getSession();
              if (++ops % RETIRE_EVERY === 0) {
                  s.retire();
                  retires++;
                  await pool.addSession();
              } else s.markGood();
          }
        : async (): Promise<void> => {
              const s = await pool.getSession();
              if (++ops % RETIRE_EVERY === 0) {
                  s.retire();
                  retires++;
              } else s.markGood();
          };
    return {
        async run(ms) {
            // Untimed: a pool that does not refill by itself starts every run full again.
            if (!side.refillsOnGetSession) while (pool.usableSessionsCount < size) await pool.addSession();
            const rate = await runAsync(op, ms, 64);
            minSize = Math.min(minSize, pool.usableSessionsCount);
            return rate;
        },
        extra: () => `${ops} ops incl. warm-up, ${retires} retire(); pool size at the end of a run: min ${minSize}, now ${pool.usableSessionsCount}`,
    };
}

async function measureAll(entries: Entry[]): Promise<void> {
    if (!ONLY_COOKIES) await measurePools(entries);
    await measureCookies(entries);
}

async function measurePools(entries: Entry[]): Promise<void> {
    // 1a. standalone constructor.
    await compare(entries, 'create.new', (side) => ({ run: async (ms) => runSync(side.newSession, ms, 32) }));

    // 1b. pool.addSession(), a fresh pool per run.
    await compare(entries, 'create.add', (side) => ({
        async run(ms) {
            const pool = await side.openPool(ADD_SESSION_POOL_SIZE);
            try {
                return await runAsync(() => pool.addSession(), ms, 32);
            } finally {
                await side.teardownPool(pool);
                fullGc();
            }
        },
    }));

    // 2 + 3. getSession + markGood with 1% retire at each pool size; heap per session while pre-filling HEAP_N.
    // Pool cases run one side at a time (pre-fill, runs, teardown): a second 100k pool alive in the same heap
    // (166 MB for Crawlee) slows the other side's GC-heavy async loop several-fold, so they are not interleaved.
    for (const size of POOL_SIZES) {
        for (const e of entries) {
            const pool = await prefill(e, size);
            if (!pool) continue;
            await compare([e], `ops.${size}`, (side) => opRunner(side, pool, size, false));
            // 2b. Pool kept full: for sides whose getSession() does not refill retired slots by itself.
            if (e.side.refillsOnGetSession) {
                const same = e.res.get(`ops.${size}`);
                if (same) e.res.set(`opsFull.${size}`, same);
            } else {
                await compare([e], `opsFull.${size}`, (side) => opRunner(side, pool, size, true));
            }
            await e.side.teardownPool(pool);
            fullGc();
        }
    }

}

async function measureCookies(entries: Entry[]): Promise<void> {
    // 4. cookies.
    await compare(entries, 'cookies', (side) => {
        const s = side.newCookieSession();
        const op = (): string => {
            s.setCookie(SET_COOKIES[0], COOKIE_URL);
            s.setCookie(SET_COOKIES[1], COOKIE_URL);
            s.setCookie(SET_COOKIES[2], COOKIE_URL);
            return s.getCookieString(COOKIE_URL);
        };
        const got = op();
        if (got !== EXPECTED_COOKIE_STRING) throw new Error(`getCookieString returned ${JSON.stringify(got)}`);
        return { run: async (ms) => runSync(op, ms, 64), extra: () => `cookie string: ${s.getCookieString(COOKIE_URL)}` };
    });

    // 4c. as 4, but every Set-Cookie is new (the value changes on each op).
    await compare(entries, 'cookiesNew', (side) => {
        const s = side.newCookieSession();
        let n = 0;
        const op = (): string => {
            n += 1;
            s.setCookie(`sid=8f14e45fceea167a5a36dedd4bea${n}; Path=/; HttpOnly`, COOKIE_URL);
            s.setCookie(`visitor=v-20240601-${n}; Path=/; Max-Age=86400`, COOKIE_URL);
            s.setCookie(`consent=${n}; Path=/; SameSite=Lax`, COOKIE_URL);
            return s.getCookieString(COOKIE_URL);
        };
        const got = op();
        if (!got.startsWith('sid=8f14e45fceea167a5a36dedd4bea1; visitor=v-20240601-1; consent=1')) throw new Error(`getCookieString returned ${JSON.stringify(got)}`);
        return { run: async (ms) => runSync(op, ms, 64) };
    });

    // 4b. getCookieString on an unchanged jar.
    await compare(entries, 'cookiesRead', (side) => {
        const s = side.newCookieSession();
        for (const header of SET_COOKIES) s.setCookie(header, COOKIE_URL);
        let i = 0;
        const op = (): string => s.getCookieString(READ_URLS[i++ & 3]!);
        for (const url of READ_URLS) {
            const got = s.getCookieString(url);
            if (got !== EXPECTED_COOKIE_STRING) throw new Error(`getCookieString(${url}) returned ${JSON.stringify(got)}`);
        }
        return { run: async (ms) => runSync(op, ms, 256) };
    });
}

// ---------------------------------------------------------------------------------------------------------
// Report.
// ---------------------------------------------------------------------------------------------------------
function cpuModel(): string {
    try {
        const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
        if (m) return m[1]!.trim();
    } catch {
        /* not Linux */
    }
    return cpus()[0]?.model ?? 'unknown';
}
function pkgVersion(fromDir: string, name: string): string {
    try {
        let dir = dirname(createRequire(join(fromDir, 'noop.js')).resolve(name));
        while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
        return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
        return '?';
    }
}
const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');
function cell(m: Result | undefined, missing: string): string {
    if (m === undefined) return missing;
    if (m instanceof Error) return 'ERROR (see below)';
    return m.unit === 'B' ? `${fmtInt(m.median)} B` : `${fmtInt(m.median)} /s`;
}
function ratio(c: Result | undefined, s: Result | undefined): string {
    if (!c || !s || c instanceof Error || s instanceof Error) return 'n/a';
    if (c.unit === 'B') return c.median >= s.median ? `${(c.median / s.median).toFixed(2)}× smaller` : `${(s.median / c.median).toFixed(2)}× larger`;
    const r = s.median / c.median;
    return r >= 1 ? `${r.toFixed(2)}× faster` : `${(1 / r).toFixed(2)}× slower`;
}

async function main(): Promise<void> {
    const startedAt = new Date();
    const t0 = performance.now();
    const load0 = loadavg()[0]!;

    const crawlee = await crawleeSide();
    const sk = await loadSessionkit();
    const skSide = sk.core ? sessionkitSide(sk.core) : undefined;

    const crawleeDir = dirname(require.resolve('@crawlee/core'));
    console.log(
        [
            `# Pool micro-benchmark: Crawlee vs sessionkit (same process, same harness)`,
            `date:        ${startedAt.toISOString()}`,
            `node:        ${process.version} (V8 ${process.versions.v8}), ${process.platform}/${process.arch}`,
            `cpu:         ${cpuModel()} × ${cpus().length}, load average at start ${load0.toFixed(2)}`,
            `crawlee:     @crawlee/core ${pkgVersion(here, '@crawlee/core')} (tough-cookie ${pkgVersion(crawleeDir, 'tough-cookie')}), persistenceOptions.enable=false, CRAWLEE_STORAGE_DIR=${storageDir}, log level ERROR`,
            `sessionkit:  ${sk.source}${sk.core ? ` (tough-cookie ${pkgVersion(resolve(here, '../../packages/core'), 'tough-cookie')}), persist: false, log level ${process.env.SESSIONKIT_LOG_LEVEL}` : ''}`,
            `gc:          ${gcMode}`,
            `timing:      warm-up ${WARMUP_MS} ms per side, then ${RUNS} runs × ${RUN_MS} ms (sides alternate, except pool rows 2/2b/3: one side at a time), median shown; pools pre-filled to maxPoolSize untimed`,
        ].join('\n'),
    );
    if (sk.note) console.log(`NOTE:        ${sk.note}`);

    const cr: Entry = { side: crawlee, res: new Map() };
    const sr: Entry | undefined = skSide ? { side: skSide, res: new Map() } : undefined;
    await measureAll(sr ? [cr, sr] : [cr]);

    const skMissing = skSide ? '—' : 'waiting for core';
    const rows: Array<[string, string]> = [
        ['1a create: standalone Session constructor (a)', 'create.new'],
        ['1b create: await pool.addSession()', 'create.add'],
        ...POOL_SIZES.flatMap((n): Array<[string, string]> => [
            [`2  getSession+markGood, 1% retire, pool ${fmtInt(n)}`, `ops.${n}`],
            [`2b same, pool kept full (b)`, `opsFull.${n}`],
        ]),
        [`3  heap per session (${fmtInt(HEAP_N)} in a pool)`, 'heap'],
        ['4  cookies: 3× setCookie + getCookieString', 'cookies'],
        ['4c same, every Set-Cookie new (value changes)', 'cookiesNew'],
        ['4b getCookieString on an unchanged jar', 'cookiesRead'],
    ];
    const table: string[][] = [['metric', crawlee.name, 'sessionkit', 'sessionkit vs Crawlee']];
    for (const [label, key] of rows) {
        if (ONLY_COOKIES && !cr.res.has(key)) continue;
        table.push([label, cell(cr.res.get(key), '—'), cell(sr?.res.get(key), skMissing), ratio(cr.res.get(key), sr?.res.get(key))]);
    }
    const widths = table[0]!.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
    const line = (r: string[]): string => `| ${r.map((v, c) => (c === 0 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join(' | ')} |`;
    console.log('');
    console.log(line(table[0]!));
    console.log(`|${widths.map((w, c) => (c === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
    for (const r of table.slice(1)) console.log(line(r));

    console.log(
        [
            '',
            `(a) Crawlee: ${crawlee.newSessionLabel} (its constructor requires a pool); sessionkit: ${skSide?.newSessionLabel ?? 'new Session()'}.`,
            '(b) Crawlee\'s getSession() refills a retired slot by itself, so its 2b figure is its row 2 figure; sessionkit',
            '    does not refill while an idle session exists (its pool shrinks during row 2), so in 2b each retire() is',
            '    followed by a timed `await pool.addSession()`.',
            'Fairness: Crawlee\'s getSession() mints a new session on every call until the pool is full; both pools are',
            'pre-filled to maxPoolSize first, so rows 2/2b compare steady states, not cold starts.',
            '',
            'runs and notes:',
        ].join('\n'),
    );
    const detailKeys = ['create.new', 'create.add', ...POOL_SIZES.flatMap((n) => [`prefill.${n}`, `ops.${n}`, `opsFull.${n}`]), 'heap', 'cookies', 'cookiesNew', 'cookiesRead'];
    for (const e of sr ? [cr, sr] : [cr]) {
        for (const key of detailKeys) {
            const m = e.res.get(key);
            if (!m) continue;
            if (key.startsWith('opsFull.') && e.side.refillsOnGetSession) continue; // same as ops.N
            const head = `  ${e.side.name.padEnd(14)} ${key.padEnd(15)}`;
            if (m instanceof Error) {
                console.log(`${head} ERROR ${m.name}: ${m.message}`);
                continue;
            }
            const runs = m.runs.map((v) => (m.unit === 'B' ? `${fmtInt(v)} B` : fmtInt(v))).join(', ');
            console.log(`${head} ${runs}${m.extra ? `  (${m.extra})` : ''}`);
        }
    }
    console.log(`total time: ${((performance.now() - t0) / 1000).toFixed(1)} s, load average at end ${loadavg()[0]!.toFixed(2)}`);

    await crawlee.close();
    if (skSide) await skSide.close();
    rmSync(storageDir, { recursive: true, force: true });
    void blackhole;
    setTimeout(() => {
        console.error('pool-micro: some handle kept the process alive after teardown; forcing exit');
        process.exit(0);
    }, 5000).unref();
}

main().catch((error: unknown) => {
    console.error(error);
    rmSync(storageDir, { recursive: true, force: true });
    process.exit(1);
});
