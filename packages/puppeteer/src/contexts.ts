import { anonymizeProxy, closeAnonymizedProxy, redactUrl } from 'proxy-chain';
import type { Browser, BrowserContext, Page, Target } from 'puppeteer-core';

import {
    BrowserDisconnectedError,
    ContextCreateTimeoutError,
    ContextPoolClosedError,
    ContextProxyMismatchError,
    InvalidProxyUrlError,
} from './errors.js';

export interface SessionContextPoolOptions {
    /**
     * Bound on open contexts (default 20). When a new context would exceed it, the least-recently-used
     * contexts without open pages are closed first. If every context has open pages the new one is created
     * anyway (counted in `stats().overLimitCreations`) and the pool shrinks back when pages close.
     */
    maxOpenContexts?: number;
    /**
     * `proxyBypassList` of proxied contexts. Default `['<-loopback>']`: Chromium otherwise sends requests
     * to localhost/127.0.0.0/8/[::1] directly, ignoring the context's proxy (the launch flag
     * `--proxy-bypass-list` does NOT apply to per-context proxies).
     */
    proxyBypassList?: string[];
    /** Limit for creating or closing one context (CDP call; anonymizing a proxy included). Default 15 000 ms. */
    contextTimeoutMillis?: number;
}

export interface SessionContextPoolStats {
    /** Contexts created and not closed (includes ones over the bound). */
    openContexts: number;
    /** Contexts being created right now. */
    pendingContexts: number;
    contextsCreated: number;
    contextsClosed: number;
    /** Of `contextsClosed`, how many were closed by the LRU bound. */
    contextsEvicted: number;
    creationFailures: number;
    /** Local proxy-chain servers (from `anonymizeProxy`) currently open. */
    anonymizedProxiesOpen: number;
    anonymizedProxiesOpened: number;
    /** Times a context was created over `maxOpenContexts` because all others had open pages. */
    overLimitCreations: number;
}

/** What the pool knows about one session's context. */
export interface SessionContextInfo {
    sessionId: string;
    /** The session's proxy URL, password redacted; `undefined` = no proxy. */
    proxyUrl: string | undefined;
    /** What Chromium was given as `proxyServer` (the local anonymized URL for proxies with credentials). */
    proxyServer: string | undefined;
    anonymized: boolean;
    ready: boolean;
}

interface Entry {
    readonly sessionId: string;
    readonly proxyUrl: string | undefined;
    promise: Promise<BrowserContext>;
    context?: BrowserContext;
    proxyServer?: string;
    anonymizedProxyUrl?: string;
    /** `newPage()` calls in flight: such a context must not be evicted. */
    busy: number;
    disposal?: Promise<void>;
}

const DIRECT_PROXY_PROTOCOLS: Readonly<Record<string, string>> = {
    'http:': 'http:',
    'https:': 'https:',
    'socks:': 'socks5:',
    'socks5:': 'socks5:',
    'socks5h:': 'socks5:',
    'socks4:': 'socks4:',
    'socks4a:': 'socks4:',
};

function redact(url: string): string {
    try {
        return redactUrl(url);
    } catch {
        return url.replace(/\/\/[^@/]*@/, '//<redacted>@');
    }
}

/** Rejects with `onTimeout()` when `promise` takes longer than `millis`. */
export function withTimeout<T>(promise: Promise<T>, millis: number, onTimeout: () => Error): Promise<T> {
    return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => reject(onTimeout()), millis);
        timer.unref?.();
        promise.then(
            (value) => {
                clearTimeout(timer);
                resolve(value);
            },
            (error: unknown) => {
                clearTimeout(timer);
                reject(error);
            },
        );
    });
}

function isPageTarget(target: Target): boolean {
    return target.type() === 'page';
}

/**
 * Keeps one incognito `BrowserContext` per session id, so cookies, storage and cache never mix
 * between sessions, each with the session's proxy. Proxies with credentials go through proxy-chain's
 * `anonymizeProxy` (Chromium cannot take credentials in `proxyServer`); the local proxy is closed with
 * the context.
 */
export class SessionContextPool {
    readonly browser: Browser;
    readonly maxOpenContexts: number;
    readonly proxyBypassList: readonly string[];
    readonly contextTimeoutMillis: number;

