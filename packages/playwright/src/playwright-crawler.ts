import {
    BrowserCrawler,
    type BrowserCrawlerOptions,
    type BrowserCrawlingContext,
    resolveChromiumExecutable,
    validateBrowserCrawlerOptions,
} from '@sessionkit/browser';
import type { Browser, BrowserContext, LaunchOptions, Page, Response } from 'playwright-core';

import { type PlaywrightGotoOptions, playwrightDriver } from './driver.js';

/** What a PlaywrightCrawler handler gets: `page`, `browserContext` (the session's), `response`, `enqueueLinks`. */
export type PlaywrightCrawlingContext = BrowserCrawlingContext<BrowserContext, Page, Response>;

export interface PlaywrightCrawlerOptions extends BrowserCrawlerOptions<PlaywrightCrawlingContext, Browser> {
    /** playwright `LaunchOptions` for Chromium: `executablePath` (else CHROME_PATH, PUPPETEER_EXECUTABLE_PATH, system paths), `headless`, `args`… */
    launchOptions?: LaunchOptions;
    /** Default `{ waitUntil: 'domcontentloaded' }`. */
    gotoOptions?: PlaywrightGotoOptions;
}

/**
 * Crawls with Chromium through playwright-core: one `BrowserContext` per session with the session's proxy and
 * cookies, the same blame rules, crash recovery and bounded contexts as every sessionkit browser crawler.
 */
export class PlaywrightCrawler extends BrowserCrawler<Browser, BrowserContext, Page, Response> {
    constructor(options: PlaywrightCrawlerOptions, name = 'PlaywrightCrawler') {
        validateBrowserCrawlerOptions(options, {
            lifecycleEvents: ['load', 'domcontentloaded', 'networkidle', 'commit'],
            waitUntilArray: false,
            gotoKeys: new Set(['waitUntil', 'referer']),
            browserMethods: ['newContext', 'close'],
            browserHint: 'a playwright-core Browser (from chromium.launch() or chromium.connectOverCDP())',
        });
        const { launchOptions, gotoOptions } = options;
        super(options, {
            name,
            driver: playwrightDriver({ ...(launchOptions ? { launchOptions } : {}), ...(gotoOptions ? { gotoOptions } : {}) }),
            optionKeys: ['launchOptions', 'gotoOptions'],
            preflight: () => void resolveChromiumExecutable(launchOptions?.executablePath),
        });
    }
}
