import {
    BrowserContextPool,
    type BrowserContextInfo,
    type BrowserContextPoolOptions,
    type BrowserContextPoolStats,
} from '@sessionkit/browser';
import type { Browser, BrowserContext, Page } from 'puppeteer-core';

import { puppeteerDriver } from './driver.js';

export { withTimeout } from '@sessionkit/browser';
export type SessionContextPoolOptions = Omit<BrowserContextPoolOptions, 'name'>;
export type SessionContextPoolStats = BrowserContextPoolStats;
export type SessionContextInfo = BrowserContextInfo;

/**
 * One incognito `BrowserContext` per session id in a puppeteer `Browser`, each with the session's proxy: the
 * browser layer's BrowserContextPool on the puppeteer driver.
 */
export class SessionContextPool extends BrowserContextPool<Browser, BrowserContext, Page> {
    constructor(browser: Browser, options: SessionContextPoolOptions = {}) {
        super(puppeteerDriver(), browser, { ...options, name: 'SessionContextPool' });
    }
}
