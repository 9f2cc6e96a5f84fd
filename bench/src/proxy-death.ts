/**
 * A proxy dies mid-crawl: what should a proxy connection error do to the session?
 *
 *   cd bench && npx tsx src/proxy-death.ts [--pages=600] [--trials=3] [--concurrency=6]
 *
 * Compares the two policies of HttpCrawler's `onProxyError` on the same simulated crawl:
 *   markBad        (sessionkit's default) an error point for the session and its proxy; the request spends a
 *                  retry; the proxy is benched after `proxyBanThreshold` (3) consecutive failures, and its
 *                  sessions with it.
 *   rotateSession  (Crawlee 3) the session is retired at once and the request is retried with another session
 *                  (a session rotation, which spends no request retry).
 *
 * Setup per trial (fresh simulator and proxies, the same seed for both policies): startAntiBotSite with its
 * rules off except cookies bound to their IP (no budgets, no rate limits, no errors: every failure is the
 * dead proxy's) and 5 ms latency; 4 loopback proxies (startProxyFarm), the 4th of which is closed (its open
 * connections destroyed, new ones refused) once a quarter of the pages are done. maxPoolSize 12,
 * maxConcurrency 6, maxRequestRetries 3, proxyBenchSecs 30 (the bench outlasts the crawl).
 *
 * Printed per policy (medians over the trials): failed requests, retries spent, session rotations, failed
 * attempts (every attempt that did not finish its request), sessions retired, and the time from the proxy's
 * death to its bench (how long the crawl kept sending requests into it).
 */
import { HttpCrawler } from '@sessionkit/http';
import { type AntiBotSite, type ProxyFarm, startAntiBotSite, startProxyFarm } from '@sessionkit/testing';

function flag(name: string, fallback: number): number {
    const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
    const value = hit ? Number(hit.slice(name.length + 3)) : fallback;
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be an integer >= 1, got ${hit}`);
    return value;
}

const PAGES = flag('pages', 600);
const TRIALS = flag('trials', 3);
const CONCURRENCY = flag('concurrency', 6);
const POLICIES = ['markBad', 'rotateSession'] as const;
type Policy = (typeof POLICIES)[number];

interface Trial {
    finished: number;
    failed: number;
    retries: number;
    rotations: number;
    failedAttempts: number;
    sessionsRetired: number;
    /** ms from the proxy's death to its bench; NaN when it was never benched. */
    killToBenchMs: number;
    /** Attempts whose error came from the dead proxy. */
    deadProxyErrors: number;
    durationMs: number;
}

async function trial(policy: Policy, seed: number): Promise<Trial> {
    let site: AntiBotSite | undefined;
    let farm: ProxyFarm | undefined;
    let dying: ProxyFarm | undefined;
    try {
        site = await startAntiBotSite({ seed, pageCount: PAGES, pagesPerVisitor: false, newVisitorLimit: false, bindCookieToIp: true, latencyMs: 5 });
        farm = await startProxyFarm({ count: 3, firstAddress: '127.0.0.2' });
        dying = await startProxyFarm({ count: 1, firstAddress: '127.0.0.20' });
        const deadUrl = dying.urls[0]!;
        let handled = 0;
        let killedAt = 0;
        let benchedAt = 0;
        let deadProxyErrors = 0;
        const crawler = new HttpCrawler({
            statusIntervalSecs: 0,
            logLevel: 'off',
            maxConcurrency: CONCURRENCY,
            maxRequestRetries: 3,
            onProxyError: policy,
            proxyConfiguration: { proxyUrls: [...farm.urls, deadUrl] },
            sessionPoolOptions: { persist: false, maxPoolSize: 12, proxyBenchSecs: 30, logLevel: 'off' },
            requestHandler: async () => {
                handled += 1;
                if (handled === Math.floor(PAGES / 4) && dying) {
                    killedAt = Date.now();
                    void dying.close();
                }
            },
            failedRequestHandler: () => {},
        });
        const pool = crawler.sessionPool!;
        pool.on('proxyBenched', (proxy) => {
            if (proxy.url === deadUrl && killedAt > 0 && benchedAt === 0) benchedAt = Date.now();
        });
        const stats = await crawler.run(site.pageUrls(PAGES));
        const deadStats = pool.getStats().proxies.find((proxy) => proxy.url === deadUrl);
        deadProxyErrors = (deadStats?.errors ?? 0) + (deadStats?.blocks ?? 0);
        return {
            finished: stats.requestsFinished,
            failed: stats.requestsFailed,
            retries: stats.requestsRetried,
            rotations: stats.sessionRotations,
            failedAttempts: stats.requestsRetried + stats.sessionRotations + stats.requestsFailed + stats.rateLimitRetries,
            sessionsRetired: stats.sessionsRetired,
            killToBenchMs: benchedAt > 0 ? benchedAt - killedAt : Number.NaN,
            deadProxyErrors,
            durationMs: stats.durationMs,
        };
    } finally {
        await dying?.close();
        await farm?.close();
        await site?.close();
    }
}

function median(values: number[]): number {
    const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
    if (sorted.length === 0) return Number.NaN;
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
    console.log(`# A proxy dies mid-crawl: onProxyError 'markBad' vs 'rotateSession'`);
    console.log(`pages ${PAGES}, trials ${TRIALS} (medians; policies interleaved per trial), maxConcurrency ${CONCURRENCY}, 4 proxies, the 4th closed after ${Math.floor(PAGES / 4)} pages`);
    const results = new Map<Policy, Trial[]>(POLICIES.map((p) => [p, []]));
    for (let t = 0; t < TRIALS; t++) {
        for (const policy of POLICIES) {
            const result = await trial(policy, 1 + t);
            results.get(policy)!.push(result);
            process.stderr.write(`  trial ${t + 1} ${policy}: ${JSON.stringify(result)}\n`);
        }
    }
    const columns: [string, (r: Trial) => number][] = [
        ['finished', (r) => r.finished],
        ['failed', (r) => r.failed],
        ['retries spent', (r) => r.retries],
        ['session rotations', (r) => r.rotations],
        ['failed attempts', (r) => r.failedAttempts],
        ['errors via dead proxy', (r) => r.deadProxyErrors],
        ['sessions retired', (r) => r.sessionsRetired],
        ['death → bench (ms)', (r) => r.killToBenchMs],
        ['crawl (ms)', (r) => r.durationMs],
    ];
    const table = [['policy', ...columns.map(([name]) => name)]];
    for (const policy of POLICIES) {
        const trials = results.get(policy)!;
        table.push([policy, ...columns.map(([, pick]) => {
            const value = median(trials.map(pick));
            return Number.isNaN(value) ? 'never' : String(Math.round(value));
        })]);
    }
    const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
    const line = (row: string[]): string => `| ${row.map((v, c) => (c === 0 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join(' | ')} |`;
    console.log('');
    console.log(line(table[0]!));
    console.log(`|${widths.map((w, c) => (c === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
    for (const row of table.slice(1)) console.log(line(row));
}

main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
});
