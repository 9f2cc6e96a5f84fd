/**
 * What the e2e orchestrator (crawl-e2e.ts) and the measured child (child.ts) exchange. Type-only module:
 * the child is transpiled on its own, so nothing here may be needed at run time.
 */

export type RunnerName =
    | 'crawlee-http'
    | 'crawlee-cheerio'
    | 'crawlee-puppeteer'
    | 'crawlee-playwright'
    | 'sessionkit-http'
    | 'sessionkit-cheerio'
    | 'sessionkit-puppeteer'
    | 'sessionkit-playwright'
    | 'raw-got'
    | 'raw-got-sessions';

/** One crawl, as the child receives it (JSON in the E2E_JOB environment variable). */
export interface Job {
    runner: RunnerName;
    /** Base URL of the simulator, e.g. http://127.0.0.1:40123 */
    siteUrl: string;
    /** Crawl /page/0 … /page/<pages-1>. */
    pages: number;
    /** Proxy URLs (farm scenario), empty for a single IP. */
    proxyUrls: string[];
    maxConcurrency: number;
    maxPoolSize: number;
    /** Hard cap of the crawl's wall time: at this point the child reports what it has and exits. */
    deadlineMs: number;
    /** Crawlee: pin the AutoscaledPool at maxConcurrency (minConcurrency = maxConcurrency). */
    crawleePinConcurrency: boolean;
    /** Chromium for the Puppeteer runners. */
    chromiumPath: string;
    /** Temp dir for CRAWLEE_STORAGE_DIR (created and removed by the parent). */
    storageDir: string;
}

/** What the child measured, sent back over IPC once, at the end (or at the deadline). */
export interface ChildResult {
    runner: RunnerName;
    /** A note when the runner could not run (e.g. PuppeteerCrawler not exported yet). */
    skipped?: string;
    /** An error that ended the crawl early. */
    error?: string;
    /** The deadline was hit: the crawl was cut off and the figures are what it had by then. */
    timedOut: boolean;
    wallMs: number;
    /** Pages whose handler ran on a real page (not a soft block), unique URLs. */
    pagesOk: number;
    /** Requests the crawler gave up on (failedRequestHandler). */
    pagesFailed: number;
    /** Requests the crawler sent (counted in a pre-navigation hook / per fetch): the client's own count. */
    clientRequests: number;
    /** Distinct session ids seen by the pre-navigation hook. */
    sessionsUsed: number;
    /** Soft blocks the handler saw (and retired the session for). */
    softBlocksSeen: number;
    /** process.cpuUsage() delta from just before the crawler was constructed to the end of run(). */
    crawlCpuMs: { user: number; system: number };
    /** process.cpuUsage() at the end (imports included). */
    totalCpuMs: number;
    /** process.cpuUsage() after imports, before the crawler (the libraries' load cost). */
    importCpuMs: number;
    /** process.resourceUsage().maxRSS at the end, in KiB (peak of this node process only). */
    maxRssKiB: number;
    /** RSS after imports, before the crawler (KiB). */
    rssAfterImportKiB: number;
    /** heapUsed at the end (not gc'd), bytes. */
    heapUsedEnd: number;
    /** The library's own statistics, as it reports them (free-form, printed in the details). */
    own: Record<string, unknown>;
    /** First error messages of failed requests (a sample). */
    failureSamples: string[];
}

export type ChildMessage = { type: 'result'; result: ChildResult };
