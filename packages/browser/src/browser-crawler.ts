import { checkBoolean, checkNumber } from '@sessionkit/core';
import { checkDurationSecs } from '@sessionkit/core/spi';
import { BasicCrawler, type BasicCrawlerOptions, type CrawlerAdapter, type CrawlerRunStatistics, type CrawlingContext, type RequestLike } from '@sessionkit/crawler';

import { BrowserAdapter, type BrowserAdapterStats, type BrowserCrawlingContext } from './browser-adapter.js';
import type { BrowserDriver } from './spi.js';

export interface BrowserCrawlerOptions<Context extends CrawlingContext, B> extends BasicCrawlerOptions<Context> {
    /** Timeout of one navigation (redirects included) and of opening a page. Default 30. */
    navigationTimeoutSecs?: number;
    /** Most contexts (one per session) kept open; idle ones are closed LRU first. Default maxConcurrency × 2 (20). */
    maxOpenContexts?: number;
    /** A browser to use instead of launching one. It is not closed when the crawl ends, nor relaunched if it dies. */
    browser?: B;
    /**
     * Keep a session's page open for its next request instead of opening a new one each time (opening a page
     * starts a renderer process: most of a small page's cost). Only a page that loaded a plain GET is kept;
     * it is recycled after 50 requests and closed with its context. What a hook or handler leaves on the page
     * (listeners, viewport) stays for the session's next request. Default true.
     */
    reusePages?: boolean;
}

/** Option keys every browser crawler adds to BasicCrawler's. */
export const BROWSER_CRAWLER_OPTION_KEYS = ['navigationTimeoutSecs', 'maxOpenContexts', 'browser', 'reusePages'] as const;

/** How a browser crawler class plugs a driver in. */
export interface BrowserCrawlerSetup<B, C, P, R> {
    /** Crawler name (logs, stats). */
    name: string;
    driver: BrowserDriver<B, C, P, R>;
    /** Driver-specific option keys (e.g. 'launchOptions', 'gotoOptions'). */
    optionKeys: readonly string[];
    /** Throws when no browser can be launched (ChromiumNotFoundError with the install hint); run before crawling. */
    preflight?(): void;
}

/**
 * A crawler on a browser driver: one isolated context per session with the session's proxy and cookies,
 * crash recovery, bounded contexts. PuppeteerCrawler and PlaywrightCrawler are this class with a driver.
 */
export class BrowserCrawler<B, C, P, R, Context extends BrowserCrawlingContext<C, P, R> = BrowserCrawlingContext<C, P, R>> extends BasicCrawler<Context> {
    /** The browser side (stats, current browser and context pool). */
    readonly browserAdapter: BrowserAdapter<B, C, P, R>;
    readonly #preflight: (() => void) | undefined;

    constructor(options: BrowserCrawlerOptions<Context, B>, setup: BrowserCrawlerSetup<B, C, P, R>) {
        checkDurationSecs('navigationTimeoutSecs', options.navigationTimeoutSecs);
        checkNumber('maxOpenContexts', options.maxOpenContexts, { min: 1, integer: true });
        checkBoolean('reusePages', options.reusePages);
        const maxConcurrency = options.maxConcurrency ?? 10;
        const adapter = new BrowserAdapter<B, C, P, R>(setup.name, setup.driver, {
            browser: options.browser,
            navigationTimeoutMs: (options.navigationTimeoutSecs ?? 30) * 1000,
            maxOpenContexts: options.maxOpenContexts ?? maxConcurrency * 2,
            persistCookiesPerSession: options.persistCookiesPerSession ?? true,
            reusePages: options.reusePages ?? true,
        });
        super(options, adapter as CrawlerAdapter<Context>, [
            ...BROWSER_CRAWLER_OPTION_KEYS,
            ...setup.optionKeys,
        ]);
        adapter.log = this.log.child('browser');
        this.browserAdapter = adapter;
        this.#preflight = options.browser === undefined ? setup.preflight : undefined;
        if (options.maxOpenContexts !== undefined && options.maxOpenContexts < maxConcurrency) {
            this.log.warning(
                `maxOpenContexts (${options.maxOpenContexts}) is below maxConcurrency (${maxConcurrency}): ` +
                    'busy contexts are never closed, so the bound will be exceeded.',
            );
        }
    }

    /** Fails at once (before crawling) with a message saying how to install Chromium when none is found. */
    override async run(requests?: Iterable<RequestLike>): Promise<CrawlerRunStatistics> {
        this.#preflight?.();
        return super.run(requests);
    }

    /** Counters of the browser side: launches, crashes, pages, contexts, cookie sync. */
    getBrowserStats(): BrowserAdapterStats {
        return this.browserAdapter.stats();
    }

    protected override extendContext(base: CrawlingContext): Context {
        const context = base as Context;
        context.response = null;
        return context;
    }
}
