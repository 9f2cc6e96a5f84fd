/**
 * The measured process of the e2e crawl benchmark: runs ONE crawl (one library, one crawler type) against
 * the simulator the parent started, measures itself and sends a ChildResult over IPC.
 *
 * The parent transpiles this file to plain JS (bench/.cache/e2e-child.mjs) and forks it with plain `node`:
 * no tsx loader thread or esbuild service in the measured process. So this file must stay self-contained:
 * only `import type` from local modules, and libraries are imported dynamically (each child loads only the
 * library it measures).
 *
 * Job: JSON in E2E_JOB (see protocol.ts).
 */
import type { ChildMessage, ChildResult, Job } from './protocol.js';

const job = JSON.parse(process.env.E2E_JOB ?? 'null') as Job | null;
if (!job) {
    console.error('e2e child: E2E_JOB is not set (run bench/src/crawl-e2e.ts instead)');
    process.exit(2);
}

// Before any library is loaded: Crawlee storage in the parent's temp dir, kept in memory; everything quiet.
process.env.CRAWLEE_STORAGE_DIR = job.storageDir;
process.env.CRAWLEE_PERSIST_STORAGE = 'false';
process.env.CRAWLEE_LOG_LEVEL = 'OFF';
process.env.APIFY_LOG_LEVEL = '0'; // LogLevel.OFF (@apify/log reads a number or a name, but the name OFF maps to 0 and is rejected)
process.env.SESSIONKIT_LOG_LEVEL = 'off';

const BLOCKED_TITLE = /<title>Blocked<\/title>/;

// ---------------------------------------------------------------------------------------------------------
// Counters shared by every runner (the same instrumentation on both libraries).
// ---------------------------------------------------------------------------------------------------------
const okUrls = new Set<string>();
const sessionIds = new Set<string>();
const failureSamples: string[] = [];
let pagesFailed = 0;
let clientRequests = 0;
let softBlocksSeen = 0;

function onAttempt(sessionId: string | undefined): void {
    clientRequests += 1;
    if (sessionId !== undefined) sessionIds.add(sessionId);
}
function onFailed(url: string, message: string): void {
    pagesFailed += 1;
    if (failureSamples.length < 5) failureSamples.push(`${url}: ${message.slice(0, 300)}`);
}

const pageUrls = (): string[] => Array.from({ length: job.pages }, (_, i) => `${job.siteUrl}/page/${i}`);

