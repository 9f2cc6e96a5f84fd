import type { Log, Session } from '@sessionkit/core';
import {
    type AddRequestsResult,
    type AttemptStage,
    type EnqueueLinksOptions,
    type Blame,
    type CrawlerAdapter,
    type CrawlingContext,
    type NavigationResult,
    NavigationError,
    NonRetryableError,
    linkRequests,
    linkSelector,
} from '@sessionkit/crawler';

import { BrowserContextPool, type BrowserContextPoolStats, type BrowserContextUse } from './context-pool.js';
import { type BrowserCookie, type SessionCookieLike, cookieStorageUrl } from './cookies.js';
import { CookieSyncTracker, pushCookies } from './cookie-sync.js';
import { BrowserDisconnectedError, ChromiumNotFoundError, InvalidChromiumPathError } from './errors.js';
import type { BrowserDriver } from './spi.js';
import { withTimeout } from './timeout.js';

/** What a browser crawler's handler (and its navigation hooks) receives. */
export interface BrowserCrawlingContext<C, P, R> extends CrawlingContext {
    /**
     * The page of this attempt, in the session's own context. Open before the navigation hooks run. After the
     * attempt it is closed, or kept for the session's next request (`reusePages`): do not keep it yourself.
     */
    page: P;
    /** The session's browser context (its cookies, storage, cache and proxy). */
    browserContext: C;
    /** The main navigation's response; `null` before navigation or for a same-document navigation. */
    response: R | null;
    /** Queues the page's links (as rendered now, resolved against the final URL). */
    enqueueLinks(options?: EnqueueLinksOptions): Promise<AddRequestsResult>;
}

/** Counters of the browser side of a crawl (all browsers launched so far, including crashed ones). */
export interface BrowserAdapterStats {
    /** Browsers launched by the crawler (1 + relaunches after crashes, per run). */
    browserLaunches: number;
    /** Browsers that disconnected without the crawler closing them (crashes, killed processes). */
    browserDisconnects: number;
    pagesOpened: number;
    pagesClosed: number;
    /** Attempts that got their session's page from its previous request instead of a new one (`reusePages`). */
    pagesReused: number;
    /** Pages open right now (at most one per running request). */
    openPages: number;
    /** Contexts open right now in the current browser. */
    openContexts: number;
    /** Summed over every browser of the crawler. */
    contextsCreated: number;
    contextsClosed: number;
    /** Of `contextsClosed`: closed by the `maxOpenContexts` bound. */
    contextsEvicted: number;
    /** Retired sessions whose context was closed (after their last attempt). */
    retiredSessionContextsClosed: number;
    anonymizedProxiesOpen: number;
    /** Session cookies copied into contexts (before navigation). */
    cookiesPushed: number;
    /** Cookies copied from contexts into sessions (new or changed ones only). */
    cookiesSaved: number;
    /** Session cookies expired because the browser deleted them (e.g. `Set-Cookie: a=; Max-Age=0`). */
    cookiesDeleted: number;
    /** Context cookies removed because the session no longer has them. */
    cookiesRemoved: number;
    /** Session cookies the browser refused (invalid fields). */
    cookiesRejected: number;
    /** The current browser's context pool, when a browser is up. */
    contextPool: BrowserContextPoolStats | undefined;
}

export interface BrowserAdapterSettings<B> {
    /** A browser to use instead of launching one: not closed at the end, not relaunched if it dies. */
    browser: B | undefined;
    navigationTimeoutMs: number;
    maxOpenContexts: number;
    persistCookiesPerSession: boolean;
    /** Keep a session's page for its next request (see BrowserCrawlerOptions.reusePages). */
    reusePages: boolean;
    /** Checks that a browser can be launched (throws ChromiumNotFoundError…), before the first request. */
    preflight?(): void;
}

