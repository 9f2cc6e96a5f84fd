import {
    InvalidOptionError,
    type Log,
    type Session,
    type SessionCookie,
    type SessionLease,
    checkBoolean,
    checkKnownKeys,
    checkNumber,
    checkObject,
    checkString,
} from '@sessionkit/core';
import {
    type AttemptScope,
    BasicCrawler,
    type BasicCrawlerOptions,
    type CrawlerAdapter,
    type CrawlerRunStatistics,
    type CrawlingContext,
    type NavigationResult,
    NonRetryableError,
    type Request,
    type RequestLike,
} from '@sessionkit/crawler';
import type {
    Browser,
    BrowserContext,
    GoToOptions,
    HTTPRequest,
    HTTPResponse,
    LaunchOptions,
    Page,
    PuppeteerLifeCycleEvent,
} from 'puppeteer-core';

import { SessionContextPool, type SessionContextPoolStats, withTimeout } from './contexts.js';
import { type SessionCookieData, getContextCookies, setContextCookies } from './cookies.js';
import { BrowserDisconnectedError, ChromiumNotFoundError, InvalidChromiumPathError, NavigationError } from './errors.js';
import { resolveChromiumExecutable } from './executable.js';
import { launchBrowser } from './launch.js';

/** What a PuppeteerCrawler handler (and its navigation hooks) receives. */
export interface PuppeteerCrawlingContext extends CrawlingContext {
    /**
     * The page of this attempt, in the session's own incognito context. Open before the pre-navigation
     * hooks run; closed by the crawler after the attempt (do not keep it).
     */
    page: Page;
    /** The session's incognito browser context (its cookies, storage, cache and proxy). */
    browserContext: BrowserContext;
    /** The main navigation's response; `null` before navigation or for a same-document navigation. */
    response: HTTPResponse | null;
}

/** `page.goto()` options applied to every navigation (the timeout comes from `navigationTimeoutSecs`). */
export interface PuppeteerGotoOptions {
    /** Default 'domcontentloaded'. */
    waitUntil?: PuppeteerLifeCycleEvent | PuppeteerLifeCycleEvent[];
    referer?: string;
    referrerPolicy?: string;
}

export interface PuppeteerCrawlerOptions extends BasicCrawlerOptions<PuppeteerCrawlingContext> {
    /**
     * How to launch Chromium (puppeteer `LaunchOptions`): `executablePath` (else CHROME_PATH,
     * PUPPETEER_EXECUTABLE_PATH, system paths), `headless` (default true), `args` (merged over the default
     * flags), … Not allowed together with `browser`.
     */
    launchOptions?: LaunchOptions;
    /** Timeout of one navigation (`page.goto`, redirects included) and of opening a page. Default 30. */
    navigationTimeoutSecs?: number;
    /** Default `{ waitUntil: 'domcontentloaded' }`. */
    gotoOptions?: PuppeteerGotoOptions;
    /** Most incognito contexts (one per session) kept open; idle ones are closed LRU first. Default maxConcurrency × 2 (20). */
    maxOpenContexts?: number;
    /** A browser to use instead of launching one. It is not closed when the crawl ends, nor relaunched if it dies. */
    browser?: Browser;
}

export const PUPPETEER_CRAWLER_OPTION_KEYS = ['launchOptions', 'navigationTimeoutSecs', 'gotoOptions', 'maxOpenContexts', 'browser'] as const;

const GOTO_OPTION_KEYS: ReadonlySet<string> = new Set(['waitUntil', 'referer', 'referrerPolicy']);
const LIFECYCLE_EVENTS: readonly string[] = ['load', 'domcontentloaded', 'networkidle0', 'networkidle2'];
/** Messages of CDP failures that may mean the whole browser is going away. */
const DISCONNECT_SYMPTOM = /Target closed|Session closed|Connection closed|frame was detached|Browser has disconnected|Protocol error/i;
const DISCONNECT_GRACE_MS = 500;
/** Closing a page or the browser should be quick; a hung browser must not hang the crawl. */
const CLOSE_TIMEOUT_MS = 5_000;

