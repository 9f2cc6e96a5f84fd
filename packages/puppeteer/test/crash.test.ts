import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser } from 'puppeteer-core';

import {
    BrowserDisconnectedError,
    ContextCreateTimeoutError,
    SessionContextPool,
    launchBrowser,
} from '@sessionkit/puppeteer';

import { type TestProxy, startProxy, waitFor } from './helpers.js';

let authProxy: TestProxy;
const browsers: Browser[] = [];

async function launch(): Promise<Browser> {
    const browser = await launchBrowser();
    browsers.push(browser);
    return browser;
}

beforeAll(async () => {
    authProxy = await startProxy('127.0.0.4', { username: 'u', password: 'p' });
});

afterAll(async () => {
    for (const browser of browsers) {
        const proc = browser.process();
        if (proc?.exitCode === null && proc.signalCode === null) proc.kill('SIGCONT');
        await browser.close().catch(() => undefined);
    }
    await authProxy?.close();
});

describe('SessionContextPool when the browser goes away', () => {
    it('gives a clear BrowserDisconnectedError after a crash (SIGKILL) and releases anonymized proxies', async () => {
        const browser = await launch();
        const pool = new SessionContextPool(browser);
        await pool.getContext('a', authProxy.url);
        expect(pool.stats().anonymizedProxiesOpen).toBe(1);

        browser.process()!.kill('SIGKILL');
        await waitFor(() => !browser.connected);

        const started = Date.now();
        const attempt = pool.getContext('b');
        await expect(attempt).rejects.toThrow(BrowserDisconnectedError);
        await expect(attempt).rejects.toThrow(/closed or crashed.*Launch a new browser/);
        await expect(attempt).rejects.toMatchObject({ code: 'ERR_BROWSER_DISCONNECTED' });
        expect(Date.now() - started).toBeLessThan(1_000);
        // Also for the session that had a context.
        await expect(pool.getContext('a', authProxy.url)).rejects.toThrow(BrowserDisconnectedError);
        await waitFor(() => pool.stats().anonymizedProxiesOpen === 0);
        expect(pool.size).toBe(0);
        await pool.closeAll();
    });

    it('gives BrowserDisconnectedError after browser.close()', async () => {
        const browser = await launch();
        const pool = new SessionContextPool(browser);
        const context = await pool.getContext('a', authProxy.url);
        await browser.close();
        await expect(pool.getContext('a', authProxy.url)).rejects.toThrow(BrowserDisconnectedError);
        await expect(pool.getContext('c')).rejects.toThrow(BrowserDisconnectedError);
        await expect(pool.newPage('c')).rejects.toThrow(BrowserDisconnectedError);
        await waitFor(() => pool.stats().anonymizedProxiesOpen === 0);
        expect(context.browser().connected).toBe(false);
        await pool.closeAll();
    });

    it('rejects a creation that is in flight when the browser dies (not a hang)', async () => {
        const browser = await launch();
        const pool = new SessionContextPool(browser, { contextTimeoutMillis: 10_000 });
        const proc = browser.process()!;
        proc.kill('SIGSTOP'); // keeps Target.createBrowserContext unanswered
        const inFlight = pool.getContext('b', authProxy.url);
        await waitFor(() => pool.stats().anonymizedProxiesOpen === 1);
        const started = Date.now();
        proc.kill('SIGKILL');
        await expect(inFlight).rejects.toThrow(BrowserDisconnectedError);
        expect(Date.now() - started).toBeLessThan(2_000);
        expect(pool.stats()).toMatchObject({ anonymizedProxiesOpen: 0, creationFailures: 1, openContexts: 0 });
    });

    it('times out instead of hanging when the browser stops answering (SIGSTOP)', async () => {
        const browser = await launch();
        const pool = new SessionContextPool(browser, { contextTimeoutMillis: 1_000 });
        await pool.getContext('before');
        const proc = browser.process()!;
        proc.kill('SIGSTOP');
        try {
            const started = Date.now();
            const attempt = pool.getContext('hung', authProxy.url);
            await expect(attempt).rejects.toThrow(ContextCreateTimeoutError);
            await expect(attempt).rejects.toThrow(/contextTimeoutMillis=1000/);
            expect(Date.now() - started).toBeLessThan(3_000);
            expect(pool.has('hung')).toBe(false);
            expect(pool.stats()).toMatchObject({ creationFailures: 1, anonymizedProxiesOpen: 0 });
            // Closing is bounded too.
            const closing = Date.now();
            await pool.closeAll();
            expect(Date.now() - closing).toBeLessThan(3_000);
        } finally {
            proc.kill('SIGCONT');
        }
    });
});
