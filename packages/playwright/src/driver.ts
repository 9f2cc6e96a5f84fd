import { type BrowserCookie, type BrowserDriver, buildChromiumArgs, resolveChromiumExecutable } from '@sessionkit/browser';
import { type Browser, type BrowserContext, type Cookie, type LaunchOptions, type Page, type Response, chromium } from 'playwright-core';

/** `page.goto()` options applied to every navigation (the timeout comes from `navigationTimeoutSecs`). */
export interface PlaywrightGotoOptions {
    /** Default 'domcontentloaded'. */
    waitUntil?: 'load' | 'domcontentloaded' | 'networkidle' | 'commit';
    referer?: string;
}

/** Playwright reads the same domain/expiry conventions as CDP; only partitioned cookies need a flag. */
function fromPlaywrightCookie({ partitionKey, ...cookie }: Cookie): BrowserCookie {
    return partitionKey === undefined ? cookie : { ...cookie, partitioned: true };
}

/** The browser layer's driver for playwright-core's Chromium. */
export function playwrightDriver(options: { launchOptions?: LaunchOptions; gotoOptions?: PlaywrightGotoOptions } = {}): BrowserDriver<Browser, BrowserContext, Page, Response> {
    const { launchOptions = {} } = options;
    const gotoOptions: PlaywrightGotoOptions = { waitUntil: 'domcontentloaded', ...options.gotoOptions };
    // Playwright has no `closed` on a context: remember the ones that closed.
    const closed = new WeakSet<BrowserContext>();
    return {
        name: 'playwright',
        launch: () =>
            chromium.launch({
                ...launchOptions,
                executablePath: resolveChromiumExecutable(launchOptions.executablePath),
                headless: launchOptions.headless ?? true,
                args: buildChromiumArgs(launchOptions.args),
            }),
        isConnected: (browser) => browser.isConnected(),
        onDisconnected(browser, listener) {
            const handler = () => listener();
            browser.on('disconnected', handler);
            return () => browser.off('disconnected', handler);
        },
        closeBrowser: (browser) => browser.close(),
        // Playwright exposes no process of a launched browser; close() ends it (or finds it gone).
        killBrowser: (browser) => void browser.close().catch(() => undefined),
        async newContext(browser, { proxyServer, proxyBypassList = [] }) {
            // Playwright adds <-loopback> to every proxied context itself.
            const bypass = proxyBypassList.filter((rule) => rule !== '<-loopback>').join(',');
            const context = await browser.newContext(proxyServer === undefined ? {} : { proxy: { server: proxyServer, ...(bypass ? { bypass } : {}) } });
            context.once('close', () => closed.add(context));
            return context;
        },
        closeContext: (context) => context.close(),
        isContextClosed: (context) => closed.has(context),
        hasOpenPages: (context) => context.pages().length > 0,
        newPage: (context) => context.newPage(),
        closePage: (page) => page.close(),
        isPageClosed: (page) => page.isClosed(),
        getCookies: async (context) => (await context.cookies()).map(fromPlaywrightCookie),
        setCookies: (context, cookies) => context.addCookies(cookies.map(({ partitioned: _, ...cookie }) => cookie)),
        async deleteCookies(context, cookies) {
            for (const { name, domain, path } of cookies) await context.clearCookies({ name, domain, path });
        },
        linkHrefs: (page, selector) => page.$$eval(selector, (elements) => elements.map((element) => element.getAttribute('href'))),
        async navigate(page, request, { timeoutMs }) {
            if (Object.keys(request.headers).length > 0) await page.setExtraHTTPHeaders(request.headers);
            if (request.method !== 'GET' || request.payload !== undefined) {
                // page.goto can only GET: the first main-frame navigation takes the request's method and payload.
                let done = false;
                await page.route('**/*', (route) => {
                    const intercepted = route.request();
                    if (!done && intercepted.isNavigationRequest() && intercepted.frame() === page.mainFrame()) {
                        done = true;
                        return route.continue({ method: request.method, ...(request.payload !== undefined ? { postData: request.payload } : {}) });
                    }
                    return route.continue();
                });
            }
            const response = await new Promise<Response | null>((resolve, reject) => {
                // A crashed renderer (out of memory, killed) fails now instead of at the timeout.
                const onCrash = () => reject(new Error('The page crashed'));
                page.once('crash', onCrash);
                page.goto(request.url, { ...gotoOptions, timeout: timeoutMs }).then(resolve, reject).finally(() => page.off('crash', onCrash));
            });
            const navigation = response === null ? { statusCode: 200, headers: {}, url: page.url() } : { statusCode: response.status(), headers: response.headers(), url: page.url() };
            return { response, navigation };
        },
    };
}
