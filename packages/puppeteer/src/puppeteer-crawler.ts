import {
    BrowserCrawler,
    type BrowserAdapterStats,
    type BrowserCrawlerOptions,
    type BrowserCrawlingContext,
    resolveChromiumExecutable,
    validateBrowserCrawlerOptions,
} from '@sessionkit/browser';
import type { Browser, BrowserContext, HTTPResponse, LaunchOptions, Page } from 'puppeteer-core';

import { type PuppeteerGotoOptions, puppeteerDriver } from './driver.js';

export type { PuppeteerGotoOptions } from './driver.js';

/**
 * What a PuppeteerCrawler handler (and its navigation hooks) receives: `page` (open before the pre-navigation
 * hooks, closed after the attempt), `browserContext` (the session's incognito context: its cookies, storage,
 * cache and proxy), `response` and `enqueueLinks`.
 */
export type PuppeteerCrawlingContext = BrowserCrawlingContext<BrowserContext, Page, HTTPResponse>;

/** Counters of the browser side of a crawl. */
export type PuppeteerAdapterStats = BrowserAdapterStats;

export interface PuppeteerCrawlerOptions extends BrowserCrawlerOptions<PuppeteerCrawlingContext, Browser> {
    /**
     * How to launch Chromium (puppeteer `LaunchOptions`): `executablePath` (else CHROME_PATH,
     * PUPPETEER_EXECUTABLE_PATH, system paths), `headless` (default true), `args` (merged over the default
     * flags), … Not allowed together with `browser`.
     */
    launchOptions?: LaunchOptions;
    /** Default `{ waitUntil: 'domcontentloaded' }`. */
    gotoOptions?: PuppeteerGotoOptions;
}

export const PUPPETEER_CRAWLER_OPTION_KEYS = ['launchOptions', 'navigationTimeoutSecs', 'gotoOptions', 'maxOpenContexts', 'browser'] as const;


/**
 * Crawls with headless Chromium (puppeteer-core) and sessions: each session gets its own incognito
 * context with the session's proxy, so cookies, storage and IP stay with the session that owns them.
 * Responses are judged like every sessionkit crawler (401/403 retire, 429 cools down).
 */
export class PuppeteerCrawler extends BrowserCrawler<Browser, BrowserContext, Page, HTTPResponse> {
    constructor(options: PuppeteerCrawlerOptions, name = 'PuppeteerCrawler') {
        validatePuppeteerOptions(options);
        const { launchOptions, gotoOptions } = options;
        super(options, {
            name,
            driver: puppeteerDriver({ ...(launchOptions ? { launchOptions } : {}), ...(gotoOptions ? { gotoOptions } : {}) }),
            optionKeys: ['launchOptions', 'gotoOptions'],
            preflight: () => void resolveChromiumExecutable(launchOptions?.executablePath),
        });
    }
}

function validatePuppeteerOptions(options: PuppeteerCrawlerOptions): void {
    validateBrowserCrawlerOptions(options, {
        lifecycleEvents: ['load', 'domcontentloaded', 'networkidle0', 'networkidle2'],
        waitUntilArray: true,
        gotoKeys: new Set(['waitUntil', 'referer', 'referrerPolicy']),
        browserMethods: ['createBrowserContext', 'close'],
        browserHint: 'a puppeteer-core Browser (from puppeteer.launch(), puppeteer.connect() or launchBrowser())',
    });
}