interface Generation<B, C, P> {
    readonly browser: B;
    readonly pool: BrowserContextPool<B, C, P>;
    /** Launched by the crawler (closed at the end, relaunched after a crash). */
    readonly owned: boolean;
    /** Set when the crawler itself closes the browser: a disconnect is then no crash. */
    closing: boolean;
    readonly unsubscribe: () => void;
}

interface Attempt<B, C, P> {
    readonly generation: Generation<B, C, P>;
    /** Context key: the session id, or a one-off key without sessions. */
    readonly key: string;
    /** Without a session (or without persistCookiesPerSession) every attempt gets a fresh context, closed with the page. */
    readonly ephemeral: boolean;
    readonly use: BrowserContextUse<C>;
    readonly context: C;
    readonly page: P;
    /** A plain GET that loaded: the page carries nothing of this request and may serve the session's next one. */
    reusable: boolean;
}

/** A kept page is recycled after this many requests, so what handlers leave on it (listeners) cannot pile up. */
const MAX_PAGE_REUSES = 50;

type PoolCounters = Pick<BrowserContextPoolStats, 'contextsCreated' | 'contextsClosed' | 'contextsEvicted'>;

/** Messages of driver failures that may mean the whole browser is going away. */
const DISCONNECT_SYMPTOM =
    /Target closed|Session closed|Connection closed|frame was detached|Browser has disconnected|Protocol error|has been closed|Target crashed|browser has been closed/i;
const DISCONNECT_GRACE_MS = 500;
/** Closing a page or the browser should be quick; a hung browser must not hang the crawl. */
const CLOSE_TIMEOUT_MS = 5_000;

/**
 * The browser side of the session lifecycle, for any {@link BrowserDriver}: one context per session with the
 * session's proxy; the session's cookies go into the context before navigation and come back after the
 * handler (diffs only, deletions both ways); a crashed browser is relaunched and blames nobody. The session
 * middleware leases, judges, marks and releases; this only talks to the browser.
 */
