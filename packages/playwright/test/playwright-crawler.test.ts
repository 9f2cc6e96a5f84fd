import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { InvalidOptionError } from '@sessionkit/core';
import { InvalidChromiumPathError, PlaywrightCrawler, type PlaywrightCrawlerOptions } from '@sessionkit/playwright';
import { type Browser, chromium } from 'playwright-core';

// What the conformance suite (conformance.test.ts) does not cover: the Playwright-specific surface.

interface Hit {
    method: string;
    path: string;
    body: string;
    xTest: string;
}

let server: http.Server;
let origin: string;
const hits: Hit[] = [];
let sharedBrowser: Browser;

beforeAll(async () => {
    server = http.createServer(async (req, res) => {
        let body = '';
        for await (const chunk of req) body += String(chunk);
        const url = new URL(req.url ?? '/', 'http://x');
        if (url.pathname === '/favicon.ico') {
            res.statusCode = 404;
            res.end();
            return;
        }
        hits.push({ method: req.method ?? '', path: url.pathname, body, xTest: String(req.headers['x-test'] ?? '') });
        res.setHeader('content-type', 'text/html');
        const links =
            url.pathname === '/links'
                ? '<a href="/a">a</a><a href="/b#frag">b</a><a href="http://other.test/c">c</a><a href="mailto:x@y">m</a><span class="js"></span>' +
                  '<script>const a = document.createElement("a"); a.href = "/from-script"; document.body.append(a);</script>'
                : '';
        res.end(`<!doctype html><html><head><title>${url.pathname}</title><link rel="icon" href="data:,"></head><body>${links}</body></html>`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    sharedBrowser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
});

afterAll(async () => {
    await sharedBrowser?.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
});

const quiet = { statusIntervalSecs: 0, logLevel: 'off' } as const;

function crawler(options: Partial<PlaywrightCrawlerOptions>): PlaywrightCrawler {
    return new PlaywrightCrawler({ ...quiet, browser: sharedBrowser, sessionPoolOptions: { persist: false }, requestHandler: () => {}, ...options });
}

describe('PlaywrightCrawler', () => {
    it('gives the handler page, response and enqueueLinks (links as rendered, same origin, no fragments)', async () => {
        const titles: string[] = [];
        const c = crawler({
            maxConcurrency: 1,
            requestHandler: async ({ page, response, request, enqueueLinks }) => {
                titles.push(await page.title());
                expect(response!.status()).toBe(200);
                if (request.url.endsWith('/links')) await enqueueLinks({ label: 'detail' });
            },
        });
        const stats = await c.run([`${origin}/links`]);
        expect(stats.requestsFinished).toBe(4);
        expect(titles.sort()).toEqual(['/a', '/b', '/from-script', '/links']);
    });

    it('sends the request method, payload and headers on the first navigation', async () => {
        const c = crawler({ requestHandler: () => {} });
        await c.run([{ url: `${origin}/post`, method: 'POST', payload: 'x=1', headers: { 'x-test': 'yes' } }]);
        expect(hits.filter((hit) => hit.path === '/post')).toEqual([{ method: 'POST', path: '/post', body: 'x=1', xTest: 'yes' }]);
    });

    it('bounds open contexts to maxOpenContexts, closing idle ones least recently used first', async () => {
        let maxOpen = 0;
        const c = crawler({
            maxConcurrency: 2,
            maxOpenContexts: 2,
            sessionPoolOptions: { persist: false, maxPoolSize: 6, sessionOptions: { maxUsageCount: 1 } },
            requestHandler: () => {
                maxOpen = Math.max(maxOpen, c.getBrowserStats().openContexts);
            },
        });
        await c.run(Array.from({ length: 8 }, (_, i) => `${origin}/bounded-${i}`));
        expect(maxOpen).toBeLessThanOrEqual(2);
        expect(c.getBrowserStats()).toMatchObject({ openContexts: 0, openPages: 0 });
        expect(c.getBrowserStats().contextsCreated).toBeGreaterThan(2);
        // A browser that was given is left open, with none of our contexts in it.
        expect(sharedBrowser.isConnected()).toBe(true);
        expect(sharedBrowser.contexts()).toHaveLength(0);
    });

    it('works without sessions: a fresh context per request', async () => {
        const c = crawler({ useSessionPool: false, sessionPoolOptions: undefined, maxConcurrency: 2 } as Partial<PlaywrightCrawlerOptions>);
        const stats = await c.run([`${origin}/nosession-1`, `${origin}/nosession-2`]);
        expect(stats.requestsFinished).toBe(2);
        expect(c.getBrowserStats()).toMatchObject({ contextsCreated: 2, contextsClosed: 2 });
    });

    it('fails before crawling, with the install hint, when no Chromium can be found', async () => {
        const c = new PlaywrightCrawler({ ...quiet, launchOptions: { executablePath: '/nonexistent/chromium' }, requestHandler: () => {} });
        await expect(c.run([`${origin}/never`])).rejects.toThrow(InvalidChromiumPathError);
        await expect(c.run([`${origin}/never`])).rejects.toThrow(/apt-get install -y chromium/);
        expect(hits.some((hit) => hit.path === '/never')).toBe(false);
    });

    it('rejects options it cannot honour, naming them', () => {
        expect(() => crawler({ gotoOptions: { waitUntil: 'networkidle0' as 'load' } })).toThrow(/gotoOptions.waitUntil.*load, domcontentloaded, networkidle, commit/);
        expect(() => crawler({ gotoOptions: { timeout: 5 } as never })).toThrow(/use navigationTimeoutSecs/);
        expect(() => crawler({ launchOptions: {} })).toThrow(/either browser or launchOptions/);
        expect(() => crawler({ browser: {} as Browser })).toThrow(InvalidOptionError);
        expect(() => crawler({ maxOpenContexts: 0 })).toThrow(/maxOpenContexts/);
    });
});
