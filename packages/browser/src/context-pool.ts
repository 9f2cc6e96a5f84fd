import { BrowserDisconnectedError, ContextCreateTimeoutError, ContextPoolClosedError, ContextProxyMismatchError } from './errors.js';
import { ProxyAnonymizer, chromiumProxyRoute, redactProxy } from './proxy.js';
import { type SessionResourceUse, SessionResourcePool } from './session-resource-pool.js';
import type { BrowserDriver } from './spi.js';
import { withTimeout } from './timeout.js';

export interface BrowserContextPoolOptions {
    /**
     * Bound on open contexts (default 20). When a new context would exceed it, the least-recently-used idle
     * contexts (no attempt using them, no open pages) are closed first. If none is idle the new one is created
     * anyway (counted in `stats().overLimitCreations`) and the pool shrinks back when they become idle.
     */
    maxOpenContexts?: number;
    /**
     * `proxyBypassList` of proxied contexts. Default `['<-loopback>']`: Chromium otherwise sends requests to
     * localhost/127.0.0.0/8/[::1] directly, ignoring the context's proxy (the launch flag
     * `--proxy-bypass-list` does NOT apply to per-context proxies).
     */
    proxyBypassList?: string[];
    /** Limit for creating or closing one context (anonymizing its proxy included). Default 15 000 ms. */
    contextTimeoutMillis?: number;
    /** Named in errors. */
    name?: string;
    /**
     * Whether a context with open pages counts as busy (never evicted), besides the uses held by `use()`.
     * Default true, for callers that open pages themselves (`newPage`); an owner that holds a use per attempt
     * and keeps idle pages around passes false.
     */
    busyWithOpenPages?: boolean;
}

export interface BrowserContextPoolStats {
    /** Contexts created and not closed (includes ones over the bound). */
    openContexts: number;
    /** Contexts being created right now. */
    pendingContexts: number;
    contextsCreated: number;
    contextsClosed: number;
    /** Of `contextsClosed`, how many were closed by the LRU bound. */
    contextsEvicted: number;
    creationFailures: number;
    /** Local proxy-chain servers (from `anonymizeProxy`) currently open, one per proxy with credentials. */
    anonymizedProxiesOpen: number;
    anonymizedProxiesOpened: number;
    /** Times a context was created over `maxOpenContexts` because all others were busy. */
    overLimitCreations: number;
}

/** What the pool knows about one session's context. */
export interface BrowserContextInfo {
    sessionId: string;
    /** The session's proxy URL, password redacted; `undefined` = no proxy. */
    proxyUrl: string | undefined;
    /** What the browser was given as `proxyServer` (the local anonymized URL for proxies with credentials). */
    proxyServer: string | undefined;
    anonymized: boolean;
    ready: boolean;
}

interface ContextResource<C> {
    readonly context: C;
    readonly proxyServer: string | undefined;
    /** The upstream proxy URL whose local anonymized server this context holds. */
    readonly anonymizedUpstream: string | undefined;
}

/** A session's context held by one attempt. */
export interface BrowserContextUse<C> {
    readonly context: Promise<C>;
    release(): Promise<void>;
}

/**
 * One isolated browser context per session id, with the session's proxy, in one browser: cookies, storage
 * and cache never mix between sessions. Bounded with LRU eviction of idle contexts; proxies with credentials
 * go through one local anonymizing proxy per upstream. When the browser goes away every context is
 * forgotten and further calls throw {@link BrowserDisconnectedError}.
 */
export class BrowserContextPool<B, C, P> {
    readonly browser: B;
    readonly maxOpenContexts: number;
    readonly proxyBypassList: readonly string[];
    readonly contextTimeoutMillis: number;
    readonly name: string;
    readonly #driver: BrowserDriver<B, C, P, unknown>;
    readonly #resources: SessionResourcePool<ContextResource<C>, string | undefined>;
    readonly #anonymizer: ProxyAnonymizer;
    readonly #unsubscribe: Array<() => void> = [];
    #disconnected = false;
    #closed = false;

