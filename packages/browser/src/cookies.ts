import { isIP } from 'node:net';

/**
 * A cookie in the shape Chromium speaks over CDP and Playwright's `addCookies`/`cookies()` use: a leading dot
 * in `domain` makes a domain cookie (sent to subdomains), a bare host a host-only cookie; `expires` is Unix
 * seconds, -1 for a session cookie.
 */
export interface BrowserCookie {
    name: string;
    value: string;
    domain: string;
    path: string;
    expires: number;
    httpOnly: boolean;
    secure: boolean;
    sameSite?: 'Strict' | 'Lax' | 'None';
    /** Partitioned (CHIPS) cookies cannot be expressed in a session jar: they are never synced. */
    partitioned?: boolean;
}

/**
 * A cookie as a session hands it out (`session.getAllCookies()`): domain cookies as '.example.com' (or a bare
 * domain with `hostOnly: false`), host-only cookies as a bare host (with `hostOnly: true` or no flag).
 */
export interface SessionCookieLike {
    name: string;
    value: string;
    domain: string;
    path: string;
    expires?: number;
    httpOnly: boolean;
    secure: boolean;
    sameSite?: 'Strict' | 'Lax' | 'None';
    hostOnly?: boolean;
}

/** A browser cookie in the session format, ready for `session.setCookies([cookie], cookieStorageUrl(cookie))`. */
export interface SessionCookieRecord extends SessionCookieLike {
    hostOnly: boolean;
}

function stripBrackets(host: string): string {
    return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function isIpHost(host: string): boolean {
    return isIP(stripBrackets(host)) !== 0;
}

/** Lower-cased, no leading dots, no brackets around IPv6 literals. */
export function bareHost(domain: string): string {
    return stripBrackets(domain.trim().replace(/^\.+/, '').toLowerCase());
}

/** The form Chromium reports a host in: IPv6 literals in brackets. */
function chromiumHost(domain: string): string {
    const bare = bareHost(domain);
    return isIP(bare) === 6 ? `[${bare}]` : bare;
}

/** Whether a session cookie is host-only: a leading dot says no, else its flag, else yes; IP hosts always are. */
export function isHostOnly(cookie: Pick<SessionCookieLike, 'domain' | 'hostOnly'>): boolean {
    if (isIpHost(bareHost(cookie.domain))) return true;
    if (cookie.domain.trimStart().startsWith('.')) return false;
    return cookie.hostOnly ?? true;
}

/**
 * Session cookie → browser cookie. `SameSite=None` without `Secure` would be silently dropped by Chromium,
 * so such a cookie goes without `sameSite` (the browser's default) rather than being lost.
 */
export function toBrowserCookie(cookie: SessionCookieLike): BrowserCookie {
    const host = chromiumHost(cookie.domain);
    const result: BrowserCookie = {
        name: cookie.name,
        value: cookie.value,
        domain: isHostOnly(cookie) ? host : `.${host}`,
        path: cookie.path.startsWith('/') ? cookie.path : '/',
        expires: typeof cookie.expires === 'number' && Number.isFinite(cookie.expires) && cookie.expires >= 0 ? cookie.expires : -1,
        httpOnly: cookie.httpOnly,
        secure: cookie.secure,
    };
    if (cookie.sameSite !== undefined && (cookie.sameSite !== 'None' || cookie.secure)) result.sameSite = cookie.sameSite;
    return result;
}

/** Browser cookie → session format: leading dot = domain cookie ('.example.com'), none = host-only. */
export function fromBrowserCookie(cookie: BrowserCookie): SessionCookieRecord {
    const hostOnly = !cookie.domain.startsWith('.') || isIpHost(bareHost(cookie.domain));
    const host = chromiumHost(cookie.domain);
    const result: SessionCookieRecord = {
        name: cookie.name,
        value: cookie.value,
        domain: hostOnly ? host : `.${host}`,
        path: cookie.path || '/',
        httpOnly: cookie.httpOnly,
        secure: cookie.secure,
        hostOnly,
    };
    if (cookie.expires >= 0) result.expires = cookie.expires;
    if (cookie.sameSite === 'Strict' || cookie.sameSite === 'Lax' || cookie.sameSite === 'None') result.sameSite = cookie.sameSite;
    return result;
}

/**
 * Converts cookies read from a browser context (every domain's). Partitioned cookies are skipped. With
 * `url`, keeps only cookies whose domain and path match it (the `Secure` flag is not a filter).
 */
export function fromBrowserCookies(cookies: readonly BrowserCookie[], url?: string | URL): SessionCookieRecord[] {
    const converted = cookies.filter((cookie) => cookie.partitioned !== true).map(fromBrowserCookie);
    return url === undefined ? converted : converted.filter((cookie) => cookieMatchesUrl(cookie, url));
}

/**
 * The URL a cookie is stored under in a session jar: its own host (so a host-only cookie stays on that host
 * and a domain cookie domain-matches), its path, and https for Secure cookies (a jar drops a Secure cookie
 * "received" over http).
 */
export function cookieStorageUrl(cookie: Pick<SessionCookieLike, 'domain' | 'path' | 'secure'>): string {
    const host = bareHost(cookie.domain);
    const hostPart = host.includes(':') ? `[${host}]` : host;
    return `${cookie.secure ? 'https' : 'http'}://${hostPart}${cookie.path.startsWith('/') ? cookie.path : '/'}`;
}

/** RFC 6265 §5.1.3 domain-match; host-only cookies match only their exact host. */
export function domainMatches(host: string, cookieDomain: string, hostOnly: boolean): boolean {
    const h = bareHost(host);
    const d = bareHost(cookieDomain);
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
export function cookieMatchesUrl(cookie: Pick<SessionCookieLike, 'domain' | 'path' | 'hostOnly'>, url: string | URL): boolean {
    const parsed = typeof url === 'string' ? new URL(url) : url;
    return domainMatches(parsed.hostname, cookie.domain, isHostOnly(cookie)) && pathMatches(parsed.pathname, cookie.path);
}
