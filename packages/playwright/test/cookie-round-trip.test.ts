import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type BrowserCookie, cookieStorageUrl, fromBrowserCookie, toBrowserCookie } from '@sessionkit/browser';
import { Session } from '@sessionkit/core';
import { playwrightDriver } from '@sessionkit/playwright';
import { randomBrowserCookies } from '@sessionkit/testing';
import type { Browser } from 'playwright-core';

// Property: generated cookies pushed from a session into Chromium and read back come out exactly as they went in.
let browser: Browser;
const driver = playwrightDriver();
beforeAll(async () => {
    browser = await driver.launch();
});
afterAll(async () => {
    await browser?.close();
});

const sorted = (cookies: BrowserCookie[]) =>
    cookies.map(({ partitioned: _, ...cookie }) => cookie).sort((x, y) => `${x.domain}\t${x.path}\t${x.name}`.localeCompare(`${y.domain}\t${y.path}\t${y.name}`));

describe('session → Chromium → session (Playwright driver)', () => {
    it.each([3, 17, 2026])('seed %i: host-only, domain, path, secure, httpOnly, sameSite and expiry survive exactly', async (seed) => {
        const generated = randomBrowserCookies(seed, 30);
        // Playwright reports a cookie set without SameSite as 'Lax' (Chromium's default): the only change allowed.
        const original = generated.map((cookie) => ({ sameSite: 'Lax' as const, ...cookie }));
        const session = new Session();
        for (const cookie of generated) session.setCookies([fromBrowserCookie(cookie)], cookieStorageUrl(fromBrowserCookie(cookie)));
        const context = await driver.newContext(browser, {});
        try {
            await driver.setCookies(context, session.getAllCookies().map((cookie) => toBrowserCookie(cookie)));
            const back = await driver.getCookies(context);
            expect(sorted(back)).toEqual(sorted(original));
            const again = new Session();
            for (const cookie of back) again.setCookies([fromBrowserCookie(cookie)], cookieStorageUrl(fromBrowserCookie(cookie)));
            expect(sorted(again.getAllCookies().map((cookie) => toBrowserCookie(cookie)))).toEqual(sorted(original));
        } finally {
            await driver.closeContext(context);
        }
    });
});