/** Counters of the browser side of a crawl (all browsers launched so far, including crashed ones). */
export interface PuppeteerAdapterStats {
    /** Browsers launched by the crawler (1 + relaunches after crashes, per run). */
    browserLaunches: number;
    /** Browsers that disconnected without the crawler closing them (crashes, killed processes). */
    browserDisconnects: number;
    pagesOpened: number;
    pagesClosed: number;
    /** Pages open right now (at most one per running request). */
    openPages: number;
    /** Contexts open right now in the current browser. */
    openContexts: number;
    /** Summed over every browser of the crawler. */
    contextsCreated: number;
    contextsClosed: number;
    /** Of `contextsClosed`: closed by the `maxOpenContexts` bound. */
    contextsEvicted: number;
    /** Of `contextsClosed`: closed because their session was retired. */
    retiredSessionContextsClosed: number;
    anonymizedProxiesOpen: number;
    /** Session cookies copied into contexts (before navigation). */
    cookiesPushed: number;
    /** Cookies copied from contexts into sessions (new or changed ones only). */
    cookiesSaved: number;
    /** Session cookies expired because the browser deleted them (e.g. `Set-Cookie: a=; Max-Age=0`). */
    cookiesDeleted: number;
    /** Session cookies Chromium refused (invalid fields). */
    cookiesRejected: number;
    /** The current browser's context pool, when a browser is up. */
    contextPool: SessionContextPoolStats | undefined;
}

interface Generation {
    readonly browser: Browser;
    readonly pool: SessionContextPool;
    /** Launched by the crawler (closed at the end, relaunched after a crash). */
    readonly owned: boolean;
    /** Set when the crawler itself closes the browser: a disconnect is then no crash. */
    closing: boolean;
    /** Our 'disconnected' listener, removed when we let go of a browser we were given. */
    readonly onDisconnected: () => void;
}

interface Attempt {
    readonly generation: Generation;
    /** Key of the context in the SessionContextPool: the session id, or a one-off key without sessions. */
    readonly key: string;
    /** Without a session, every attempt gets a fresh context, closed with the page. */
    readonly ephemeral: boolean;
    readonly page: Page;
}

export interface PuppeteerAdapterSettings {
    launchOptions: LaunchOptions | undefined;
    browser: Browser | undefined;
    navigationTimeoutMs: number;
    gotoOptions: PuppeteerGotoOptions;
    maxOpenContexts: number;
    persistCookiesPerSession: boolean;
}

type ContextPoolCounters = Pick<SessionContextPoolStats, 'contextsCreated' | 'contextsClosed' | 'contextsEvicted'>;

/**
 * The browser side of the session lifecycle. One incognito context per session, with the session's proxy;
 * the session's cookies go into the context before navigation and come back after the handler. The
 * session middleware (packages/crawler) leases, judges, marks and releases; this only talks to Chromium.
 */
