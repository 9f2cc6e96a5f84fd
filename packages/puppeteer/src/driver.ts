import { type BrowserCookie, type BrowserDriver, type DriverNavigation } from '@sessionkit/browser/spi';
import type { Request } from '@sessionkit/crawler';
import type { Browser, BrowserContext, Cookie, CookieData, GoToOptions, HTTPRequest, HTTPResponse, LaunchOptions, Page, PuppeteerLifeCycleEvent, Target } from 'puppeteer-core';

import { launchBrowser } from './launch.js';

/** `page.goto()` options applied to every navigation (the timeout comes from `navigationTimeoutSecs`). */
export interface PuppeteerGotoOptions {
    /** Default 'domcontentloaded'. */
    waitUntil?: PuppeteerLifeCycleEvent | PuppeteerLifeCycleEvent[];
    referer?: string;
    referrerPolicy?: string;
}

/** A puppeteer cookie (`context.cookies()`) in the browser layer's shape. */
export function fromCdpCookie(cookie: Cookie): BrowserCookie {
    const result: BrowserCookie = {
        name: cookie.name,
        value: cookie.value,
        domain: cookie.domain,
        path: cookie.path,
        expires: cookie.session || cookie.expires < 0 ? -1 : cookie.expires,
        httpOnly: cookie.httpOnly ?? false,
        secure: cookie.secure,
    };
    if (cookie.sameSite === 'Strict' || cookie.sameSite === 'Lax' || cookie.sameSite === 'None') result.sameSite = cookie.sameSite;
    if (cookie.partitionKey !== undefined) result.partitioned = true;
    return result;
}

/** A browser-layer cookie as puppeteer's `CookieData` (no `expires` for a session cookie). */
export function toCdpCookie(cookie: BrowserCookie): CookieData {
    const data: CookieData = {
        name: cookie.name,
        value: cookie.value,
        domain: cookie.domain,
        path: cookie.path,
        httpOnly: cookie.httpOnly,
        secure: cookie.secure,
    };
    if (cookie.expires >= 0) data.expires = cookie.expires;
    if (cookie.sameSite !== undefined) data.sameSite = cookie.sameSite;
    return data;
}

/** The browser layer's driver for puppeteer-core. */
export function puppeteerDriver(options: { launchOptions?: LaunchOptions; gotoOptions?: PuppeteerGotoOptions } = {}): BrowserDriver<Browser, BrowserContext, Page, HTTPResponse> {
    const gotoOptions: PuppeteerGotoOptions = { waitUntil: 'domcontentloaded', ...options.gotoOptions };
    return {
        name: 'puppeteer',
        launch: () => launchBrowser(options.launchOptions ? { launchOptions: options.launchOptions } : {}),
        isConnected: (browser) => browser.connected,
        onDisconnected(browser, listener) {
            // on + off rather than once: puppeteer's off() cannot remove a once() listener.
            const handler = () => listener();
            browser.on('disconnected', handler);
            return () => browser.off('disconnected', handler);
        },
        onPageClosed(browser, listener) {
            const handler = (target: Target) => {
                if (target.type() === 'page') listener();
            };
            browser.on('targetdestroyed', handler);
            return () => browser.off('targetdestroyed', handler);
        },
        closeBrowser: (browser) => browser.close(),
        killBrowser: (browser) => void browser.process()?.kill('SIGKILL'),
        newContext: (browser, { proxyServer, proxyBypassList }) =>
            browser.createBrowserContext(proxyServer === undefined ? {} : { proxyServer, proxyBypassList: [...(proxyBypassList ?? ['<-loopback>'])] }),
        closeContext: (context) => context.close(),
        isContextClosed: (context) => context.closed,
        hasOpenPages: (context) => context.targets().some((target) => target.type() === 'page'),
        newPage: (context) => context.newPage(),
        closePage: (page) => page.close(),
        isPageClosed: (page) => page.isClosed(),
        getCookies: async (context) => (await context.cookies()).map(fromCdpCookie),
        setCookies: (context, cookies) => context.setCookie(...cookies.map(toCdpCookie)),
        deleteCookies: (context, cookies) =>
            context.deleteMatchingCookies(...cookies.map((cookie) => ({ name: cookie.name, domain: cookie.domain, path: cookie.path }))),
        linkHrefs: (page, selector) => page.$$eval(selector, (elements) => elements.map((element) => element.getAttribute('href'))),
        async navigate(page, request, { timeoutMs }): Promise<DriverNavigation<HTTPResponse>> {
            if (Object.keys(request.headers).length > 0) await page.setExtraHTTPHeaders(request.headers);
            if (request.method !== 'GET' || request.payload !== undefined) await interceptFirstNavigation(page, request);
            const response = await untilPageCrash(page, page.goto(request.url, { ...gotoOptions, timeout: timeoutMs } as GoToOptions));
            if (response === null) return { response, navigation: { statusCode: 200, headers: {}, url: page.url() } };
            return { response, navigation: { statusCode: response.status(), headers: response.headers(), url: page.url() } };
        },
    };
}

/** Rejects when the page crashes (out of memory, renderer killed) instead of waiting for the timeout. */
function untilPageCrash<T>(page: Page, promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
        const onError = (error: Error) => reject(new Error(`The page crashed: ${error.message}`, { cause: error }));
        page.once('error', onError);
        promise.then(
            (value) => {
                page.off('error', onError);
                resolve(value);
            },
            (error: unknown) => {
                page.off('error', onError);
                reject(error);
            },
        );
    });
}

/** `page.goto` can only GET: the first navigation request is rewritten to the request's method and payload. */
async function interceptFirstNavigation(page: Page, request: Request): Promise<void> {
    let done = false;
    await page.setRequestInterception(true);
    page.on('request', (intercepted: HTTPRequest) => {
        if (intercepted.isInterceptResolutionHandled()) return;
        if (!done && intercepted.isNavigationRequest() && intercepted.frame() === page.mainFrame()) {
            done = true;
            const overrides: { method: string; postData?: string } = { method: request.method };
            if (request.payload !== undefined) overrides.postData = request.payload;
            void intercepted.continue(overrides).catch(() => undefined);
            return;
        }
        void intercepted.continue().catch(() => undefined);
    });
}
