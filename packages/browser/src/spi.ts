import type { NavigationResult, Request } from '@sessionkit/crawler';

import type { BrowserCookie } from './cookies.js';

export type { BrowserCookie } from './cookies.js';

/**
 * What the browser layer needs from a browser automation library: everything else (one context per
 * session, cookie sync, crash recovery, bounds, proxies) is written once on top of it. `B`, `C`, `P`, `R` are
 * the library's browser, context, page and response types. See docs/adapters.md, "Browser adapters".
 */
export interface BrowserDriver<B, C, P, R> {
    /** Shown in logs ("Chromium (puppeteer)"). */
    readonly name: string;
    /** Launches a browser (executable resolved, flags built: see `resolveChromiumExecutable`, `buildChromiumArgs`). */
    launch(): Promise<B>;
    isConnected(browser: B): boolean;
    /** Calls `listener` once the browser is gone (closed, crashed, killed). Returns the unsubscribe function. */
    onDisconnected(browser: B, listener: () => void): () => void;
    /** Optional: calls `listener` when any page of the browser closes (lets the context bound shrink back sooner). */
    onPageClosed?(browser: B, listener: () => void): () => void;
    closeBrowser(browser: B): Promise<void>;
    /** Kills the browser process, if this driver launched one (no-op otherwise). */
    killBrowser(browser: B): void;
    /** A new isolated context (own cookies, storage, cache), with a proxy when `proxyServer` is given. */
    newContext(browser: B, options: BrowserContextOptions): Promise<C>;
    closeContext(context: C): Promise<void>;
    isContextClosed(context: C): boolean;
    hasOpenPages(context: C): boolean;
    newPage(context: C): Promise<P>;
    closePage(page: P): Promise<void>;
    isPageClosed(page: P): boolean;
    /** Every cookie of the context (every domain), partitioned ones flagged `partitioned`. */
    getCookies(context: C): Promise<BrowserCookie[]>;
    /** Sets cookies in one call. May reject the whole batch because of one invalid cookie. */
    setCookies(context: C, cookies: readonly BrowserCookie[]): Promise<void>;
    /** Deletes cookies by name, domain (leading dot = domain cookie) and path. */
    deleteCookies(context: C, cookies: readonly BrowserCookie[]): Promise<void>;
    /**
     * Loads `request` (its method, payload and headers) in `page` within `timeoutMs`; rejects when the page
     * crashes. Returns the main response (`null` for a same-document navigation) and what it said.
     */
    navigate(page: P, request: Request, options: { timeoutMs: number }): Promise<DriverNavigation<R>>;
    /** The `href` attribute of every element matching `selector` in the page (for `enqueueLinks`). */
    linkHrefs(page: P, selector: string): Promise<Array<string | null>>;
}

export interface BrowserContextOptions {
    /** `scheme://host:port` without credentials (the layer anonymizes proxies with credentials). */
    proxyServer?: string;
    /** Hosts that skip the proxy; default `['<-loopback>']`, so loopback targets go through the proxy too. */
    proxyBypassList?: readonly string[];
}

export interface DriverNavigation<R> {
    response: R | null;
    navigation: NavigationResult;
}