export class PuppeteerAdapter implements CrawlerAdapter<PuppeteerCrawlingContext> {
    readonly name: string;
    log: Log | undefined;
    readonly #settings: PuppeteerAdapterSettings;
    #generation: Generation | undefined;
    #launching: Promise<Generation> | undefined;
    /** Bumped by dispose(): a launch that finishes after it closes its browser instead of keeping it. */
    #epoch = 0;
    #ephemeralSeq = 0;
    readonly #attempts = new WeakMap<PuppeteerCrawlingContext, Attempt>();
    /** Open pages per context key; a retired session's context is closed once this drops to 0. */
    readonly #pagesPerKey = new Map<string, number>();
    /** Retired sessions whose context waits for its last page to close. */
    readonly #retiring = new Set<string>();
    /**
     * Per browser context: the cookies it held when last read (key → fingerprint). The base of a
     * three-way merge: only cookies that differ from it are pushed or saved, and cookies that vanished
     * from it were deleted by the browser. Keyed by the context object, so a new context (after a crash
     * or an eviction) starts empty and gets every session cookie.
     */
    readonly #seen = new WeakMap<BrowserContext, Map<string, string>>();
    readonly #drainingPools = new Set<SessionContextPool>();
    readonly #pastPools: ContextPoolCounters = { contextsCreated: 0, contextsClosed: 0, contextsEvicted: 0 };
    readonly #counters = {
        browserLaunches: 0,
        browserDisconnects: 0,
        pagesOpened: 0,
        pagesClosed: 0,
        retiredSessionContextsClosed: 0,
        cookiesPushed: 0,
        cookiesSaved: 0,
        cookiesDeleted: 0,
        cookiesRejected: 0,
    };

    constructor(name: string, settings: PuppeteerAdapterSettings) {
        this.name = name;
        this.#settings = settings;
    }

    /** The browser in use, if one is up. */
    get browser(): Browser | undefined {
        return this.#generation?.browser;
    }

    /** The context pool of the current browser, if one is up. */
    get contextPool(): SessionContextPool | undefined {
        return this.#generation?.pool;
    }

    stats(): PuppeteerAdapterStats {
        const totals: ContextPoolCounters = { ...this.#pastPools };
        const pools = [...this.#drainingPools];
        if (this.#generation) pools.push(this.#generation.pool);
        for (const pool of pools) addPoolCounters(totals, pool.stats());
        const current = this.#generation?.pool.stats();
        let openPages = 0;
        for (const count of this.#pagesPerKey.values()) openPages += count;
        return {
            ...this.#counters,
            openPages,
            openContexts: current?.openContexts ?? 0,
            ...totals,
            anonymizedProxiesOpen: pools.reduce((sum, pool) => sum + pool.stats().anonymizedProxiesOpen, 0),
            contextPool: current,
        };
    }

    /**
     * Opens the attempt's page in the session's context (created on first use with the session's proxy).
     * Runs when the crawling context is built, so navigation hooks already have `page`, and the context
     * (which has a page from then on) cannot be evicted before its cookies are applied.
     */
    async openPage(context: PuppeteerCrawlingContext): Promise<void> {
        if (this.#attempts.has(context)) return;
        const generation = await this.#currentGeneration();
        const { session } = context;
        const ephemeral = session === undefined;
        const key = session ? session.id : `request-${(this.#ephemeralSeq += 1)}`;
        const proxyUrl = context.proxyInfo?.url;
        this.#pagesPerKey.set(key, (this.#pagesPerKey.get(key) ?? 0) + 1);
        let page: Page;
        try {
            const opening = generation.pool.newPage(key, proxyUrl);
            page = await withTimeout(opening, this.#settings.navigationTimeoutMs, () => {
                opening.then((late) => late.close()).catch(() => undefined);
                return new Error(
                    `Opening a page for ${context.request.url} took more than navigationTimeoutSecs=${this.#settings.navigationTimeoutMs / 1000}: the browser is hung or overloaded.`,
                );
            });
        } catch (error) {
            await this.#releaseKey(generation, key, ephemeral);
            throw await this.#explain(error, generation, `opening a page for ${context.request.url}`);
        }
        this.#counters.pagesOpened += 1;
        this.#attempts.set(context, { generation, key, ephemeral, page });
        context.page = page;
        context.browserContext = page.browserContext();
    }

    /** Stage "apply": the session's cookies into its context, before `page.goto`. Only cookies the context lacks are set. */
    async applySession(context: PuppeteerCrawlingContext): Promise<void> {
        const { session } = context;
        if (!session || !this.#settings.persistCookiesPerSession) return;
        const attempt = await this.#attemptOf(context);
        const browserContext = attempt.page.browserContext();
        const seen = this.#seenOf(browserContext);
        const nowSecs = Date.now() / 1000;
        const missing: SessionCookieData[] = [];
        for (const cookie of session.getAllCookies()) {
            if (cookie.expires !== undefined && cookie.expires <= nowSecs) continue;
            if (seen.get(cookieKey(cookie)) !== cookieFingerprint(cookie)) missing.push(cookie);
        }
        if (missing.length === 0) return;
        let result;
        try {
            result = await setContextCookies(browserContext, missing);
        } catch (error) {
            throw await this.#explain(error, attempt.generation, `setting the cookies of session ${session.id}`);
        }
        this.#counters.cookiesPushed += result.set;
        this.#counters.cookiesRejected += result.rejected.length;
        for (const { cookie, error } of result.rejected) {
            this.log?.debug(`Chromium refused cookie "${cookie.name}" (${cookie.domain}) of session ${session.id}: ${error.message}`);
        }
    }

    /** Stage "navigate": `page.goto` in the session's context. Chromium keeps the Set-Cookie of every hop in the context. */
    async navigate(context: PuppeteerCrawlingContext): Promise<NavigationResult> {
        const attempt = await this.#attemptOf(context);
        const { page, generation } = attempt;
        const { request } = context;
        let response: HTTPResponse | null;
        try {
            if (Object.keys(request.headers).length > 0) await page.setExtraHTTPHeaders(request.headers);
            if (request.method !== 'GET' || request.payload !== undefined) await interceptFirstNavigation(page, request);
            response = await untilPageCrash(
                page,
                page.goto(request.url, { ...this.#settings.gotoOptions, timeout: this.#settings.navigationTimeoutMs } satisfies GoToOptions),
            );
        } catch (error) {
            const explained = await this.#explain(error, generation, `loading ${request.url}`);
            if (explained !== error) throw explained;
            const proxyUrl = context.proxyInfo?.url;
            throw new NavigationError(request.method, request.url, proxyUrl, explained);
        }
        context.response = response;
        if (response === null) return { statusCode: 200, headers: {}, url: page.url() };
        return { statusCode: response.status(), headers: response.headers(), url: page.url() };
    }

    /**
     * Stage "save cookies", after the handler (so cookies set by page scripts or by the handler count) and
     * after errors: the context's cookies (every domain) into the session. Cookies unchanged since the
     * last read are skipped; cookies the browser deleted since then are expired in the session too.
     */
    async saveCookies(context: PuppeteerCrawlingContext): Promise<void> {
        const { session } = context;
        if (!session || !this.#settings.persistCookiesPerSession) return;
        const attempt = this.#attempts.get(context);
        if (!attempt) return;
        const browserContext = attempt.page.browserContext();
        if (browserContext.closed) return;
        let cookies: SessionCookieData[];
        try {
            cookies = await getContextCookies(browserContext);
        } catch (error) {
            throw await this.#explain(error, attempt.generation, `reading the cookies of session ${session.id}`);
        }
        const seen = this.#seenOf(browserContext);
        const current = new Map<string, string>();
        for (const cookie of cookies) current.set(cookieKey(cookie), cookieFingerprint(cookie));
        // Deletions first: a cookie that changed from host-only to domain (same name, host and path) is one
        // cookie for the session jar, and must end up with the new value, not expired.
        for (const key of seen.keys()) {
            if (current.has(key)) continue;
            // Was in the context at the last read, gone now: the site (or expiry) deleted it.
            const gone = parseCookieKey(key);
            if (session.setCookies([{ ...gone, value: '', expires: 1 }], cookieUrl({ ...gone, secure: true })) > 0) {
                this.#counters.cookiesDeleted += 1;
            }
        }
        for (const cookie of cookies) {
            const key = cookieKey(cookie);
            if (seen.get(key) === current.get(key)) continue;
            if (session.setCookies([cookie], cookieUrl(cookie)) > 0) this.#counters.cookiesSaved += 1;
        }
        this.#seen.set(browserContext, current);
    }

    /** Always at the end of an attempt: closes the page (and a context without session). */
    async cleanup(context: PuppeteerCrawlingContext): Promise<void> {
        const attempt = this.#attempts.get(context);
        if (!attempt) return;
        this.#attempts.delete(context);
        const { page, generation } = attempt;
        try {
            if (!page.isClosed() && generation.browser.connected) {
                await withTimeout(page.close(), CLOSE_TIMEOUT_MS, () => new Error('closing the page timed out'));
            }
        } catch (error) {
            this.log?.debug(`Closing the page of ${context.request.url} failed: ${(error as Error).message}`);
        }
        this.#counters.pagesClosed += 1;
        await this.#releaseKey(generation, attempt.key, attempt.ephemeral);
    }

    /** A session left the pool: close its context (and anonymized proxy), once its open pages are closed. */
    async onSessionRetired(session: Session): Promise<void> {
        if ((this.#pagesPerKey.get(session.id) ?? 0) > 0) {
            this.#retiring.add(session.id);
            return;
        }
        await this.#closeSessionContext(this.#generation, session.id);
    }

    /** The crawl is over: closes every context, and the browser if the crawler launched it. The next run relaunches. */
    async dispose(): Promise<void> {
        this.#epoch += 1;
        const launching = this.#launching;
        this.#launching = undefined;
        if (launching) await launching.catch(() => undefined);
        const generation = this.#generation;
        this.#generation = undefined;
        this.#retiring.clear();
        this.#pagesPerKey.clear();
        if (generation) await this.#closeGeneration(generation);
        await Promise.all([...this.#drainingPools].map((pool) => pool.closeAll()));
    }

    // ------------------------------------------------------------------ browser

    async #currentGeneration(): Promise<Generation> {
        const generation = this.#generation;
        if (generation?.browser.connected) return generation;
        if (generation) this.#onDisconnected(generation);
        const { browser } = this.#settings;
        if (browser) {
            if (!browser.connected) {
                throw new NonRetryableError(
                    'The browser given in the "browser" option is closed or crashed; PuppeteerCrawler does not relaunch a browser it did not launch. ' +
                        'Pass launchOptions instead of browser to let the crawler launch (and relaunch) Chromium.',
                    { cause: new BrowserDisconnectedError('browser option disconnected') },
                );
            }
            return this.#adopt(browser, false);
        }
        if (!this.#launching) {
            const launching = this.#launch();
            this.#launching = launching;
            const clear = () => {
                if (this.#launching === launching) this.#launching = undefined;
            };
            launching.then(clear, clear);
        }
        return this.#launching;
    }

    async #launch(): Promise<Generation> {
        const epoch = this.#epoch;
        let browser: Browser;
        try {
            browser = await launchBrowser({ ...(this.#settings.launchOptions ? { launchOptions: this.#settings.launchOptions } : {}) });
        } catch (error) {
            // No browser to launch: retrying cannot help.
            if (error instanceof ChromiumNotFoundError || error instanceof InvalidChromiumPathError) {
                throw new NonRetryableError(error.message, { cause: error });
            }
            throw error;
        }
        this.#counters.browserLaunches += 1;
        if (epoch !== this.#epoch) {
            await browser.close().catch(() => undefined);
            throw new Error('The crawl ended while Chromium was being launched.');
        }
        this.log?.debug(`Launched ${browser.process()?.spawnfile ?? 'Chromium'} (pid ${browser.process()?.pid ?? '?'})`);
        return this.#adopt(browser, true);
    }

    #adopt(browser: Browser, owned: boolean): Generation {
        const pool = new SessionContextPool(browser, { maxOpenContexts: this.#settings.maxOpenContexts });
        const generation: Generation = { browser, pool, owned, closing: false, onDisconnected: () => this.#onDisconnected(generation) };
        this.#generation = generation;
        browser.on('disconnected', generation.onDisconnected);
        return generation;
    }

    /** The browser went away. Forget it: the next attempt launches a new one (with a new context pool). */
    #onDisconnected(generation: Generation): void {
        generation.browser.off('disconnected', generation.onDisconnected);
        if (this.#generation !== generation) return;
        this.#generation = undefined;
        if (!generation.closing) {
            this.#counters.browserDisconnects += 1;
            this.log?.warning(
                generation.owned
                    ? 'Chromium crashed or was closed; the requests it was loading will be retried in a newly launched browser.'
                    : 'The browser given in the "browser" option disconnected; remaining requests will fail.',
            );
        }
        this.#retiring.clear();
        // Make sure no half-dead Chromium stays behind.
        if (generation.owned) generation.browser.process()?.kill('SIGKILL');
        this.#drain(generation.pool);
    }

    #drain(pool: SessionContextPool): void {
        this.#drainingPools.add(pool);
        void pool
            .closeAll()
            .catch(() => undefined)
            .finally(() => {
                if (!this.#drainingPools.delete(pool)) return;
                addPoolCounters(this.#pastPools, pool.stats());
            });
    }

    async #closeGeneration(generation: Generation): Promise<void> {
        generation.closing = true;
        generation.browser.off('disconnected', generation.onDisconnected);
        // close(), not closeAll(): a browser we were given outlives this run and must not keep our listeners.
        await generation.pool.close().catch(() => undefined);
        addPoolCounters(this.#pastPools, generation.pool.stats());
        if (!generation.owned || !generation.browser.connected) return;
        try {
            await withTimeout(generation.browser.close(), CLOSE_TIMEOUT_MS, () => new Error('closing Chromium timed out'));
        } catch (error) {
            this.log?.debug(`Closing Chromium failed (${(error as Error).message}); killing it.`);
            generation.browser.process()?.kill('SIGKILL');
        }
    }

    async #releaseKey(generation: Generation, key: string, ephemeral: boolean): Promise<void> {
        const left = (this.#pagesPerKey.get(key) ?? 1) - 1;
        if (left > 0) {
            this.#pagesPerKey.set(key, left);
            return;
        }
        this.#pagesPerKey.delete(key);
        if (ephemeral) {
            await generation.pool.closeContext(key).catch(() => false);
        } else if (this.#retiring.delete(key)) {
            await this.#closeSessionContext(generation, key);
        }
    }

    async #closeSessionContext(generation: Generation | undefined, sessionId: string): Promise<void> {
        if (!generation || generation !== this.#generation) return;
        if (await generation.pool.closeContext(sessionId).catch(() => false)) this.#counters.retiredSessionContextsClosed += 1;
    }

    async #attemptOf(context: PuppeteerCrawlingContext): Promise<Attempt> {
        let attempt = this.#attempts.get(context);
        if (!attempt) {
            await this.openPage(context);
            attempt = this.#attempts.get(context)!;
        }
        return attempt;
    }

    #seenOf(browserContext: BrowserContext): Map<string, string> {
        let seen = this.#seen.get(browserContext);
        if (!seen) {
            seen = new Map();
            this.#seen.set(browserContext, seen);
        }
        return seen;
    }

    /**
     * A failure because the browser died becomes a BrowserDisconnectedError that says what happens next.
     * CDP calls can fail ("Target closed", "frame was detached") a moment before puppeteer notices the
     * disconnect, so for such errors this waits briefly for it.
     */
    async #explain(error: unknown, generation: Generation, doing: string): Promise<Error> {
        const cause = error instanceof Error ? error : new Error(String(error));
        if (generation.browser.connected && !(cause instanceof BrowserDisconnectedError)) {
            if (!DISCONNECT_SYMPTOM.test(cause.message)) return cause;
            await waitForDisconnect(generation.browser, DISCONNECT_GRACE_MS);
            if (generation.browser.connected) return cause;
        }
        if (!generation.owned) {
            return new NonRetryableError(
                `The browser given in the "browser" option disconnected while ${doing}: ${cause.message}`,
                { cause },
            );
        }
        return new BrowserDisconnectedError(
            `Chromium crashed or was closed while ${doing} (${cause.message}). The request will be retried in a newly launched browser.`,
            { cause },
        );
    }
}

/**
 * Crawls with headless Chromium (puppeteer-core) and sessions: each session gets its own incognito
 * context with the session's proxy, so cookies, storage and IP stay with the session that owns them.
 * Responses are judged like every sessionkit crawler (401/403 retire, 429 cools down).
 */
export class PuppeteerCrawler extends BasicCrawler<PuppeteerCrawlingContext> {
    /** The browser side (stats, current browser and context pool). */
    readonly browserAdapter: PuppeteerAdapter;
    readonly #launchOptions: LaunchOptions | undefined;
    readonly #ownBrowser: boolean;

    constructor(options: PuppeteerCrawlerOptions, name = 'PuppeteerCrawler') {
        validatePuppeteerOptions(options);
        const adapter = new PuppeteerAdapter(name, {
            launchOptions: options.launchOptions,
            browser: options.browser,
            navigationTimeoutMs: (options.navigationTimeoutSecs ?? 30) * 1000,
            gotoOptions: { waitUntil: 'domcontentloaded', ...options.gotoOptions },
            maxOpenContexts: options.maxOpenContexts ?? (options.maxConcurrency ?? 10) * 2,
            persistCookiesPerSession: options.persistCookiesPerSession ?? true,
        });
        super(options, adapter, PUPPETEER_CRAWLER_OPTION_KEYS);
        adapter.log = this.log.child('browser');
        this.browserAdapter = adapter;
        this.#launchOptions = options.launchOptions;
        this.#ownBrowser = options.browser === undefined;
        if (options.maxOpenContexts !== undefined && options.maxOpenContexts < (options.maxConcurrency ?? 10)) {
            this.log.warning(
                `maxOpenContexts (${options.maxOpenContexts}) is below maxConcurrency (${options.maxConcurrency ?? 10}): ` +
                    'busy contexts are never closed, so the bound will be exceeded.',
            );
        }
    }

    /** Fails at once (before crawling) with a message saying how to install Chromium when none is found. */
    override async run(requests?: Iterable<RequestLike>): Promise<CrawlerRunStatistics> {
        if (this.#ownBrowser) resolveChromiumExecutable(this.#launchOptions?.executablePath);
        return super.run(requests);
    }

    /** Counters of the browser side: launches, crashes, pages, contexts, cookie sync. */
    getBrowserStats(): PuppeteerAdapterStats {
        return this.browserAdapter.stats();
    }

    protected override extendContext(base: CrawlingContext): PuppeteerCrawlingContext {
        const context = base as PuppeteerCrawlingContext;
        context.response = null;
        return context;
    }

    /** The page is opened with the context, so pre-navigation hooks can use it (with or without sessions). */
    protected override async createContext(request: Request, lease: SessionLease | undefined, attempt: AttemptScope): Promise<PuppeteerCrawlingContext> {
        const context = await super.createContext(request, lease, attempt);
        await this.browserAdapter.openPage(context);
        return context;
    }
}

// ---------------------------------------------------------------------- cookies

function cookieKey(cookie: Pick<SessionCookie, 'name' | 'domain' | 'path' | 'hostOnly'>): string {
    return `${cookie.hostOnly ? 'h' : 'd'}\t${bareHost(cookie.domain)}\t${cookie.path || '/'}\t${cookie.name}`;
}

function parseCookieKey(key: string): { name: string; domain: string; path: string; hostOnly: boolean } {
    const [kind, domain, path, ...name] = key.split('\t');
    return { hostOnly: kind === 'h', domain: domain!, path: path!, name: name.join('\t') };
}

/** What must match for a context cookie to count as the session's: value, expiry (to the second) and flags. */
function cookieFingerprint(cookie: Pick<SessionCookie, 'value' | 'expires' | 'httpOnly' | 'secure'>): string {
    const expires = cookie.expires === undefined ? -1 : Math.floor(cookie.expires);
    return `${cookie.value}\t${expires}\t${cookie.httpOnly ? 1 : 0}${cookie.secure ? 1 : 0}`;
}

function bareHost(domain: string): string {
    const host = domain.trim().replace(/^\.+/, '').toLowerCase();
    return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/**
 * The URL a cookie is stored for in the session jar: its own host (so a host-only cookie stays on that
 * host and a domain cookie domain-matches), its path, and https for Secure cookies (tough-cookie drops a
 * Secure cookie "received" over http).
 */
function cookieUrl(cookie: Pick<SessionCookie, 'domain' | 'path' | 'secure'>): string {
    const host = bareHost(cookie.domain);
    const hostPart = host.includes(':') ? `[${host}]` : host;
    return `${cookie.secure ? 'https' : 'http'}://${hostPart}${cookie.path.startsWith('/') ? cookie.path : '/'}`;
}

// ---------------------------------------------------------------------- navigation helpers

/** Rejects when the page crashes (out of memory, renderer killed) instead of waiting for the timeout. */
function untilPageCrash<T>(page: Page, promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
        const onError = (error: Error) => reject(new Error(`The page crashed: ${error.message}`, { cause: error }));
        page.once('error', onError);
        promise.then(
            (value) => {
                page.off('error', onError);
                resolve(value);
            },
            (error: unknown) => {
                page.off('error', onError);
                reject(error);
            },
        );
    });
}

/** `page.goto` can only GET: the first navigation request is rewritten to the request's method and payload. */
async function interceptFirstNavigation(page: Page, request: Request): Promise<void> {
    let done = false;
    await page.setRequestInterception(true);
    page.on('request', (intercepted: HTTPRequest) => {
        if (intercepted.isInterceptResolutionHandled()) return;
        if (!done && intercepted.isNavigationRequest() && intercepted.frame() === page.mainFrame()) {
            done = true;
            const overrides: { method: string; postData?: string } = { method: request.method };
            if (request.payload !== undefined) overrides.postData = request.payload;
            void intercepted.continue(overrides).catch(() => undefined);
            return;
        }
        void intercepted.continue().catch(() => undefined);
    });
}

/** Resolves once the browser disconnects, or after `millis`. */
function waitForDisconnect(browser: Browser, millis: number): Promise<void> {
    if (!browser.connected) return Promise.resolve();
    return new Promise<void>((resolve) => {
        const done = () => {
            clearTimeout(timer);
            browser.off('disconnected', done);
            resolve();
        };
        const timer = setTimeout(done, millis);
        timer.unref?.();
        browser.once('disconnected', done);
    });
}

function addPoolCounters(into: ContextPoolCounters, stats: ContextPoolCounters): void {
    into.contextsCreated += stats.contextsCreated;
    into.contextsClosed += stats.contextsClosed;
    into.contextsEvicted += stats.contextsEvicted;
}

// ---------------------------------------------------------------------- options

function validatePuppeteerOptions(options: PuppeteerCrawlerOptions): void {
    checkObject('(crawler options)', options);
    checkNumber('navigationTimeoutSecs', options.navigationTimeoutSecs, { min: 0, exclusiveMin: true });
    checkNumber('maxOpenContexts', options.maxOpenContexts, { min: 1, integer: true });
    checkObject('launchOptions', options.launchOptions);
    const launch = options.launchOptions as Record<string, unknown> | undefined;
    if (launch) {
        checkString('launchOptions.executablePath', launch.executablePath);
        if (launch.headless !== undefined && launch.headless !== 'shell') checkBoolean('launchOptions.headless', launch.headless);
        const args = launch.args;
        if (args !== undefined && (!Array.isArray(args) || args.some((arg) => typeof arg !== 'string'))) {
            throw new InvalidOptionError('launchOptions.args', args, 'must be an array of Chromium flags (strings such as "--lang=de")');
        }
    }
    checkObject('gotoOptions', options.gotoOptions);
    const goto = options.gotoOptions as Record<string, unknown> | undefined;
    if (goto) {
        if (goto.timeout !== undefined) {
            throw new InvalidOptionError('gotoOptions.timeout', goto.timeout, 'is not supported (use navigationTimeoutSecs)');
        }
        checkKnownKeys('gotoOptions', goto, GOTO_OPTION_KEYS);
        const waitUntil = goto.waitUntil;
        const events = Array.isArray(waitUntil) ? waitUntil : [waitUntil];
        if (waitUntil !== undefined && (events.length === 0 || events.some((event) => typeof event !== 'string' || !LIFECYCLE_EVENTS.includes(event)))) {
            throw new InvalidOptionError('gotoOptions.waitUntil', waitUntil, `must be one of ${LIFECYCLE_EVENTS.join(', ')} (or an array of them)`);
        }
        checkString('gotoOptions.referer', goto.referer);
        checkString('gotoOptions.referrerPolicy', goto.referrerPolicy);
    }
    if (options.browser !== undefined) {
        const browser = options.browser as Partial<Browser> | null;
        if (!browser || typeof browser !== 'object' || typeof browser.createBrowserContext !== 'function' || typeof browser.close !== 'function') {
            throw new InvalidOptionError('browser', options.browser, 'must be a puppeteer-core Browser (from puppeteer.launch(), puppeteer.connect() or launchBrowser())');
        }
        if (options.launchOptions !== undefined) {
            throw new InvalidOptionError('launchOptions', options.launchOptions, 'has no effect with an existing browser (give either browser or launchOptions)');
        }
    }
}
