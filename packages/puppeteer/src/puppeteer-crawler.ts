import { InvalidOptionError, checkBoolean, checkKnownKeys, checkObject, checkString } from '@sessionkit/core';
import { BrowserCrawler, type BrowserAdapterStats, type BrowserCrawlerOptions, type BrowserCrawlingContext, resolveChromiumExecutable } from '@sessionkit/browser';
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

const GOTO_OPTION_KEYS: ReadonlySet<string> = new Set(['waitUntil', 'referer', 'referrerPolicy']);
const LIFECYCLE_EVENTS: readonly string[] = ['load', 'domcontentloaded', 'networkidle0', 'networkidle2'];

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

// ---------------------------------------------------------------------- options

function validatePuppeteerOptions(options: PuppeteerCrawlerOptions): void {
    checkObject('(crawler options)', options);
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