    /** Map order = LRU order (oldest first). */
    readonly #entries = new Map<string, Entry>();
    readonly #disposals = new Set<Promise<void>>();
    #disconnected = false;
    #closed = false;
    readonly #stats = {
        contextsCreated: 0,
        contextsClosed: 0,
        contextsEvicted: 0,
        creationFailures: 0,
        anonymizedProxiesOpen: 0,
        anonymizedProxiesOpened: 0,
        overLimitCreations: 0,
    };

    constructor(browser: Browser, options: SessionContextPoolOptions = {}) {
        const { maxOpenContexts = 20, proxyBypassList = ['<-loopback>'], contextTimeoutMillis = 15_000 } = options;
        if (!Number.isInteger(maxOpenContexts) || maxOpenContexts < 1) {
            throw new RangeError(
                `SessionContextPool option maxOpenContexts must be an integer >= 1, got ${String(maxOpenContexts)}.`,
            );
        }
        if (!Number.isFinite(contextTimeoutMillis) || contextTimeoutMillis <= 0) {
            throw new RangeError(
                `SessionContextPool option contextTimeoutMillis must be a positive number of milliseconds, got ${String(contextTimeoutMillis)}.`,
            );
        }
        this.browser = browser;
        this.maxOpenContexts = maxOpenContexts;
        this.proxyBypassList = [...proxyBypassList];
        this.contextTimeoutMillis = contextTimeoutMillis;
        // on + off rather than once: puppeteer's off() cannot remove a once() listener (close() needs it).
        browser.on('disconnected', this.#onDisconnected);
        browser.on('targetdestroyed', this.#onTargetDestroyed);
    }

    /** Number of sessions with a context (ready or being created). */
    get size(): number {
        return this.#entries.size;
    }

    /** Session ids with a context, least recently used first. */
    sessionIds(): string[] {
        return [...this.#entries.keys()];
    }

    has(sessionId: string): boolean {
        return this.#entries.has(sessionId);
    }

    info(sessionId: string): SessionContextInfo | undefined {
        const entry = this.#entries.get(sessionId);
        if (entry === undefined) return undefined;
        return {
            sessionId,
            proxyUrl: entry.proxyUrl === undefined ? undefined : redact(entry.proxyUrl),
            proxyServer: entry.proxyServer,
            anonymized: entry.anonymizedProxyUrl !== undefined,
            ready: entry.context !== undefined,
        };
    }

    stats(): SessionContextPoolStats {
        let pending = 0;
        for (const entry of this.#entries.values()) if (entry.context === undefined) pending += 1;
        return {
            ...this.#stats,
            openContexts: this.#stats.contextsCreated - this.#stats.contextsClosed,
            pendingContexts: pending,
        };
    }

    /**
     * The session's context, created on first use with `proxyUrl` (none = direct, or the browser-level
     * `--proxy-server` if one was launched). Concurrent calls for one id share one creation. A session's
     * proxy is fixed for the context's lifetime: another `proxyUrl` throws {@link ContextProxyMismatchError}
     * (call {@link closeContext} first). A closed/crashed browser throws {@link BrowserDisconnectedError}.
     *
     * Prefer {@link newPage} when the next step is opening a page: between `getContext()` and
     * `context.newPage()` the context has no page and may be evicted by the LRU bound.
     */
    async getContext(sessionId: string, proxyUrl?: string): Promise<BrowserContext> {
        return this.#acquire(sessionId, proxyUrl).promise;
    }

    /** Opens a page in the session's context; the context cannot be evicted while this is in flight. */
    async newPage(sessionId: string, proxyUrl?: string): Promise<Page> {
        const entry = this.#acquire(sessionId, proxyUrl);
        entry.busy += 1;
        try {
            const context = await entry.promise;
            return await context.newPage();
        } finally {
            entry.busy -= 1;
        }
    }

    /** Closes the session's context (and its anonymized proxy). Idempotent; `false` if there was none. */
    async closeContext(sessionId: string): Promise<boolean> {
        const entry = this.#entries.get(sessionId);
        if (entry === undefined) return false;
        this.#entries.delete(sessionId);
        await this.#dispose(entry);
        return true;
    }

    /** Closes every context and anonymized proxy (waits for contexts being created). The pool stays usable. */
    async closeAll(): Promise<void> {
        const entries = [...this.#entries.values()];
        this.#entries.clear();
        await Promise.all(entries.map((entry) => this.#dispose(entry)));
        await Promise.all([...this.#disposals]);
    }

    /**
     * Closes every context (like {@link closeAll}) and detaches the pool from the browser's events, for a
     * browser that outlives the pool (one given to several crawlers or runs). The pool cannot be used
     * afterwards. The browser itself is not closed. Idempotent.
     */
    async close(): Promise<void> {
        if (!this.#closed) {
            this.#closed = true;
            this.browser.off('disconnected', this.#onDisconnected);
            this.browser.off('targetdestroyed', this.#onTargetDestroyed);
        }
        await this.closeAll();
    }

    /** Synchronously finds or registers the session's entry, so concurrent callers share it. */
    #acquire(sessionId: string, proxyUrl: string | undefined): Entry {
        if (typeof sessionId !== 'string' || sessionId === '') {
            throw new TypeError(`SessionContextPool: sessionId must be a non-empty string, got ${JSON.stringify(sessionId)}.`);
        }
        this.#assertConnected(sessionId);
        const proxy = proxyUrl === undefined || proxyUrl === '' ? undefined : proxyUrl;
        const existing = this.#entries.get(sessionId);
        if (existing !== undefined) {
            if (existing.proxyUrl !== proxy) {
                throw new ContextProxyMismatchError(
                    `Session "${sessionId}" already has a browser context with proxy ` +
                        `${existing.proxyUrl === undefined ? '(none)' : redact(existing.proxyUrl)}, requested ` +
                        `${proxy === undefined ? '(none)' : redact(proxy)}. A context's proxy cannot change: ` +
                        `call closeContext("${sessionId}") first.`,
                );
            }
            if (existing.context === undefined || !existing.context.closed) {
                this.#entries.delete(sessionId);
                this.#entries.set(sessionId, existing);
                return existing;
            }
            // Closed behind our back (context.close() by the caller): release its proxy, make a new one.
            this.#entries.delete(sessionId);
            void this.#dispose(existing);
        }
        const proxyServer = proxy === undefined ? undefined : this.#directProxyServer(sessionId, proxy);
        // Registered before #create runs, so #trim counts it and concurrent callers find it.
        const entry = { sessionId, proxyUrl: proxy, busy: 0 } as Entry;
        this.#entries.set(sessionId, entry);
        entry.promise = this.#create(entry, proxyServer);
        // Callers get the rejection; this only keeps a failed creation from being an unhandled rejection.
        entry.promise.catch(() => undefined);
        return entry;
    }

    #assertConnected(sessionId: string): void {
        if (this.#closed) {
            throw new ContextPoolClosedError(
                `Cannot get a browser context for session "${sessionId}": this SessionContextPool was closed (close()). Create a new one.`,
            );
        }
        if (this.#disconnected || !this.browser.connected) {
            throw new BrowserDisconnectedError(
                `Cannot get a browser context for session "${sessionId}": the browser is closed or crashed ` +
                    `(disconnected). Launch a new browser (launchBrowser()) and create a new SessionContextPool for it.`,
            );
        }
    }

    /**
     * Validates the proxy URL. Returns the `proxyServer` string for Chromium when it needs no
     * anonymizing (no credentials), `undefined` when it does.
     */
    #directProxyServer(sessionId: string, proxyUrl: string): string | undefined {
        let parsed: URL;
        try {
            parsed = new URL(proxyUrl);
        } catch {
            throw new InvalidProxyUrlError(
                `Proxy URL for session "${sessionId}" is not a valid URL: "${redact(proxyUrl)}". ` +
                    `Use e.g. http://host:port or http://user:password@host:port.`,
            );
        }
        const protocol = DIRECT_PROXY_PROTOCOLS[parsed.protocol];
        if (protocol === undefined || parsed.hostname === '') {
            throw new InvalidProxyUrlError(
                `Proxy URL for session "${sessionId}" is not usable by Chromium: "${redact(proxyUrl)}". ` +
                    `Use an http, https, socks4 or socks5 URL with a host, e.g. http://host:port.`,
            );
        }
        if (parsed.username !== '' || parsed.password !== '') return undefined;
        return `${protocol}//${parsed.host}`;
    }

    async #create(entry: Entry, directProxyServer: string | undefined): Promise<BrowserContext> {
        const { sessionId, proxyUrl } = entry;
        try {
            await this.#trim(entry);
            let proxyServer = directProxyServer;
            if (proxyUrl !== undefined && proxyServer === undefined) {
                const anonymizing = anonymizeProxy({ url: proxyUrl, port: 0 });
                const anonymized = await withTimeout(anonymizing, this.contextTimeoutMillis, () => {
                    anonymizing.then((late) => closeAnonymizedProxy(late, true)).catch(() => undefined);
                    return new ContextCreateTimeoutError(
                        `Anonymizing proxy ${redact(proxyUrl)} for session "${sessionId}" took more than ` +
                            `contextTimeoutMillis=${this.contextTimeoutMillis} ms.`,
                    );
                });
                entry.anonymizedProxyUrl = anonymized;
                this.#stats.anonymizedProxiesOpen += 1;
                this.#stats.anonymizedProxiesOpened += 1;
                proxyServer = anonymized;
            }
            entry.proxyServer = proxyServer;
            const creation = this.browser.createBrowserContext(
                proxyServer === undefined ? {} : { proxyServer, proxyBypassList: [...this.proxyBypassList] },
            );
            const context = await withTimeout(creation, this.contextTimeoutMillis, () => {
                // If it finishes later, do not leak it.
                creation.then((late) => late.close()).catch(() => undefined);
                return new ContextCreateTimeoutError(
                    `Creating the browser context for session "${sessionId}" took more than ` +
                        `contextTimeoutMillis=${this.contextTimeoutMillis} ms: the browser is hung or overloaded.`,
                );
            });
            entry.context = context;
            this.#stats.contextsCreated += 1;
            return context;
        } catch (error) {
            this.#stats.creationFailures += 1;
            if (this.#entries.get(sessionId) === entry) this.#entries.delete(sessionId);
            await this.#closeAnonymizedProxy(entry);
            if (this.#disconnected || !this.browser.connected) {
                throw new BrowserDisconnectedError(
                    `Cannot create a browser context for session "${sessionId}": the browser is closed or crashed ` +
                        `(disconnected). Launch a new browser (launchBrowser()) and create a new SessionContextPool for it.`,
                    { cause: error },
                );
            }
            throw error;
        }
    }

    /** Closes idle least-recently-used contexts until the pool is within `maxOpenContexts`. */
    async #trim(creating?: Entry): Promise<void> {
        const victims: Entry[] = [];
        let excess = this.#entries.size - this.maxOpenContexts;
        if (excess <= 0) return;
        for (const entry of this.#entries.values()) {
            if (excess <= 0) break;
            if (entry === creating || !this.#isIdle(entry)) continue;
            victims.push(entry);
            excess -= 1;
        }
        for (const victim of victims) this.#entries.delete(victim.sessionId);
        if (excess > 0 && creating !== undefined) this.#stats.overLimitCreations += 1;
        this.#stats.contextsEvicted += victims.length;
        await Promise.all(victims.map((victim) => this.#dispose(victim)));
    }

    #isIdle(entry: Entry): boolean {
        const { context } = entry;
        if (context === undefined || entry.busy > 0) return false;
        if (context.closed) return true;
        return !context.targets().some(isPageTarget);
    }

    #dispose(entry: Entry): Promise<void> {
        if (entry.disposal !== undefined) return entry.disposal;
        const disposal = (async () => {
            let context: BrowserContext;
            try {
                context = await entry.promise;
            } catch {
                return; // Creation failed and cleaned up after itself.
            }
            try {
                if (!context.closed && this.browser.connected) {
                    await withTimeout(context.close(), this.contextTimeoutMillis, () => new Error('close timeout'));
                }
            } catch {
                // Browser gone or hung: nothing more to release on its side.
            }
            this.#stats.contextsClosed += 1;
            await this.#closeAnonymizedProxy(entry);
        })();
        entry.disposal = disposal;
        this.#disposals.add(disposal);
        void disposal.finally(() => this.#disposals.delete(disposal));
        return disposal;
    }

    async #closeAnonymizedProxy(entry: Entry): Promise<void> {
        const url = entry.anonymizedProxyUrl;
        if (url === undefined) return;
        entry.anonymizedProxyUrl = undefined;
        this.#stats.anonymizedProxiesOpen -= 1;
        await closeAnonymizedProxy(url, true).catch(() => false);
    }

    readonly #onDisconnected = (): void => {
        this.#disconnected = true;
        this.browser.off('disconnected', this.#onDisconnected);
        this.browser.off('targetdestroyed', this.#onTargetDestroyed);
        const entries = [...this.#entries.values()];
        this.#entries.clear();
        for (const entry of entries) void this.#dispose(entry);
    };

    readonly #onTargetDestroyed = (target: Target): void => {
        if (this.#entries.size > this.maxOpenContexts && isPageTarget(target)) void this.#trim();
    };
}