    constructor(driver: BrowserDriver<B, C, P, unknown>, browser: B, options: BrowserContextPoolOptions = {}) {
        const { maxOpenContexts = 20, proxyBypassList = ['<-loopback>'], contextTimeoutMillis = 15_000, name = 'BrowserContextPool', busyWithOpenPages = true } = options;
        if (!Number.isInteger(maxOpenContexts) || maxOpenContexts < 1) {
            throw new RangeError(`${name} option maxOpenContexts must be an integer >= 1, got ${String(maxOpenContexts)}.`);
        }
        if (!Number.isFinite(contextTimeoutMillis) || contextTimeoutMillis <= 0) {
            throw new RangeError(`${name} option contextTimeoutMillis must be a positive number of milliseconds, got ${String(contextTimeoutMillis)}.`);
        }
        this.browser = browser;
        this.maxOpenContexts = maxOpenContexts;
        this.proxyBypassList = [...proxyBypassList];
        this.contextTimeoutMillis = contextTimeoutMillis;
        this.name = name;
        this.#driver = driver;
        this.#anonymizer = new ProxyAnonymizer(contextTimeoutMillis);
        this.#resources = new SessionResourcePool({
            name,
            maxOpen: maxOpenContexts,
            create: (sessionId, proxyUrl) => this.#create(sessionId, proxyUrl),
            close: (resource) => this.#closeResource(resource),
            inUse: (resource) => busyWithOpenPages && driver.hasOpenPages(resource.context),
            isStale: (resource) => driver.isContextClosed(resource.context),
        });
        this.#unsubscribe.push(driver.onDisconnected(browser, this.#onDisconnected));
        if (driver.onPageClosed) {
            this.#unsubscribe.push(
                driver.onPageClosed(browser, () => {
                    if (this.#resources.size > this.maxOpenContexts) void this.#resources.trim();
                }),
            );
        }
    }

    /** Number of sessions with a context (ready or being created). */
    get size(): number {
        return this.#resources.size;
    }

    /** Session ids with a context, least recently used first. */
    sessionIds(): string[] {
        return this.#resources.keys();
    }

    has(sessionId: string): boolean {
        return this.#resources.has(sessionId);
    }

    info(sessionId: string): BrowserContextInfo | undefined {
        if (!this.#resources.has(sessionId)) return undefined;
        const proxyUrl = this.#resources.argsOf(sessionId);
        const resource = this.#resources.peek(sessionId);
        return {
            sessionId,
            proxyUrl: proxyUrl === undefined ? undefined : redactProxy(proxyUrl),
            proxyServer: resource?.proxyServer,
            anonymized: resource?.anonymizedUpstream !== undefined,
            ready: resource !== undefined,
        };
    }

    stats(): BrowserContextPoolStats {
        const resources = this.#resources.stats();
        return {
            openContexts: resources.open,
            pendingContexts: resources.pending,
            contextsCreated: resources.created,
            contextsClosed: resources.closed,
            contextsEvicted: resources.evicted,
            creationFailures: resources.creationFailures,
            overLimitCreations: resources.overLimitCreations,
            ...this.#anonymizer.stats(),
        };
    }

    /**
     * The session's context, created on first use with `proxyUrl` (none = direct). Concurrent calls for one id
     * share one creation. A session's proxy is fixed for the context's lifetime: another `proxyUrl` throws
     * {@link ContextProxyMismatchError}. Holds no use: between this and opening a page the context may be
     * evicted; prefer {@link use} or {@link newPage}.
     */
    async getContext(sessionId: string, proxyUrl?: string): Promise<C> {
        return (await this.#get(sessionId, proxyUrl, false).resource).context;
    }

    /** The session's context held until `release()`: never evicted meanwhile; a retirement waits for it. */
    use(sessionId: string, proxyUrl?: string): BrowserContextUse<C> {
        const use = this.#get(sessionId, proxyUrl, true);
        return { context: use.resource.then((resource) => resource.context), release: use.release };
    }

    /** Opens a page in the session's context; the context cannot be evicted while this is in flight. */
    async newPage(sessionId: string, proxyUrl?: string): Promise<P> {
        const use = this.#get(sessionId, proxyUrl, true);
        try {
            const { context } = await use.resource;
            return await this.#driver.newPage(context);
        } finally {
            await use.release();
        }
    }

    /** The session left: close its context now, or once the attempts using it are done. */
    retire(sessionId: string): Promise<boolean> {
        return this.#resources.retire(sessionId);
    }

    /** Closes the session's context (and lets go of its anonymized proxy) now. Idempotent; `false` if there was none. */
    closeContext(sessionId: string): Promise<boolean> {
        return this.#resources.delete(sessionId);
    }

    /** Closes every context (waits for contexts being created). The pool stays usable. */
    closeAll(): Promise<void> {
        return this.#resources.closeAll();
    }

    /**
     * Closes every context and detaches from the browser's events, for a browser that outlives the pool.
     * The pool cannot be used afterwards; the browser is not closed. Idempotent.
     */
    async close(): Promise<void> {
        if (!this.#closed) {
            this.#closed = true;
            for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
        }
        await this.#resources.closeAll();
    }

    #get(sessionId: string, proxyUrl: string | undefined, hold: boolean): SessionResourceUse<ContextResource<C>> {
        if (typeof sessionId !== 'string' || sessionId === '') {
            throw new TypeError(`${this.name}: sessionId must be a non-empty string, got ${JSON.stringify(sessionId)}.`);
        }
        this.#assertConnected(sessionId);
        const proxy = proxyUrl === undefined || proxyUrl === '' ? undefined : proxyUrl;
        if (this.#resources.has(sessionId)) {
            const current = this.#resources.argsOf(sessionId);
            if (current !== proxy) {
                throw new ContextProxyMismatchError(
                    `Session "${sessionId}" already has a browser context with proxy ` +
                        `${current === undefined ? '(none)' : redactProxy(current)}, requested ` +
                        `${proxy === undefined ? '(none)' : redactProxy(proxy)}. A context's proxy cannot change: ` +
                        `call closeContext("${sessionId}") first.`,
                );
            }
        } else if (proxy !== undefined) {
            chromiumProxyRoute(proxy, `session "${sessionId}"`); // Fails before anything is registered.
        }
        if (hold) return this.#resources.use(sessionId, proxy);
        return { resource: this.#resources.get(sessionId, proxy), release: async () => undefined };
    }

    #assertConnected(sessionId: string): void {
        if (this.#closed) {
            throw new ContextPoolClosedError(
                `Cannot get a browser context for session "${sessionId}": this ${this.name} was closed (close()). Create a new one.`,
            );
        }
        if (this.#disconnected || !this.#driver.isConnected(this.browser)) {
            throw new BrowserDisconnectedError(
                `Cannot get a browser context for session "${sessionId}": the browser is closed or crashed ` +
                    `(disconnected). Launch a new browser and create a new ${this.name} for it.`,
            );
        }
    }

    async #create(sessionId: string, proxyUrl: string | undefined): Promise<ContextResource<C>> {
        let anonymizedUpstream: string | undefined;
        try {
            let proxyServer = proxyUrl === undefined ? undefined : chromiumProxyRoute(proxyUrl, `session "${sessionId}"`).directServer;
            if (proxyUrl !== undefined && proxyServer === undefined) {
                anonymizedUpstream = proxyUrl;
                proxyServer = await this.#anonymizer.acquire(proxyUrl, `session "${sessionId}"`);
            }
            const creation = this.#driver.newContext(
                this.browser,
                proxyServer === undefined ? {} : { proxyServer, proxyBypassList: this.proxyBypassList },
            );
            const context = await withTimeout(creation, this.contextTimeoutMillis, () => {
                // If it finishes later, do not leak it.
                creation.then((late) => this.#driver.closeContext(late)).catch(() => undefined);
                return new ContextCreateTimeoutError(
                    `Creating the browser context for session "${sessionId}" took more than ` +
                        `contextTimeoutMillis=${this.contextTimeoutMillis} ms: the browser is hung or overloaded.`,
                );
            });
            if (this.#disconnected) {
                // The browser died while this was in flight: the pool was reset and will not close it.
                await this.#driver.closeContext(context).catch(() => undefined);
                throw new Error('browser disconnected');
            }
            return { context, proxyServer, anonymizedUpstream };
        } catch (error) {
            if (anonymizedUpstream !== undefined) await this.#anonymizer.release(anonymizedUpstream);
            if (this.#disconnected || !this.#driver.isConnected(this.browser)) {
                throw new BrowserDisconnectedError(
                    `Cannot create a browser context for session "${sessionId}": the browser is closed or crashed ` +
                        `(disconnected). Launch a new browser and create a new ${this.name} for it.`,
                    { cause: error },
                );
            }
            throw error;
        }
    }

    async #closeResource(resource: ContextResource<C>): Promise<void> {
        try {
            if (!this.#driver.isContextClosed(resource.context) && !this.#disconnected && this.#driver.isConnected(this.browser)) {
                await withTimeout(this.#driver.closeContext(resource.context), this.contextTimeoutMillis, () => new Error('close timeout'));
            }
        } finally {
            if (resource.anonymizedUpstream !== undefined) await this.#anonymizer.release(resource.anonymizedUpstream);
        }
    }

    readonly #onDisconnected = (): void => {
        this.#disconnected = true;
        for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
        this.#resources.reset();
    };
}
