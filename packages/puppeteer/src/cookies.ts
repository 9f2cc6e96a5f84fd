import { type SessionCookieLike, type SessionCookieRecord, fromBrowserCookie, fromBrowserCookies, pushCookies, toBrowserCookie } from '@sessionkit/browser';
import type { BrowserContext, Cookie, CookieData } from 'puppeteer-core';

import { fromCdpCookie, toCdpCookie } from './driver.js';

export { cookieMatchesUrl, domainMatches, pathMatches } from '@sessionkit/browser';

/** A cookie in the session format: '.example.com' (with `hostOnly: false`) for a domain cookie, a bare host for a host-only one. */
export type SessionCookieData = SessionCookieRecord;

/** One session cookie as puppeteer's `CookieData`: leading dot = domain cookie, bare host = host-only. */
export function toPuppeteerCookie(cookie: SessionCookieLike): CookieData {
    return toCdpCookie(toBrowserCookie(cookie));
}

/** {@link toPuppeteerCookie} over a list: `await context.setCookie(...toPuppeteerCookies(cookies))`. */
export function toPuppeteerCookies(cookies: readonly SessionCookieLike[]): CookieData[] {
    return cookies.map(toPuppeteerCookie);
}

/** One cookie read from `BrowserContext.cookies()`, in the session format. */
export function fromPuppeteerCookie(cookie: Cookie): SessionCookieData {
    return fromBrowserCookie(fromCdpCookie(cookie));
}

/** Cookies read from `BrowserContext.cookies()`; partitioned ones skipped; with `url`, only those matching it. */
export function fromPuppeteerCookies(cookies: readonly Cookie[], url?: string | URL): SessionCookieData[] {
    return fromBrowserCookies(cookies.map(fromCdpCookie), url);
}

export interface SetContextCookiesResult {
    /** Cookies Chromium accepted (it may still discard expired ones and treat them as deletions). */
    set: number;
    /** Cookies Chromium refused ("Invalid cookie fields": e.g. `;` in the value, `__Host-` without Secure). */
    rejected: Array<{ cookie: SessionCookieLike; error: Error }>;
}

/**
 * Sets session cookies on a browser context. Chromium rejects a whole batch when one cookie is invalid, so
 * on failure this retries cookie by cookie and reports the rejected ones. Errors of a closed context or
 * browser are rethrown.
 */
export async function setContextCookies(context: BrowserContext, cookies: readonly SessionCookieLike[]): Promise<SetContextCookiesResult> {
    const gone = () => context.closed || !context.browser().connected;
    const byConverted = new Map(cookies.map((cookie) => [toBrowserCookie(cookie), cookie] as const));
    const { accepted, rejected } = await pushCookies((batch) => context.setCookie(...batch.map(toCdpCookie)), [...byConverted.keys()], gone);
    return { set: accepted.length, rejected: rejected.map(({ cookie, error }) => ({ cookie: byConverted.get(cookie)!, error })) };
}

/** Reads a context's cookies in session format, optionally only those matching `url`. */
export async function getContextCookies(context: BrowserContext, url?: string | URL): Promise<SessionCookieData[]> {
    return fromPuppeteerCookies(await context.cookies(), url);
}