export class BrowserAdapter<B, C, P, R> implements CrawlerAdapter<BrowserCrawlingContext<C, P, R>> {
    readonly name: string;
    log: Log | undefined;
    readonly driver: BrowserDriver<B, C, P, R>;
    readonly #settings: BrowserAdapterSettings<B>;
    #generation: Generation<B, C, P> | undefined;
    #launching: Promise<Generation<B, C, P>> | undefined;
    /** Bumped by dispose(): a launch that finishes after it closes its browser instead of keeping it. */
    #epoch = 0;
    #ephemeralSeq = 0;
    #openPages = 0;
    readonly #attempts = new WeakMap<CrawlingContext, Attempt<B, C, P>>();
    /** Per browser context: what it holds of its session's cookies. A new context starts empty. */
    readonly #trackers = new WeakMap<object, CookieSyncTracker>();
    /** Per browser context: the page its session's last request left open for the next one. */
    readonly #keptPages = new WeakMap<object, P>();
    /** Requests each page served. */
    readonly #pageUses = new WeakMap<object, number>();
    readonly #drainingPools = new Set<BrowserContextPool<B, C, P>>();
    readonly #pastPools: PoolCounters = { contextsCreated: 0, contextsClosed: 0, contextsEvicted: 0 };
    readonly #counters = {
        browserLaunches: 0,
        browserDisconnects: 0,
        pagesOpened: 0,
        pagesClosed: 0,
        pagesReused: 0,
        retiredSessionContextsClosed: 0,
        cookiesPushed: 0,
        cookiesSaved: 0,
        cookiesDeleted: 0,
        cookiesRemoved: 0,
        cookiesRejected: 0,
    };

    constructor(name: string, driver: BrowserDriver<B, C, P, R>, settings: BrowserAdapterSettings<B>) {
        this.name = name;
        this.driver = driver;
        this.#settings = settings;
    }

    /** The browser in use, if one is up. */
    get browser(): B | undefined {
        return this.#generation?.browser;
    }

    /** The context pool of the current browser, if one is up. */
    get contextPool(): BrowserContextPool<B, C, P> | undefined {
        return this.#generation?.pool;
    }

    stats(): BrowserAdapterStats {
        const totals: PoolCounters = { ...this.#pastPools };
        const pools = [...this.#drainingPools];
        if (this.#generation) pools.push(this.#generation.pool);
        let anonymizedProxiesOpen = 0;
        for (const pool of pools) {
            const stats = pool.stats();
            totals.contextsCreated += stats.contextsCreated;
            totals.contextsClosed += stats.contextsClosed;
            totals.contextsEvicted += stats.contextsEvicted;
            anonymizedProxiesOpen += stats.anonymizedProxiesOpen;
        }
        const current = this.#generation?.pool.stats();
        return {
            ...this.#counters,
            openPages: this.#openPages,
            openContexts: current?.openContexts ?? 0,
            ...totals,
            anonymizedProxiesOpen,
            contextPool: current,
        };
    }

    /**
     * Stage "prepare": opens the attempt's page in the session's context (created on first use with the
     * session's proxy), so navigation hooks already have `page`. The attempt holds the context until cleanup.
     */
    async prepare(context: BrowserCrawlingContext<C, P, R>): Promise<void> {
        if (this.#attempts.has(context)) return;
        const generation = await this.#currentGeneration();
        const { session } = context;
        // Without a session, or when the session keeps no cookies, every attempt starts from an empty context
        // (with the session's proxy): a context kept per session would carry cookies from one request to the next.
        const ephemeral = session === undefined || !this.#settings.persistCookiesPerSession;
        const key = ephemeral ? `request-${(this.#ephemeralSeq += 1)}` : session.id;
        const use = generation.pool.use(key, context.proxyInfo?.url);
        let browserContext: C;
        let page: P;
        try {
            browserContext = await use.context;
            const kept = this.#keptPages.get(browserContext as object);
            if (kept !== undefined) {
                this.#keptPages.delete(browserContext as object);
                if (!this.driver.isPageClosed(kept)) {
                    this.#counters.pagesReused += 1;
                    this.#adoptPage(context, { generation, key, ephemeral, use, context: browserContext, page: kept, reusable: false });
                    return;
                }
            }
            const opening = this.driver.newPage(browserContext);
            page = await withTimeout(opening, this.#settings.navigationTimeoutMs, () => {
                opening.then((late) => this.driver.closePage(late)).catch(() => undefined);
                return new Error(
                    `Opening a page for ${context.request.url} took more than navigationTimeoutSecs=${this.#settings.navigationTimeoutMs / 1000}: the browser is hung or overloaded.`,
                );
            });
        } catch (error) {
            await use.release();
            if (ephemeral) await generation.pool.closeContext(key).catch(() => false);
            throw await this.#explain(error, generation, `opening a page for ${context.request.url}`);
        }
        this.#counters.pagesOpened += 1;
        this.#adoptPage(context, { generation, key, ephemeral, use, context: browserContext, page, reusable: false });
    }

    #adoptPage(context: BrowserCrawlingContext<C, P, R>, attempt: Attempt<B, C, P>): void {
        const { page } = attempt;
        this.#openPages += 1;
        this.#pageUses.set(page as object, (this.#pageUses.get(page as object) ?? 0) + 1);
        this.#attempts.set(context, attempt);
        context.page = page;
        context.browserContext = attempt.context;
        context.enqueueLinks = async (options = {}) => {
            const hrefs = await this.driver.linkHrefs(page, linkSelector(options));
            return context.addRequests(linkRequests(hrefs, context.navigation?.url ?? context.request.url, options));
        };
    }

    /** Stage "apply": the session's cookies into its context, before navigation. Only differences are pushed. */
    async applySession(context: BrowserCrawlingContext<C, P, R>): Promise<void> {
        const { session } = context;
        if (!session || !this.#settings.persistCookiesPerSession) return;
        const attempt = await this.#attemptOf(context);
        const tracker = this.#trackerOf(attempt.context);
        const plan = tracker.planPush(session.getAllCookies() as SessionCookieLike[]);
        try {
            if (plan.remove.length > 0) {
                await this.driver.deleteCookies(attempt.context, plan.remove);
                tracker.markRemoved(plan.remove);
                this.#counters.cookiesRemoved += plan.remove.length;
            }
            if (plan.set.length > 0) await this.#pushCookies(attempt.context, plan.set, tracker, session.id);
        } catch (error) {
            throw await this.#explain(error, attempt.generation, `setting the cookies of session ${session.id}`);
        }
    }

    /** Stage "navigate": loads the request in the session's context. The browser keeps every hop's Set-Cookie. */
    async navigate(context: BrowserCrawlingContext<C, P, R>): Promise<NavigationResult> {
        const attempt = await this.#attemptOf(context);
        const { request } = context;
        try {
            const { response, navigation } = await this.driver.navigate(attempt.page, request, { timeoutMs: this.#settings.navigationTimeoutMs });
            context.response = response;
            attempt.reusable = request.method === 'GET' && request.payload === undefined && Object.keys(request.headers).length === 0;
            return navigation;
        } catch (error) {
            const explained = await this.#explain(error, attempt.generation, `loading ${request.url}`);
            if (explained !== error) throw explained;
            throw new NavigationError(request.method, request.url, context.proxyInfo?.url, explained);
        }
    }

    /**
     * Stage "save cookies", after the handler (so cookies set by page scripts or the handler count) and after
     * errors: the context's changes into the session; cookies the browser deleted are expired there too.
     */
    async saveCookies(context: BrowserCrawlingContext<C, P, R>): Promise<void> {
        const { session } = context;
        if (!session || !this.#settings.persistCookiesPerSession) return;
        const attempt = this.#attempts.get(context);
        if (!attempt || this.driver.isContextClosed(attempt.context)) return;
        let cookies: BrowserCookie[];
        try {
            cookies = await this.driver.getCookies(attempt.context);
        } catch (error) {
            throw await this.#explain(error, attempt.generation, `reading the cookies of session ${session.id}`);
        }
        const { changed, deleted } = this.#trackerOf(attempt.context).pull(cookies);
        // Deletions first: a cookie that changed from host-only to domain (same name, host and path) is one
        // cookie for the session jar, and must end up with the new value, not expired.
        for (const gone of deleted) {
            if (session.setCookies([gone], cookieStorageUrl({ ...gone, secure: true })) > 0) this.#counters.cookiesDeleted += 1;
        }
        for (const cookie of changed) {
            if (session.setCookies([cookie], cookieStorageUrl(cookie)) > 0) this.#counters.cookiesSaved += 1;
        }
    }

    /** A browser that died under the handler is nobody's fault, whatever the handler's error says. */
    async classifyError(error: Error, context: BrowserCrawlingContext<C, P, R>, stage: AttemptStage): Promise<Blame | undefined> {
        if (stage !== 'handler') return undefined;
        const attempt = this.#attempts.get(context);
        if (!attempt) return undefined;
        const explained = await this.#explain(error, attempt.generation, 'running the request handler');
        return explained === error ? undefined : 'none';
    }

    /** Always at the end of an attempt: closes the page, lets go of the context (closing a retired session's). */
    async cleanup(context: BrowserCrawlingContext<C, P, R>): Promise<void> {
        const attempt = this.#attempts.get(context);
        if (!attempt) return;
        this.#attempts.delete(context);
        const { page, generation } = attempt;
        this.#openPages -= 1;
        const keep =
            this.#settings.reusePages &&
            attempt.reusable &&
            !attempt.ephemeral &&
            !this.#keptPages.has(attempt.context as object) &&
            (this.#pageUses.get(page as object) ?? 0) < MAX_PAGE_REUSES &&
            !this.driver.isPageClosed(page) &&
            this.driver.isConnected(generation.browser) &&
            !this.driver.isContextClosed(attempt.context);
        if (keep) {
            // Closed with its context (eviction, retirement, crash) if no request of the session comes first.
            this.#keptPages.set(attempt.context as object, page);
        } else {
            try {
                if (!this.driver.isPageClosed(page) && this.driver.isConnected(generation.browser)) {
                    await withTimeout(this.driver.closePage(page), CLOSE_TIMEOUT_MS, () => new Error('closing the page timed out'));
                }
            } catch (error) {
                this.log?.debug(`Closing the page of ${context.request.url} failed: ${(error as Error).message}`);
            }
            this.#counters.pagesClosed += 1;
        }
        await attempt.use.release();
        if (attempt.ephemeral) await generation.pool.closeContext(attempt.key).catch(() => false);
    }

    /** A session left the pool: close its context (and local proxy) once the attempts using it are done. */
    async onSessionRetired(session: Session): Promise<void> {
        const generation = this.#generation;
        if (!generation) return;
        if (await generation.pool.retire(session.id).catch(() => false)) this.#counters.retiredSessionContextsClosed += 1;
    }

    /** The crawl is over: closes every context, and the browser if the crawler launched it. The next run relaunches. */
    async dispose(): Promise<void> {
        this.#epoch += 1;
        const launching = this.#launching;
        this.#launching = undefined;
        if (launching) await launching.catch(() => undefined);
        const generation = this.#generation;
        this.#generation = undefined;
        this.#openPages = 0;
        if (generation) await this.#closeGeneration(generation);
        await Promise.all([...this.#drainingPools].map((pool) => pool.closeAll()));
    }

    // ------------------------------------------------------------------ cookies

    async #pushCookies(context: C, cookies: BrowserCookie[], tracker: CookieSyncTracker, sessionId: string): Promise<void> {
        const gone = () => this.driver.isContextClosed(context);
        const { accepted, rejected } = await pushCookies((batch) => this.driver.setCookies(context, batch), cookies, gone);
        tracker.markPushed(accepted);
        this.#counters.cookiesPushed += accepted.length;
        this.#counters.cookiesRejected += rejected.length;
        for (const { cookie, error } of rejected) {
            this.log?.debug(`The browser refused cookie "${cookie.name}" (${cookie.domain}) of session ${sessionId}: ${error.message}`);
        }
    }

    #trackerOf(context: C): CookieSyncTracker {
        const key = context as object;
        let tracker = this.#trackers.get(key);
        if (!tracker) {
            tracker = new CookieSyncTracker();
            this.#trackers.set(key, tracker);
        }
        return tracker;
    }

    // ------------------------------------------------------------------ browser

    async #currentGeneration(): Promise<Generation<B, C, P>> {
        const generation = this.#generation;
        if (generation && this.driver.isConnected(generation.browser)) return generation;
        if (generation) this.#onDisconnected(generation);
        const { browser } = this.#settings;
        if (browser !== undefined) {
            if (!this.driver.isConnected(browser)) {
                throw new NonRetryableError(
                    `The browser given in the "browser" option is closed or crashed; ${this.name} does not relaunch a browser it did not launch. ` +
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

    async #launch(): Promise<Generation<B, C, P>> {
        const epoch = this.#epoch;
        let browser: B;
        try {
            browser = await this.driver.launch();
        } catch (error) {
            // No browser to launch: retrying cannot help.
            if (error instanceof ChromiumNotFoundError || error instanceof InvalidChromiumPathError) {
                throw new NonRetryableError(error.message, { cause: error });
            }
            throw error;
        }
        this.#counters.browserLaunches += 1;
        if (epoch !== this.#epoch) {
            await this.driver.closeBrowser(browser).catch(() => undefined);
            throw new Error('The crawl ended while the browser was being launched.');
        }
        return this.#adopt(browser, true);
    }

    #adopt(browser: B, owned: boolean): Generation<B, C, P> {
        const pool = new BrowserContextPool<B, C, P>(this.driver as BrowserDriver<B, C, P, unknown>, browser, {
            maxOpenContexts: this.#settings.maxOpenContexts,
            // Attempts hold uses; a context with only a kept page is idle and may be evicted (its page with it).
            busyWithOpenPages: false,
            name: `${this.name} context pool`,
        });
        const generation: Generation<B, C, P> = {
            browser,
            pool,
            owned,
            closing: false,
            unsubscribe: this.driver.onDisconnected(browser, () => this.#onDisconnected(generation)),
        };
        this.#generation = generation;
        return generation;
    }

    /** The browser went away. Forget it: the next attempt launches a new one (with a new context pool). */
    #onDisconnected(generation: Generation<B, C, P>): void {
        generation.unsubscribe();
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
        // Make sure no half-dead Chromium stays behind.
        if (generation.owned) this.driver.killBrowser(generation.browser);
        this.#drain(generation.pool);
    }

    #drain(pool: BrowserContextPool<B, C, P>): void {
        this.#drainingPools.add(pool);
        void pool
            .closeAll()
            .catch(() => undefined)
            .finally(() => {
                if (!this.#drainingPools.delete(pool)) return;
                this.#addPastCounters(pool.stats());
            });
    }

    #addPastCounters(stats: PoolCounters): void {
        this.#pastPools.contextsCreated += stats.contextsCreated;
        this.#pastPools.contextsClosed += stats.contextsClosed;
        this.#pastPools.contextsEvicted += stats.contextsEvicted;
    }

    async #closeGeneration(generation: Generation<B, C, P>): Promise<void> {
        generation.closing = true;
        generation.unsubscribe();
        // close(), not closeAll(): a browser we were given outlives this run and must not keep our listeners.
        await generation.pool.close().catch(() => undefined);
        this.#addPastCounters(generation.pool.stats());
        if (!generation.owned || !this.driver.isConnected(generation.browser)) return;
        try {
            await withTimeout(this.driver.closeBrowser(generation.browser), CLOSE_TIMEOUT_MS, () => new Error('closing the browser timed out'));
        } catch (error) {
            this.log?.debug(`Closing the browser failed (${(error as Error).message}); killing it.`);
            this.driver.killBrowser(generation.browser);
        }
    }

    async #attemptOf(context: BrowserCrawlingContext<C, P, R>): Promise<Attempt<B, C, P>> {
        let attempt = this.#attempts.get(context);
        if (!attempt) {
            await this.prepare(context);
            attempt = this.#attempts.get(context)!;
        }
        return attempt;
    }

    /**
     * A failure because the browser died becomes a BrowserDisconnectedError that says what happens next.
     * Driver calls can fail ("Target closed") a moment before the disconnect is noticed, so for such errors
     * this waits briefly for it.
     */
    async #explain(error: unknown, generation: Generation<B, C, P>, doing: string): Promise<Error> {
        const cause = error instanceof Error ? error : new Error(String(error));
        if (this.driver.isConnected(generation.browser) && !(cause instanceof BrowserDisconnectedError)) {
            if (!DISCONNECT_SYMPTOM.test(cause.message)) return cause;
            await this.#waitForDisconnect(generation.browser, DISCONNECT_GRACE_MS);
            if (this.driver.isConnected(generation.browser)) return cause;
        }
        if (!generation.owned) {
            return new NonRetryableError(`The browser given in the "browser" option disconnected while ${doing}: ${cause.message}`, { cause });
        }
        return new BrowserDisconnectedError(
            `Chromium crashed or was closed while ${doing} (${cause.message}). The request will be retried in a newly launched browser.`,
            { cause },
        );
    }

    /** Resolves once the browser disconnects, or after `millis`. */
    #waitForDisconnect(browser: B, millis: number): Promise<void> {
        if (!this.driver.isConnected(browser)) return Promise.resolve();
        return new Promise<void>((resolve) => {
            let unsubscribe: () => void = () => undefined;
            const done = () => {
                clearTimeout(timer);
                unsubscribe();
                resolve();
            };
            const timer = setTimeout(done, millis);
            timer.unref?.();
            unsubscribe = this.driver.onDisconnected(browser, done);
        });
    }
}
