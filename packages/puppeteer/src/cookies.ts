import { isIP } from 'node:net';

import type { SessionCookie } from '@sessionkit/core';
import type { BrowserContext, Cookie, CookieData } from 'puppeteer-core';

/** A cookie as a sessionkit session stores it: `domain` without leading dot, `hostOnly` for exact-host cookies. */
export type SessionCookieData = SessionCookie;

function stripBrackets(host: string): string {
    return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function isIpHost(host: string): boolean {
    return isIP(stripBrackets(host)) !== 0;
}

/** Lower-cased, no leading dots, IPv6 literals in brackets (the form Chromium reports). */
function normalizeDomain(domain: string): string {
    const bare = domain.trim().replace(/^\.+/, '').toLowerCase();
    return isIP(bare) === 6 ? `[${bare}]` : bare;
}

/**
 * Converts one session cookie to puppeteer's `CookieData` for `BrowserContext.setCookie()`.
 *
 * Host-only semantics (verified against Chromium over CDP `Storage.setCookies`): a `domain` WITHOUT a
 * leading dot creates a host-only cookie, a leading dot creates a domain cookie. IP hosts are always
 * host-only. `SameSite=None` without `Secure` is dropped silently by Chromium, so such a cookie is set
 * without `sameSite` (Chromium's default) rather than lost.
 */
export function toPuppeteerCookie(cookie: SessionCookieData): CookieData {
    const domain = normalizeDomain(cookie.domain);
    const hostOnly = cookie.hostOnly || isIpHost(domain);
    const data: CookieData = {
        name: cookie.name,
        value: cookie.value,
        domain: hostOnly ? domain : `.${domain}`,
        path: cookie.path.startsWith('/') ? cookie.path : '/',
        httpOnly: cookie.httpOnly,
        secure: cookie.secure,
    };
    if (typeof cookie.expires === 'number' && Number.isFinite(cookie.expires)) data.expires = cookie.expires;
    if (cookie.sameSite !== undefined && (cookie.sameSite !== 'None' || cookie.secure)) data.sameSite = cookie.sameSite;
    return data;
}

/** {@link toPuppeteerCookie} over a list: `await context.setCookie(...toPuppeteerCookies(cookies))`. */
export function toPuppeteerCookies(cookies: readonly SessionCookieData[]): CookieData[] {
    return cookies.map(toPuppeteerCookie);
}

/** Converts one cookie read from `BrowserContext.cookies()`: leading dot = domain cookie, none = host-only. */
export function fromPuppeteerCookie(cookie: Cookie): SessionCookieData {
    const result: SessionCookieData = {
        name: cookie.name,
        value: cookie.value,
        domain: normalizeDomain(cookie.domain),
        path: cookie.path || '/',
        httpOnly: cookie.httpOnly ?? false,
        secure: cookie.secure,
        hostOnly: !cookie.domain.startsWith('.'),
    };
    if (!cookie.session && cookie.expires >= 0) result.expires = cookie.expires;
    if (cookie.sameSite === 'Strict' || cookie.sameSite === 'Lax' || cookie.sameSite === 'None') {
        result.sameSite = cookie.sameSite;
    }
    return result;
}

/**
 * Converts cookies read from `BrowserContext.cookies()` (which returns every domain's cookies).
 * With `url`, keeps only cookies whose domain and path match it ({@link cookieMatchesUrl}; the `Secure`
 * flag is not a filter). Partitioned (CHIPS) cookies are skipped: the session format cannot express them.
 */
export function fromPuppeteerCookies(cookies: readonly Cookie[], url?: string | URL): SessionCookieData[] {
    const converted = cookies.filter((cookie) => cookie.partitionKey === undefined).map(fromPuppeteerCookie);
    return url === undefined ? converted : converted.filter((cookie) => cookieMatchesUrl(cookie, url));
}

/** RFC 6265 §5.1.3 domain-match; host-only cookies match only their exact host. */
export function domainMatches(host: string, cookieDomain: string, hostOnly: boolean): boolean {
    const h = normalizeDomain(host);
    const d = normalizeDomain(cookieDomain);
    if (h === d) return true;
    if (hostOnly || isIpHost(h)) return false;
    return h.endsWith(`.${d}`);
}

/** RFC 6265 §5.1.4 path-match. */
export function pathMatches(requestPath: string, cookiePath: string): boolean {
    const path = requestPath.startsWith('/') ? requestPath : '/';
    if (path === cookiePath) return true;
    if (!path.startsWith(cookiePath)) return false;
    return cookiePath.endsWith('/') || path[cookiePath.length] === '/';
}

/** Whether a cookie belongs to `url` by domain and path (ignores `Secure`, expiry and SameSite). */
export function cookieMatchesUrl(
    cookie: Pick<SessionCookieData, 'domain' | 'path' | 'hostOnly'>,
    url: string | URL,
): boolean {
    const parsed = typeof url === 'string' ? new URL(url) : url;
    return domainMatches(parsed.hostname, cookie.domain, cookie.hostOnly) && pathMatches(parsed.pathname, cookie.path);
}

export interface SetContextCookiesResult {
    /** Cookies Chromium accepted (it may still discard expired ones and treat them as deletions). */
    set: number;
    /** Cookies Chromium refused ("Invalid cookie fields": e.g. `;` in the value, `__Host-` without Secure). */
    rejected: Array<{ cookie: SessionCookieData; error: Error }>;
}

/**
 * Sets session cookies on a browser context. Chromium rejects a whole `Storage.setCookies` batch when
 * one cookie is invalid, so on failure this retries cookie by cookie and reports the rejected ones
 * instead of losing the valid ones. Errors from a closed context or browser are rethrown.
 */
export async function setContextCookies(
    context: BrowserContext,
    cookies: readonly SessionCookieData[],
): Promise<SetContextCookiesResult> {
    if (cookies.length === 0) return { set: 0, rejected: [] };
    try {
        await context.setCookie(...toPuppeteerCookies(cookies));
        return { set: cookies.length, rejected: [] };
    } catch (error) {
        if (context.closed || !context.browser().connected) throw error;
    }
    const result: SetContextCookiesResult = { set: 0, rejected: [] };
    for (const cookie of cookies) {
        try {
            await context.setCookie(toPuppeteerCookie(cookie));
            result.set += 1;
        } catch (error) {
            if (context.closed || !context.browser().connected) throw error;
            result.rejected.push({ cookie, error: error instanceof Error ? error : new Error(String(error)) });
        }
    }
    return result;
}

/** Reads a context's cookies in session format, optionally only those matching `url`. */
export async function getContextCookies(context: BrowserContext, url?: string | URL): Promise<SessionCookieData[]> {
    return fromPuppeteerCookies(await context.cookies(), url);
}