interface Runner {
    /** Builds the crawler (inside the measured window) and crawls; resolves when the crawl is over. */
    crawl(): Promise<void>;
    /** The library's own statistics, now (also called at the deadline). */
    own(): Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------------------
// Crawlee 3.18.1
// ---------------------------------------------------------------------------------------------------------
async function crawleeRunner(j: Job): Promise<Runner> {
    const core = await import('@crawlee/core');
    core.log.setLevel(core.log.LEVELS.OFF);
    const { ProxyConfiguration, SessionError } = core;
    type AnyCrawler = {
        run(requests: string[]): Promise<unknown>;
        stats: { state: Record<string, unknown>; calculate(): Record<string, unknown> };
        sessionPool?: { getState(): { usableSessionsCount: number; retiredSessionsCount: number } };
    };
    let crawler: AnyCrawler | undefined;
    const common = {
        useSessionPool: true,
        persistCookiesPerSession: true,
        sessionPoolOptions: { maxPoolSize: j.maxPoolSize, persistenceOptions: { enable: false } },
        maxConcurrency: j.maxConcurrency,
        ...(j.crawleePinConcurrency ? { minConcurrency: j.maxConcurrency } : {}),
        ...(j.proxyUrls.length ? { proxyConfiguration: new ProxyConfiguration({ proxyUrls: j.proxyUrls }) } : {}),
        failedRequestHandler: ({ request }: { request: { url: string; errorMessages: string[] } }, error: Error) =>
            onFailed(request.url, error?.message ?? request.errorMessages.at(-1) ?? '?'),
    };
    const softBlock = (session: { retire(): void } | undefined): never => {
        softBlocksSeen += 1;
        session?.retire();
        // Crawlee's way to rotate: a SessionError retries the request with another session without spending a retry.
        throw new SessionError('soft block: <title>Blocked</title>');
    };
    const build = async (): Promise<AnyCrawler> => {
        if (j.runner === 'crawlee-http') {
            const { HttpCrawler } = await import('@crawlee/http');
            return new HttpCrawler({
                ...common,
                preNavigationHooks: [({ session }) => onAttempt(session?.id)],
                requestHandler: async ({ request, body, session }) => {
                    if (BLOCKED_TITLE.test(body.toString())) softBlock(session);
                    okUrls.add(request.url);
                },
            }) as unknown as AnyCrawler;
        }
        if (j.runner === 'crawlee-cheerio') {
            const { CheerioCrawler } = await import('@crawlee/cheerio');
            return new CheerioCrawler({
                ...common,
                preNavigationHooks: [({ session }) => onAttempt(session?.id)],
                requestHandler: async ({ request, $, session }) => {
                    if ($('title').text() === 'Blocked') softBlock(session);
                    okUrls.add(request.url);
                },
            }) as unknown as AnyCrawler;
        }
        const browserArgs = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--proxy-bypass-list=<-loopback>'];
        if (j.runner === 'crawlee-playwright') {
            const { PlaywrightCrawler } = await import('@crawlee/playwright');
            const { chromium } = await import('playwright-core');
            return new PlaywrightCrawler({
                ...common,
                launchContext: { launcher: chromium, launchOptions: { executablePath: j.chromiumPath, headless: true, args: browserArgs } },
                preNavigationHooks: [({ session }) => onAttempt(session?.id)],
                requestHandler: async ({ request, page, session }) => {
                    if ((await page.title()) === 'Blocked') softBlock(session);
                    okUrls.add(request.url);
                },
            }) as unknown as AnyCrawler;
        }
        const { PuppeteerCrawler } = await import('@crawlee/puppeteer');
        const puppeteer = (await import('puppeteer-core')).default;
        return new PuppeteerCrawler({
            ...common,
            launchContext: {
                launcher: puppeteer,
                launchOptions: {
                    executablePath: j.chromiumPath,
                    headless: true,
                    args: browserArgs,
                },
            },
            preNavigationHooks: [({ session }) => onAttempt(session?.id)],
            requestHandler: async ({ request, page, session }) => {
                if ((await page.title()) === 'Blocked') softBlock(session);
                okUrls.add(request.url);
            },
        }) as unknown as AnyCrawler;
    };
    // Preload the crawler module outside the measured window, like the sessionkit side.
    if (j.runner === 'crawlee-http') await import('@crawlee/http');
    else if (j.runner === 'crawlee-cheerio') await import('@crawlee/cheerio');
    else if (j.runner === 'crawlee-playwright') {
        await import('@crawlee/playwright');
        await import('playwright-core');
    } else {
        await import('@crawlee/puppeteer');
        await import('puppeteer-core');
    }
    return {
        async crawl() {
            crawler = await build();
            await crawler.run(pageUrls());
        },
        own() {
            if (!crawler) return {};
            const s = crawler.stats.state;
            const pick = (k: string): unknown => s[k];
            const pool = crawler.sessionPool?.getState();
            return {
                requestsFinished: pick('requestsFinished'),
                requestsFailed: pick('requestsFailed'),
                requestsRetries: pick('requestsRetries'),
                requestsWithStatusCode: pick('requestsWithStatusCode'),
                errors: Object.keys((pick('errors') as object | undefined) ?? {}).length,
                poolUsable: pool?.usableSessionsCount,
                poolRetired: pool?.retiredSessionsCount,
            };
        },
    };
}

// ---------------------------------------------------------------------------------------------------------
// sessionkit
// ---------------------------------------------------------------------------------------------------------
async function sessionkitRunner(j: Job): Promise<Runner> {
    type SkCrawler = {
        run(requests: string[]): Promise<Record<string, unknown>>;
        stats: { snapshot(name: string, pool: unknown): Record<string, unknown> };
        sessionPool: unknown;
    };
    let crawler: SkCrawler | undefined;
    let finalStats: Record<string, unknown> | undefined;
    const common = {
        useSessionPool: true,
        persistCookiesPerSession: true,
        sessionPoolOptions: { maxPoolSize: j.maxPoolSize, persist: false as const },
        maxConcurrency: j.maxConcurrency,
        ...(j.proxyUrls.length ? { proxyConfiguration: { proxyUrls: j.proxyUrls } } : {}),
        logLevel: 'off' as const,
        statusIntervalSecs: 0,
        failedRequestHandler: ({ request }: { request: { url: string } }, error: Error) => onFailed(request.url, error.message),
    };
    let build: () => SkCrawler;
    if (j.runner === 'sessionkit-http') {
        const { HttpCrawler } = await import('@sessionkit/http');
        build = () =>
            new HttpCrawler({
                ...common,
                preNavigationHooks: [({ session }) => onAttempt(session?.id)],
                requestHandler: async ({ request, body, session }) => {
                    if (BLOCKED_TITLE.test(body)) {
                        softBlocksSeen += 1;
                        session?.retire(); // rotates the request to another session
                        return;
                    }
                    okUrls.add(request.url);
                },
            }) as unknown as SkCrawler;
    } else if (j.runner === 'sessionkit-cheerio') {
        const { CheerioCrawler } = await import('@sessionkit/cheerio');
        build = () =>
            new CheerioCrawler({
                ...common,
                preNavigationHooks: [({ session }) => onAttempt(session?.id)],
                requestHandler: async ({ request, $, session }) => {
                    if ($('title').text() === 'Blocked') {
                        softBlocksSeen += 1;
                        session?.retire();
                        return;
                    }
                    okUrls.add(request.url);
                },
            }) as unknown as SkCrawler;
    } else if (j.runner === 'sessionkit-playwright') {
        const { PlaywrightCrawler } = await import('@sessionkit/playwright');
        build = () =>
            new PlaywrightCrawler({
                ...common,
                launchOptions: { executablePath: j.chromiumPath },
                preNavigationHooks: [({ session }) => onAttempt(session?.id)],
                requestHandler: async ({ request, page, session }) => {
                    if ((await page.title()) === 'Blocked') {
                        softBlocksSeen += 1;
                        session?.retire();
                        return;
                    }
                    okUrls.add(request.url);
                },
            }) as unknown as SkCrawler;
    } else {
        let mod: Record<string, unknown>;
        try {
            mod = (await import('@sessionkit/puppeteer')) as Record<string, unknown>;
        } catch (error) {
            throw Object.assign(new Error(`@sessionkit/puppeteer (dist) does not load: ${(error as Error).message}`), { skip: true });
        }
        if (typeof mod.PuppeteerCrawler !== 'function') {
            throw Object.assign(new Error('PuppeteerCrawler is not exported from @sessionkit/puppeteer (dist) yet'), { skip: true });
        }
        const { PuppeteerCrawler } = await import('@sessionkit/puppeteer');
        build = () =>
            new PuppeteerCrawler({
                ...common,
                launchOptions: { executablePath: j.chromiumPath },
                preNavigationHooks: [({ session }) => onAttempt(session?.id)],
                requestHandler: async ({ request, page, session }) => {
                    if ((await page.title()) === 'Blocked') {
                        softBlocksSeen += 1;
                        session?.retire();
                        return;
                    }
                    okUrls.add(request.url);
                },
            }) as unknown as SkCrawler;
    }
    return {
        async crawl() {
            crawler = build();
            finalStats = await crawler.run(pageUrls());
        },
        own() {
            if (finalStats) return finalStats;
            if (!crawler) return {};
            return crawler.stats.snapshot('(cut off)', crawler.sessionPool);
        },
    };
}

// ---------------------------------------------------------------------------------------------------------
// Raw floors: got-scraping alone, concurrency N.
//  - raw-got: no sessions at all; one header set for the whole crawl (got-scraping caches generated headers per
//    sessionToken), no cookies: the cheapest way to use got-scraping, i.e. the floor.
//  - raw-got-sessions: what a session costs when written by hand: each worker has its own "session" (its own
//    sessionToken, i.e. its own generated header set, and a cookie jar: a @sessionkit/core Session, the same
//    cookie code sessionkit uses) and replaces it after 50 requests (the default maxUsageCount). No pool, no
//    queue, no judging: the difference to sessionkit's HttpCrawler is the crawler and pool machinery.
// The request options are the ones @sessionkit/http passes.
// ---------------------------------------------------------------------------------------------------------
async function rawRunner(j: Job): Promise<Runner> {
    const { gotScraping } = await import('got-scraping');
    const withSessions = j.runner === 'raw-got-sessions';
    const { Session } = withSessions ? await import('@sessionkit/core') : { Session: undefined };
    const USES_PER_SESSION = 50;
    let errors = 0;
    let sessions = 0;
    return {
        async crawl() {
            const urls = pageUrls();
            let next = 0;
            const sharedToken = {};
            const worker = async (): Promise<void> => {
                type Jar = { getCookieString(url: string): Promise<string>; setCookie(raw: string, url: string): Promise<void> };
                let token: object = sharedToken;
                let jar: Jar | undefined;
                let uses = 0;
                const newSession = (): void => {
                    if (!Session) return;
                    const session = new Session();
                    token = {};
                    jar = {
                        getCookieString: async (url) => session.getCookieString(url),
                        setCookie: async (raw, url) => {
                            session.setCookie(raw, url);
                        },
                    };
                    uses = 0;
                    sessions += 1;
                    sessionIds.add(String(sessions));
                };
                newSession();
                while (next < urls.length) {
                    const url = urls[next++]!;
                    let ok = false;
                    let message = '';
                    for (let attempt = 0; attempt <= 3 && !ok; attempt++) {
                        if (withSessions && uses >= USES_PER_SESSION) newSession();
                        uses += 1;
                        clientRequests += 1;
                        try {
                            const response = await gotScraping({
                                url,
                                sessionToken: token,
                                ...(jar ? { cookieJar: jar } : {}),
                                throwHttpErrors: false,
                                followRedirect: true,
                                ignoreInvalidCookies: true,
                                retry: { limit: 0 },
                                timeout: { request: 30_000 },
                                responseType: 'text',
                            });
                            const body = response.body as string;
                            ok = response.statusCode === 200 && !BLOCKED_TITLE.test(body);
                            if (!ok) message = `HTTP ${response.statusCode}`;
                        } catch (error) {
                            errors += 1;
                            message = (error as Error).message;
                        }
                    }
                    if (ok) okUrls.add(url);
                    else onFailed(url, message);
                }
            };
            await Promise.all(Array.from({ length: j.maxConcurrency }, worker));
        },
        own: () => ({ networkErrors: errors, ...(withSessions ? { sessions } : {}) }),
    };
}

// ---------------------------------------------------------------------------------------------------------
// Main: import, measure, crawl, report.
// ---------------------------------------------------------------------------------------------------------
const cpuMs = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1000;
let sent = false;

function send(result: ChildResult): void {
    if (sent) return;
    sent = true;
    const message: ChildMessage = { type: 'result', result };
    process.send!(message, () => process.exit(0));
    // If the IPC channel is stuck, do not hang the benchmark.
    setTimeout(() => process.exit(3), 10_000).unref();
}

async function main(j: Job): Promise<void> {
    const base: Omit<ChildResult, 'wallMs' | 'crawlCpuMs' | 'totalCpuMs' | 'maxRssKiB' | 'heapUsedEnd' | 'own'> = {
        runner: j.runner,
        timedOut: false,
        pagesOk: 0,
        pagesFailed: 0,
        clientRequests: 0,
        sessionsUsed: 0,
        softBlocksSeen: 0,
        importCpuMs: 0,
        rssAfterImportKiB: 0,
        failureSamples,
    };
    let runner: Runner;
    try {
        runner = j.runner.startsWith('crawlee-') ? await crawleeRunner(j) : j.runner.startsWith('raw-got') ? await rawRunner(j) : await sessionkitRunner(j);
    } catch (error) {
        const e = error as Error & { skip?: boolean };
        send({
            ...base,
            ...(e.skip ? { skipped: e.message } : { error: `${e.name}: ${e.message}` }),
            wallMs: 0,
            crawlCpuMs: { user: 0, system: 0 },
            totalCpuMs: cpuMs(process.cpuUsage()),
            maxRssKiB: process.resourceUsage().maxRSS,
            heapUsedEnd: process.memoryUsage().heapUsed,
            own: {},
        });
        return;
    }
    base.importCpuMs = cpuMs(process.cpuUsage());
    base.rssAfterImportKiB = Math.round(process.memoryUsage().rss / 1024);

    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const finish = (timedOut: boolean, error?: unknown): void => {
        const cpu = process.cpuUsage(cpu0);
        let own: Record<string, unknown> = {};
        try {
            own = runner.own();
        } catch (ownError) {
            own = { error: (ownError as Error).message };
        }
        send({
            ...base,
            timedOut,
            ...(error ? { error: `${(error as Error).name}: ${(error as Error).message}` } : {}),
            wallMs: performance.now() - t0,
            pagesOk: okUrls.size,
            pagesFailed,
            clientRequests,
            sessionsUsed: sessionIds.size,
            softBlocksSeen,
            crawlCpuMs: { user: cpu.user / 1000, system: cpu.system / 1000 },
            totalCpuMs: cpuMs(process.cpuUsage()),
            maxRssKiB: process.resourceUsage().maxRSS,
            heapUsedEnd: process.memoryUsage().heapUsed,
            own,
        });
    };
    const deadline = setTimeout(() => finish(true), j.deadlineMs);
    try {
        await runner.crawl();
        clearTimeout(deadline);
        finish(false);
    } catch (error) {
        clearTimeout(deadline);
        finish(false, error);
    }
}

void main(job);
