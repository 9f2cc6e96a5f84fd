/**
 * End-to-end crawl benchmark: the same crawl on sessionkit and on Crawlee 3.18.1, each crawler in its own
 * child process, against the bundled anti-bot simulator (and a loopback proxy farm) running in THIS process.
 *
 *   cd bench && npx pnpm@10.34.9 bench:crawl            (= tsx src/crawl-e2e.ts)
 *   flags: --pages=N (default 3000)  --browser-pages=N (200)  --deadline=S (120, cap per crawl)
 *          --only=farm,single,floor,puppeteer,playwright  --browser-concurrency=4,8  --repeat=N (runs per crawl, interleaved, medians shown; default
 *          3 for farm and floor, 1 for single and puppeteer)  --pages-per-visitor=N (40; the site's budget per visitor)  --seed=N (1)  --crawlee-autoscale  --json=FILE
 *
 * See bench/README.md for what is measured and the fairness notes. In short:
 *  - every crawl gets a fresh simulator (and a fresh farm) with the same seed and options;
 *  - the child imports only the library it measures, then measures process.cpuUsage() from just before the
 *    crawler is constructed to the end of run(), and process.resourceUsage().maxRSS at the end; the parent
 *    samples the child's process tree in /proc (PSS/RSS, for Chromium) and takes the tree's CPU from its own
 *    cutime/cstime;
 *  - the same handler logic on both sides (a "Blocked" title retires the session and rotates the request),
 *    the same instrumentation (a pre-navigation hook counts client requests and sessions).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { type AntiBotSiteOptions, type AntiBotSiteStats, type ProxyFarm, startAntiBotSite, startProxyFarm } from '@sessionkit/testing';

import type { ChildMessage, ChildResult, Job, RunnerName } from './e2e/protocol.js';
import { TreeSampler, childrenCpuMs, procAvailable, selfCpuMs } from './e2e/procfs.js';

const here = dirname(fileURLToPath(import.meta.url));
const benchDir = resolve(here, '..');
const require = createRequire(import.meta.url);

// ---------------------------------------------------------------------------------------------------------
// Flags.
// ---------------------------------------------------------------------------------------------------------
function flag(name: string): string | undefined {
    const hit = process.argv.find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
    if (hit === undefined) return undefined;
    return hit.includes('=') ? hit.slice(hit.indexOf('=') + 1) : '';
}
function intFlag(name: string, fallback: number): number {
    const raw = flag(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) {
        console.error(`--${name} must be a positive integer, got ${JSON.stringify(raw)}`);
        process.exit(2);
    }
    return n;
}
const SCENARIOS = ['farm', 'single', 'floor', 'puppeteer', 'playwright'] as const;
type ScenarioName = (typeof SCENARIOS)[number];
const PAGES = intFlag('pages', 3000);
const BROWSER_PAGES = intFlag('browser-pages', 200);
const DEADLINE_S = intFlag('deadline', 120);
const SEED = intFlag('seed', 1);
const PIN = flag('crawlee-autoscale') === undefined;
const JSON_OUT = flag('json');
/** Runs per crawl (interleaved; the tables show medians). The short, noisy scenarios get 3 by default. */
const REPEAT_ALL = flag('repeat') === undefined ? undefined : intFlag('repeat', 1);
const REPEATS: Record<string, number> = { farm: REPEAT_ALL ?? 3, single: REPEAT_ALL ?? 1, floor: REPEAT_ALL ?? 3, puppeteer: REPEAT_ALL ?? 1, playwright: REPEAT_ALL ?? 1 };
const PAGES_PER_VISITOR = intFlag('pages-per-visitor', 40);
const only = (flag('only') ?? SCENARIOS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
for (const s of only) {
    if (!(SCENARIOS as readonly string[]).includes(s)) {
        console.error(`--only: unknown scenario ${JSON.stringify(s)} (known: ${SCENARIOS.join(', ')})`);
        process.exit(2);
    }
}
const CHROMIUM = process.env.CHROME_PATH ?? '/usr/bin/chromium';

const CONCURRENCY = 20;
const POOL_SIZE = 100;
/** Browser crawls run once per concurrency in this list (side by side at each). */
const BROWSER_CONCURRENCIES = (flag('browser-concurrency') ?? '4,8').split(',').map((c) => Number(c));
if (BROWSER_CONCURRENCIES.some((c) => !Number.isInteger(c) || c < 1)) {
    console.error(`--browser-concurrency must be a list of positive integers, got ${JSON.stringify(flag('browser-concurrency'))}`);
    process.exit(2);
}
const FARM_SIZE = 20;
const BANNED_PROXY_INDEXES = [3, 9, 15]; // 3 of the 20 proxy IPs are banned by the site

// ---------------------------------------------------------------------------------------------------------
// The child: transpiled to plain JS so the measured process runs without the tsx loader.
// ---------------------------------------------------------------------------------------------------------
async function prepareChild(): Promise<{ path: string; execArgv: string[]; note: string }> {
    const src = join(here, 'e2e', 'child.ts');
    const outDir = join(benchDir, '.cache');
    const out = join(outDir, 'e2e-child.mjs');
    try {
        const ts = (await import('typescript')).default;
        const { outputText } = ts.transpileModule(readFileSync(src, 'utf8'), {
            compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
            fileName: src,
        });
        mkdirSync(outDir, { recursive: true });
        writeFileSync(out, `// generated from src/e2e/child.ts by crawl-e2e.ts; do not edit\n${outputText}`);
        return { path: out, execArgv: [], note: 'plain node (child.ts transpiled with typescript)' };
    } catch (error) {
        return { path: src, execArgv: ['--import', 'tsx'], note: `node --import tsx (typescript unavailable: ${(error as Error).message}; the tsx loader adds memory to every child)` };
    }
}

// ---------------------------------------------------------------------------------------------------------
// Runs.
// ---------------------------------------------------------------------------------------------------------
interface RunRecord {
    scenario: ScenarioName;
    runner: RunnerName;
    pages: number;
    result: ChildResult | undefined;
    /** Why there is no result (the child crashed, was killed, …). */
    problem?: string;
    site: AntiBotSiteStats;
    farm: ReturnType<ProxyFarm['stats']> | undefined;
    /** CPU of the child's whole tree (node + Chromium), from this process's cutime/cstime; startup included. */
    treeCpuMs: number;
    /** CPU of this process (site + proxy farm + sampling) during the run. */
    parentCpuMs: number;
    peakTreeRssKiB: number;
    peakTreePssKiB: number;
    peakProcesses: number;
    exitCode: number | null;
    stderrTail: string;
    loadAvg: [number, number];
}

function siteSetup(scenario: ScenarioName, pageCount: number, farmIps: string[]): AntiBotSiteOptions {
    const normal: AntiBotSiteOptions = {
        seed: SEED,
        pageCount,
        pagesPerVisitor: PAGES_PER_VISITOR,
        transientErrorRate: 0.01,
        softBlockRate: 0.005,
    };
    switch (scenario) {
        case 'farm':
        case 'puppeteer':
        case 'playwright':
            // The site's default new-visitor limit (10 per IP per 10 s) stays on; 3 proxy IPs are banned.
            return { ...normal, bannedIps: BANNED_PROXY_INDEXES.map((i) => farmIps[i]!) };
        case 'single':
            return { ...normal, newVisitorLimit: { max: 10, windowMs: 5_000, retryAfterSecs: 2 } };
        case 'floor':
            return { seed: SEED, pageCount, newVisitorLimit: false, pagesPerVisitor: false, transientErrorRate: 0, softBlockRate: 0 };
    }
}

let childScript: { path: string; execArgv: string[]; note: string };

async function runOne(scenario: ScenarioName, runner: RunnerName, pages: number, concurrency: number): Promise<RunRecord> {
    const useFarm = scenario === 'farm' || scenario === 'puppeteer' || scenario === 'playwright';
    const farm = useFarm ? await startProxyFarm({ count: FARM_SIZE }) : undefined;
    const site = await startAntiBotSite(siteSetup(scenario, pages, farm ? farm.proxies.map((p) => p.ip) : []));
    const storageDir = mkdtempSync(join(tmpdir(), 'sessionkit-e2e-crawlee-'));
    const job: Job = {
        runner,
        siteUrl: site.url,
        pages,
        proxyUrls: farm ? [...farm.urls] : [],
        maxConcurrency: concurrency,
        maxPoolSize: POOL_SIZE,
        deadlineMs: DEADLINE_S * 1000,
        crawleePinConcurrency: PIN,
        chromiumPath: CHROMIUM,
        storageDir,
    };
    const label = `${scenario}/${runner}`;
    process.stderr.write(`  … ${label}: ${pages} pages, concurrency ${concurrency}${farm ? `, ${FARM_SIZE} proxies` : ', single IP'} (load ${loadavg()[0]!.toFixed(2)})\n`);

    const cpuChildren0 = childrenCpuMs();
    const cpuSelf0 = selfCpuMs();
    // E2E_CPU_PROF=<dir>: write a V8 CPU profile of every child there (for finding hot spots; adds overhead).
    const profDir = process.env.E2E_CPU_PROF;
    const child: ChildProcess = fork(childScript.path, [], {
        execArgv: [...childScript.execArgv, ...(profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`, `--cpu-prof-name=${scenario}-${runner}.cpuprofile`] : [])],
        env: { ...process.env, E2E_JOB: JSON.stringify(job) },
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        cwd: benchDir,
    });
    const sampler = new TreeSampler(child.pid!, 500);
    sampler.start();
    const seenPids = new Set<number>();
    const trackPids = setInterval(() => {
        for (const pid of sampler.lastPids) seenPids.add(pid);
    }, 1000);
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    let result: ChildResult | undefined;
    child.on('message', (m: ChildMessage) => {
        if (m?.type === 'result') result = m.result;
    });
    // A crawl that ignores its own deadline (hung browser, …) is killed.
    const killer = setTimeout(() => child.kill('SIGKILL'), (DEADLINE_S + 90) * 1000);
    const exitCode = await new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    clearTimeout(killer);
    clearInterval(trackPids);
    sampler.stop();
    for (const pid of sampler.lastPids) seenPids.add(pid);
    killLeftovers(seenPids, child.pid!);
    const treeCpuMs = childrenCpuMs() - cpuChildren0;
    const parentCpuMs = selfCpuMs() - cpuSelf0;
    const record: RunRecord = {
        scenario,
        runner,
        pages,
        result,
        site: site.stats(),
        farm: farm?.stats(),
        treeCpuMs,
        parentCpuMs,
        peakTreeRssKiB: sampler.peakRssKiB,
        peakTreePssKiB: sampler.peakPssKiB,
        peakProcesses: sampler.peakProcesses,
        exitCode,
        stderrTail: stderr,
        loadAvg: [loadavg()[0]!, loadavg()[1]!],
    };
    if (!result) record.problem = `child exited with code ${exitCode} without a result`;
    await site.close();
    await farm?.close();
    rmSync(storageDir, { recursive: true, force: true });
    const r = result;
    if (r?.skipped) process.stderr.write(`    skipped: ${r.skipped}\n`);
    else if (r) {
        process.stderr.write(
            `    ${r.pagesOk} ok, ${r.pagesFailed} failed in ${(r.wallMs / 1000).toFixed(1)} s${r.timedOut ? ' (cut off at the deadline)' : ''}${r.error ? `, ERROR ${r.error}` : ''}; ` +
                `site: ${record.site.requests} requests, ${record.site.pagesServed} pages\n`,
        );
    } else process.stderr.write(`    ${record.problem}\n${stderr}\n`);
    return record;
}

/** Chromium processes the child left behind (e.g. cut off at the deadline): ours, killed by pid. */
function killLeftovers(pids: Set<number>, childPid: number): void {
    for (const pid of pids) {
        if (pid === childPid) continue;
        try {
            const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
            if (/chrom/i.test(cmd)) process.kill(pid, 'SIGKILL');
        } catch {
            /* gone */
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Report. A "group" is every run of one (scenario, runner): with --repeat=N the tables show per-metric medians.
// ---------------------------------------------------------------------------------------------------------
type Group = RunRecord[];

const LABEL: Record<RunnerName, string> = {
    'crawlee-http': 'Crawlee HttpCrawler',
    'crawlee-cheerio': 'Crawlee CheerioCrawler',
    'crawlee-puppeteer': 'Crawlee PuppeteerCrawler',
    'crawlee-playwright': 'Crawlee PlaywrightCrawler',
    'sessionkit-http': 'sessionkit HttpCrawler',
    'sessionkit-cheerio': 'sessionkit CheerioCrawler',
    'sessionkit-puppeteer': 'sessionkit PuppeteerCrawler',
    'sessionkit-playwright': 'sessionkit PlaywrightCrawler',
    'raw-got': 'got-scraping alone',
    'raw-got-sessions': 'got-scraping + sessions by hand',
};

const blocked = (s: AntiBotSiteStats): number => s.blockedBannedIp + s.blockedBudget + s.blockedIpMove;
const usable = (r: RunRecord): ChildResult | undefined => (r.result && !r.result.skipped && !r.result.error ? r.result : undefined);
const isBrowser = (r: RunRecord): boolean => r.runner.endsWith('puppeteer') || r.runner.endsWith('playwright');
const crawlCpu = (c: ChildResult): number => c.crawlCpuMs.user + c.crawlCpuMs.system;

function median(xs: number[]): number | undefined {
    if (xs.length === 0) return undefined;
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}
/** Median over the usable runs of a group of a per-run value (undefined values are left out). */
function med(group: Group | undefined, value: (r: RunRecord, c: ChildResult) => number | undefined): number | undefined {
    const xs: number[] = [];
    for (const r of group ?? []) {
        const c = usable(r);
        if (!c) continue;
        const v = value(r, c);
        if (v !== undefined && Number.isFinite(v)) xs.push(v);
    }
    return median(xs);
}

// Per-run values, shared by the tables and the targets.
const V = {
    wallS: (_r: RunRecord, c: ChildResult) => c.wallMs / 1000,
    pagesOk: (_r: RunRecord, c: ChildResult) => c.pagesOk,
    cpuPerPage: (_r: RunRecord, c: ChildResult) => (c.pagesOk ? crawlCpu(c) / c.pagesOk : undefined),
    treeCpuPerPage: (r: RunRecord, c: ChildResult) => (c.pagesOk ? r.treeCpuMs / c.pagesOk : undefined),
    rssMb: (_r: RunRecord, c: ChildResult) => c.maxRssKiB / 1024,
    treePssMb: (r: RunRecord) => (r.peakTreePssKiB ? r.peakTreePssKiB / 1024 : undefined),
    sitePerPage: (r: RunRecord) => (r.site.pagesServed ? (r.site.requests - r.site.notFound) / r.site.pagesServed : undefined),
};

interface Metric {
    label: string;
    value(r: RunRecord, c: ChildResult): number | undefined;
    fmt(v: number): string;
    /** Show a sessionkit/Crawlee ratio for this row. */
    ratio?: boolean;
}
const f0 = (v: number): string => Math.round(v).toLocaleString('en-US');
const f1 = (v: number): string => v.toFixed(1);
const f2 = (v: number): string => v.toFixed(2);
const f3 = (v: number): string => v.toFixed(3);

function bannedProxyRequests(r: RunRecord): number | undefined {
    if (!r.farm) return undefined;
    const banned = new Set(BANNED_PROXY_INDEXES.map((i) => r.farm![i]!.ip));
    return r.farm.filter((p) => banned.has(p.ip)).reduce((n, p) => n + p.requests, 0);
}

function metrics(browser: boolean, farm: boolean): Metric[] {
    return [
        { label: 'wall time (s)', value: V.wallS, fmt: f1, ratio: true },
        { label: 'pages ok', value: V.pagesOk, fmt: f0, ratio: true },
        { label: 'pages failed', value: (_r, c) => c.pagesFailed, fmt: f0 },
        { label: 'pages unfinished (cut off)', value: (r, c) => r.pages - c.pagesOk - c.pagesFailed, fmt: f0 },
        { label: 'pages ok per second', value: (_r, c) => c.pagesOk / (c.wallMs / 1000), fmt: f1, ratio: true },
        { label: 'site: requests per page served', value: V.sitePerPage, fmt: f3, ratio: true },
        { label: 'crawler: requests per ok page', value: (_r, c) => (c.pagesOk ? c.clientRequests / c.pagesOk : undefined), fmt: f3, ratio: true },
        { label: 'site: 403 blocks (ban/budget/ip-move)', value: (r) => blocked(r.site), fmt: f0, ratio: true },
        { label: 'site: 429 rate-limited', value: (r) => r.site.rateLimited, fmt: f0, ratio: true },
        { label: 'site: 503 transient', value: (r) => r.site.transientErrors, fmt: f0 },
        { label: 'site: soft blocks', value: (r) => r.site.softBlocks, fmt: f0 },
        ...(farm ? [{ label: 'requests via the 3 banned proxies', value: (r: RunRecord) => bannedProxyRequests(r), fmt: f0, ratio: true }] : []),
        { label: 'site: new visitors minted', value: (r) => r.site.newVisitors, fmt: f0, ratio: true },
        { label: 'crawler: sessions used', value: (_r, c) => c.sessionsUsed, fmt: f0, ratio: true },
        ...(browser
            ? [
                  { label: 'CPU ms per ok page (node+Chromium, all)', value: V.treeCpuPerPage, fmt: f1, ratio: true },
                  { label: 'CPU ms per ok page (node, crawl only)', value: V.cpuPerPage, fmt: f2, ratio: true },
                  { label: 'peak memory, PSS MB (node+Chromium)', value: V.treePssMb, fmt: f0, ratio: true },
                  { label: 'peak RSS MB (node process only)', value: V.rssMb, fmt: f0, ratio: true },
                  { label: 'processes at peak (node+Chromium)', value: (r: RunRecord) => r.peakProcesses || undefined, fmt: f0 },
              ]
            : [
                  { label: 'CPU ms per ok page (crawl)', value: V.cpuPerPage, fmt: f2, ratio: true },
                  { label: 'crawl CPU total (s)', value: (_r: RunRecord, c: ChildResult) => crawlCpu(c) / 1000, fmt: f2, ratio: true },
                  { label: 'peak RSS MB (maxRSS)', value: V.rssMb, fmt: f0, ratio: true },
                  { label: 'RSS MB after imports', value: (_r: RunRecord, c: ChildResult) => c.rssAfterImportKiB / 1024, fmt: f0, ratio: true },
              ]),
        { label: 'site+proxies CPU in parent (s)', value: (r) => r.parentCpuMs / 1000, fmt: f2, ratio: true },
    ];
}

function ratioCell(a: number | undefined, b: number | undefined): string {
    if (a === undefined || b === undefined) return 'n/a';
    if (a === 0) return b === 0 ? '1.00×' : '∞';
    return `${(b / a).toFixed(2)}×`;
}

/** One table: rows = metrics, columns = pairs (Crawlee, sessionkit, sessionkit/Crawlee). */
function table(title: string, pairs: Array<[Group | undefined, Group | undefined]>, baselineIsRaw = false): string {
    const all = pairs.flatMap(([a, b]) => [...(a ?? []), ...(b ?? [])]);
    const browser = all.some(isBrowser);
    const farm = all.some((r) => r.farm !== undefined);
    const runs = Math.max(0, ...pairs.flatMap(([a, b]) => [a?.length ?? 0, b?.length ?? 0]));
    const header = ['metric'];
    for (const [a, b] of pairs) {
        header.push(a?.[0] ? LABEL[a[0].runner] : '—', b?.[0] ? LABEL[b[0].runner] : '—', baselineIsRaw ? (a?.[0]?.runner === 'raw-got-sessions' ? 'sessionkit / by hand' : 'sessionkit / raw') : 'sessionkit / Crawlee');
    }
    const state = (g: Group | undefined): string | undefined => {
        if (!g || g.length === 0) return '—';
        if (g.every((r) => r.result?.skipped)) return 'skipped';
        if (!g.some((r) => usable(r))) return 'ERROR';
        return undefined;
    };
    const rows: string[][] = [header];
    for (const m of metrics(browser, farm)) {
        const row = [m.label];
        for (const [a, b] of pairs) {
            const va = med(a, m.value);
            const vb = med(b, m.value);
            const cell = (g: Group | undefined, v: number | undefined): string => {
                const s = state(g);
                if (s) return s;
                const capped = m.label.startsWith('wall') && g!.some((r) => usable(r)?.timedOut);
                return v === undefined ? 'n/a' : m.fmt(v) + (capped ? ' (cap)' : '');
            };
            row.push(cell(a, va), cell(b, vb), m.ratio && !state(a) && !state(b) ? ratioCell(va, vb) : '');
        }
        rows.push(row);
    }
    const widths = header.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    const line = (r: string[]): string => `| ${r.map((v, c) => (c === 0 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join(' | ')} |`;
    return [
        `### ${title}${runs > 1 ? ` — median of ${runs} runs each` : ''}`,
        '',
        line(header),
        `|${widths.map((w, c) => (c === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
        ...rows.slice(1).map(line),
    ].join('\n');
}

function details(records: RunRecord[]): string {
    const out: string[] = [];
    for (const r of records) {
        const c = r.result;
        const head = `- ${r.scenario}/${r.runner}:`;
        if (!c) {
            out.push(`${head} ${r.problem}\n    ${r.stderrTail.trim().split('\n').slice(-8).join('\n    ')}`);
            continue;
        }
        if (c.skipped) {
            out.push(`${head} skipped: ${c.skipped}`);
            continue;
        }
        const s = r.site;
        out.push(
            `${head} ${c.pagesOk} ok / ${c.pagesFailed} failed in ${(c.wallMs / 1000).toFixed(1)} s${c.timedOut ? ' (cut off at the deadline)' : ''}${c.error ? `; ERROR ${c.error}` : ''}; ` +
                `crawl CPU ${(c.crawlCpuMs.user / 1000).toFixed(2)} s user + ${(c.crawlCpuMs.system / 1000).toFixed(2)} s sys, imports ${(c.importCpuMs / 1000).toFixed(2)} s, ` +
                `process total ${(c.totalCpuMs / 1000).toFixed(2)} s, tree (cutime) ${(r.treeCpuMs / 1000).toFixed(2)} s; ` +
                `maxRSS ${(c.maxRssKiB / 1024).toFixed(0)} MB, tree peak PSS ${(r.peakTreePssKiB / 1024).toFixed(0)} MB / RSS ${(r.peakTreeRssKiB / 1024).toFixed(0)} MB (${r.peakProcesses} proc); load ${r.loadAvg[0].toFixed(2)}`,
        );
        out.push(
            `    site: ${s.requests} requests, ${s.pagesServed} pages, ${s.newVisitors} new visitors, 429 ${s.rateLimited}, 403 banned-ip ${s.blockedBannedIp} / budget ${s.blockedBudget} / ip-move ${s.blockedIpMove}, ` +
                `503 ${s.transientErrors}, soft blocks ${s.softBlocks}, 404 ${s.notFound}`,
        );
        out.push(`    crawler's own stats: ${JSON.stringify(c.own)}`);
        out.push(`    client requests ${c.clientRequests}, sessions used ${c.sessionsUsed}, soft blocks seen ${c.softBlocksSeen}`);
        if (r.farm) {
            const all = r.farm.reduce((n, p) => n + p.requests, 0);
            const toBanned = bannedProxyRequests(r)!;
            out.push(`    proxies: ${all} proxied requests, ${toBanned} of them through the ${BANNED_PROXY_INDEXES.length} banned IPs (${((toBanned / Math.max(all, 1)) * 100).toFixed(1)}%)`);
        }
        if (c.failureSamples.length) out.push(`    failures, e.g.: ${c.failureSamples.slice(0, 2).join(' | ')}`);
    }
    return out.join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// Targets.
// ---------------------------------------------------------------------------------------------------------
interface Target {
    name: string;
    met: boolean | undefined;
    detail: string;
}
function targets(groups: Map<string, Group>): Target[] {
    const g = (s: ScenarioName, n: RunnerName): Group | undefined => groups.get(`${s}/${n}`);
    const out: Target[] = [];
    const httpPairs: Array<[RunnerName, RunnerName]> = [
        ['crawlee-http', 'sessionkit-http'],
        ['crawlee-cheerio', 'sessionkit-cheerio'],
    ];
    const ratioTarget = (name: string, value: Metric['value'], limit: number, scenario: ScenarioName): void => {
        const parts: string[] = [];
        let met: boolean | undefined = true;
        for (const [cr, sk] of httpPairs) {
            const a = med(g(scenario, cr), value);
            const b = med(g(scenario, sk), value);
            if (a === undefined || b === undefined || a === 0) {
                met = undefined;
                parts.push(`${LABEL[sk]}: n/a`);
                continue;
            }
            const ratio = b / a;
            if (ratio > limit && met !== undefined) met = false;
            parts.push(`${LABEL[sk].replace('sessionkit ', '')} ${ratio.toFixed(2)}×`);
        }
        out.push({ name, met, detail: parts.join(', ') });
    };
    if (only.includes('farm')) {
        ratioTarget('farm: crawl CPU per page ≤ 0.6× Crawlee', V.cpuPerPage, 0.6, 'farm');
        ratioTarget('farm: peak RSS ≤ 0.6× Crawlee', V.rssMb, 0.6, 'farm');
        ratioTarget('farm: site requests per page ≤ Crawlee', V.sitePerPage, 1, 'farm');
    }
    if (only.includes('single')) {
        const parts: string[] = [];
        let met: boolean | undefined = true;
        for (const [cr, sk] of httpPairs) {
            const a = med(g('single', cr), V.pagesOk);
            const b = med(g('single', sk), V.pagesOk);
            if (a === undefined || b === undefined) {
                met = undefined;
                continue;
            }
            if (b < PAGES || a >= PAGES / 2) met = false;
            parts.push(`${LABEL[sk].replace('sessionkit ', '')}: sessionkit ${b}/${PAGES}, Crawlee ${a}/${PAGES}`);
        }
        out.push({ name: 'single IP: sessionkit fetches all pages where Crawlee fails most', met, detail: parts.join('; ') });
    }
    if (only.includes('floor')) {
        const raw = g('floor', 'raw-got');
        const sk = g('floor', 'sessionkit-http');
        const a = med(raw, V.cpuPerPage);
        const b = med(sk, V.cpuPerPage);
        const wa = med(raw, V.wallS);
        const wb = med(sk, V.wallS);
        if (a === undefined || b === undefined || !wa || !wb) out.push({ name: 'session-layer overhead ≤ 10% of the raw floor', met: undefined, detail: 'n/a' });
        else {
            const cpuOver = b / a - 1;
            const wallOver = wb / wa - 1;
            const pct = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
            out.push({
                name: 'session-layer overhead ≤ 10% of the raw floor',
                met: cpuOver <= 0.1 && wallOver <= 0.1,
                detail: `CPU per page ${pct(cpuOver)}, wall time ${pct(wallOver)}`,
            });
            const hand = g('floor', 'raw-got-sessions');
            const c = med(hand, V.cpuPerPage);
            const wc = med(hand, V.wallS);
            if (c !== undefined && wc) {
                out.push({
                    name: '(info) the same, over got-scraping with per-session headers and cookies by hand',
                    met: b / c - 1 <= 0.1 && wb / wc - 1 <= 0.1,
                    detail: `CPU per page ${pct(b / c - 1)}, wall time ${pct(wb / wc - 1)} (sessions by hand cost ${pct(c / a - 1)} CPU per page over the bare floor)`,
                });
            }
        }
    }
    return out;
}

// ---------------------------------------------------------------------------------------------------------
// Main.
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
function pkgVersion(name: string): string {
    const find = (entry: string): string => {
        let dir = dirname(entry);
        while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
        return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
    };
    try {
        return find(require.resolve(name));
    } catch {
        try {
            return find(fileURLToPath(import.meta.resolve(name)));
        } catch {
            return '?';
        }
    }
}

async function main(): Promise<void> {
    const startedAt = new Date();
    const t0 = performance.now();
    childScript = await prepareChild();
    if (!procAvailable()) console.log('NOTE: /proc is not available: tree memory and tree CPU figures will be missing.');
    console.log(
        [
            '# End-to-end crawl benchmark: sessionkit vs Crawlee 3.18.1 (each crawl in its own child process)',
            `date:       ${startedAt.toISOString()}`,
            `machine:    ${cpuModel()} × ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, load average at start ${loadavg()
                .map((l) => l.toFixed(2))
                .join(' ')}`,
            `node:       ${process.version}; child: ${childScript.note}`,
            `versions:   @crawlee/http ${pkgVersion('@crawlee/http')}, @crawlee/cheerio ${pkgVersion('@crawlee/cheerio')}, @crawlee/puppeteer ${pkgVersion('@crawlee/puppeteer')}, got-scraping ${pkgVersion('got-scraping')}, puppeteer-core ${pkgVersion('puppeteer-core')}, @crawlee/playwright ${pkgVersion('@crawlee/playwright')}, playwright-core ${pkgVersion('playwright-core')}`,
            `settings:   ${PAGES} pages (browsers ${BROWSER_PAGES}), maxConcurrency ${CONCURRENCY} (browsers ${BROWSER_CONCURRENCIES.join(' and ')}), maxPoolSize ${POOL_SIZE}, seed ${SEED}, cap ${DEADLINE_S} s per crawl, ` +
                `runs per crawl: ${Object.entries(REPEATS).map(([k, v]) => `${k} ${v}`).join(', ')}; Crawlee concurrency ${PIN ? 'pinned (minConcurrency = maxConcurrency)' : 'autoscaled from 1 (Crawlee default; --crawlee-autoscale)'}`,
        ].join('\n'),
    );

    const records: RunRecord[] = [];
    const groups = new Map<string, Group>();
    const sections: string[] = [];
    /** Runs the runners of one scenario `times` times, interleaved (A B A B …), so load hits both alike. */
    const runSet = async (s: ScenarioName, runners: RunnerName[], times: number, pages = PAGES, c = CONCURRENCY, tag: string = s): Promise<Group[]> => {
        for (let i = 0; i < times; i++) {
            for (const n of runners) {
                const r = await runOne(s, n, pages, c);
                records.push(r);
                const key = `${tag}/${n}`;
                groups.set(key, [...(groups.get(key) ?? []), r]);
                if (r.result?.skipped) runners = runners.filter((x) => x !== n); // no point repeating a skip
            }
        }
        return runners.map((n) => groups.get(`${tag}/${n}`) ?? []);
    };
    const group = (s: string, n: RunnerName): Group | undefined => groups.get(`${s}/${n}`);

    if (only.includes('farm')) {
        await runSet('farm', ['crawlee-http', 'sessionkit-http', 'crawlee-cheerio', 'sessionkit-cheerio'], REPEATS.farm!);
        sections.push(
            table(`(a) farm: ${PAGES} pages through ${FARM_SIZE} proxies (3 banned), ${PAGES_PER_VISITOR} pages/visitor, 10 new visitors/IP/10 s, 1% 503, 0.5% soft blocks`, [
                [group('farm', 'crawlee-http'), group('farm', 'sessionkit-http')],
                [group('farm', 'crawlee-cheerio'), group('farm', 'sessionkit-cheerio')],
            ]),
        );
    }
    if (only.includes('single')) {
        await runSet('single', ['crawlee-http', 'sessionkit-http', 'crawlee-cheerio', 'sessionkit-cheerio'], REPEATS.single!);
        sections.push(
            table(
                `(b) single IP: ${PAGES} pages, no proxies, 10 new visitors/5 s then 429 + Retry-After 2 s, ${PAGES_PER_VISITOR} pages/visitor, 1% 503, 0.5% soft blocks; cap ${DEADLINE_S} s`,
                [
                    [group('single', 'crawlee-http'), group('single', 'sessionkit-http')],
                    [group('single', 'crawlee-cheerio'), group('single', 'sessionkit-cheerio')],
                ],
            ),
        );
    }
    if (only.includes('floor')) {
        await runSet('floor', ['raw-got', 'sessionkit-http', 'raw-got-sessions'], REPEATS.floor!);
        sections.push(
            table(
                `(c) raw floor: ${PAGES} pages from one IP, no site rules; got-scraping alone (one header set, no cookies), and got-scraping with per-session headers and cookies written by hand, vs sessionkit HttpCrawler`,
                [
                    [group('floor', 'raw-got'), group('floor', 'sessionkit-http')],
                    [group('floor', 'raw-got-sessions'), group('floor', 'sessionkit-http')],
                ],
                true,
            ),
        );
    }
    const browserScenarios: Array<[ScenarioName, string, string, RunnerName, RunnerName]> = [
        ['puppeteer', '(d)', 'Puppeteer', 'sessionkit-puppeteer', 'crawlee-puppeteer'],
        ['playwright', '(e)', 'Playwright', 'sessionkit-playwright', 'crawlee-playwright'],
    ];
    for (const [scenario, letter, title, ours, theirs] of browserScenarios) {
        if (!only.includes(scenario)) continue;
        if (!existsSync(CHROMIUM)) {
            sections.push(`NOTE: ${CHROMIUM} not found: the ${title} runs were skipped (apt-get install -y chromium, or set CHROME_PATH).`);
            continue;
        }
        for (const c of BROWSER_CONCURRENCIES) {
            // Side by side at each concurrency, in one run: the machine's load hits both alike.
            await runSet(scenario, [ours, theirs], REPEATS[scenario]!, BROWSER_PAGES, c, `${scenario}@${c}`);
            sections.push(
                table(`${letter} ${title}, farm: ${BROWSER_PAGES} pages, concurrency ${c}, same site rules as (a)`, [
                    [group(`${scenario}@${c}`, theirs), group(`${scenario}@${c}`, ours)],
                ]),
            );
        }
        const skipped = group(`${scenario}@${BROWSER_CONCURRENCIES[0]}`, ours)?.find((r) => r.result?.skipped);
        if (skipped) sections.push(`NOTE: sessionkit ${title}Crawler skipped: ${skipped.result!.skipped}`);
    }

    console.log('');
    console.log(sections.join('\n\n'));
    console.log('\nTargets:');
    for (const t of targets(groups)) console.log(`  [${t.met === undefined ? 'n/a ' : t.met ? 'MET ' : 'MISS'}] ${t.name}: ${t.detail}`);
    console.log('\nDetails (every run):');
    console.log(details(records));
    console.log(`\ntotal time: ${((performance.now() - t0) / 1000).toFixed(1)} s, load average at end ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`);
    if (JSON_OUT) {
        writeFileSync(JSON_OUT, JSON.stringify({ startedAt, pages: PAGES, browserPages: BROWSER_PAGES, pinned: PIN, seed: SEED, records }, null, 2));
        console.log(`raw results: ${JSON_OUT}`);
    }
}

main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
});
