import { Cookie, CookieJar, type SerializedCookieJar } from 'tough-cookie';

/**
 * A cookie as sessionkit hands it out: Crawlee's format, the shape browsers (CDP, Puppeteer, Playwright) use,
 * plus `hostOnly` spelled out.
 */
export interface SessionCookie {
    name: string;
    value: string;
    /** The bare host for a host-only cookie, the domain with a leading dot for a domain cookie ('.example.com'). */
    domain: string;
    path: string;
    /** Unix time in seconds (with the jar's millisecond precision); absent for a session cookie. */
    expires?: number;
    httpOnly: boolean;
    secure: boolean;
    sameSite?: 'Strict' | 'Lax' | 'None';
    /** True when the cookie was set without a Domain attribute: it is sent to that exact host only. */
    hostOnly: boolean;
}

/** A cookie given to sessionkit: only name and value are required; the rest defaults from the URL. */
export interface CookieInput {
    name: string;
    value: string;
    /**
     * '.example.com' (leading dot) makes a domain cookie, sent to subdomains too; 'example.com' (bare) a host-only
     * cookie, as in Crawlee and browsers. Absent: host-only for the URL's host. An explicit `hostOnly` wins over the dot.
     */
    domain?: string;
    path?: string;
    /** Unix seconds (as browsers report it), a Date, or an ISO string; -1 or absent = session cookie. */
    expires?: number | Date | string;
    httpOnly?: boolean;
    secure?: boolean;
    sameSite?: 'Strict' | 'Lax' | 'None' | 'strict' | 'lax' | 'none';
    hostOnly?: boolean;
}

/** What `setCookiesFromResponse` accepts: Node/got responses (headers object) or puppeteer responses (headers()). */
export type ResponseLike =
    | { headers: Record<string, string | string[] | number | undefined>; url?: string | (() => string) }
    | { headers: () => Record<string, string>; url?: string | (() => string) };

export const COOKIE_JAR_OPTIONS = { looseMode: true, rejectPublicSuffixes: true } as const;

export function createCookieJar(): CookieJar {
    return new CookieJar(undefined, COOKIE_JAR_OPTIONS);
}

export function deserializeCookieJar(serialized: SerializedCookieJar | string): CookieJar {
    return CookieJar.deserializeSync(serialized);
}

/** Set-Cookie header values from any supported response shape; puppeteer joins repeated headers with "\n". */
export function readSetCookieHeaders(response: ResponseLike): string[] {
    const headers = typeof response.headers === 'function' ? response.headers() : response.headers;
    if (!headers || typeof headers !== 'object') return [];
    const raw = (headers as Record<string, unknown>)['set-cookie'] ?? findHeaderCaseInsensitive(headers, 'set-cookie');
    if (raw === undefined || raw === null) return [];
    if (Array.isArray(raw)) return raw.map(String);
    return String(raw).split('\n').filter((line) => line.length > 0);
}

export function readResponseUrl(response: ResponseLike): string | undefined {
    const { url } = response;
    if (typeof url === 'function') return url.call(response);
    return typeof url === 'string' ? url : undefined;
}

function findHeaderCaseInsensitive(headers: object, name: string): unknown {
    for (const [key, value] of Object.entries(headers)) {
        if (key.toLowerCase() === name) return value;
    }
    return undefined;
}

export function toSessionCookie(cookie: Cookie): SessionCookie {
    const result: SessionCookie = {
        name: cookie.key,
        value: cookie.value,
        // Crawlee's toughCookieToBrowserPoolCookie: the leading dot is what tells a domain cookie in browsers.
        domain: cookie.domain ? (cookie.hostOnly === true ? cookie.domain : `.${cookie.domain}`) : '',
        path: cookie.path ?? '/',
        httpOnly: cookie.httpOnly,
        secure: cookie.secure,
        hostOnly: cookie.hostOnly === true,
    };
    // Max-Age wins over Expires (RFC 6265 §5.3), as it does in the jar. Not rounded: a round trip keeps the exact expiry.
    if (typeof cookie.maxAge === 'number' && cookie.creation instanceof Date) {
        result.expires = (cookie.creation.getTime() + cookie.maxAge * 1000) / 1000;
    } else if (cookie.expires instanceof Date) result.expires = cookie.expires.getTime() / 1000;
    const sameSite = normalizeSameSite(cookie.sameSite);
    if (sameSite) result.sameSite = sameSite;
    return result;
}

export function toToughCookie(input: CookieInput): Cookie {
    const dotted = input.domain ? input.domain.startsWith('.') : false;
    const domain = input.domain ? input.domain.replace(/^\./, '') : null;
    const cookie = new Cookie({
        key: input.name,
        value: input.value,
        domain,
        path: input.path ?? null,
        secure: input.secure === true,
        httpOnly: input.httpOnly === true,
        expires: toExpiryDate(input.expires),
        // Crawlee's browserPoolCookieToToughCookie: a bare domain is host-only, a leading dot a domain cookie.
        // Without a domain tough-cookie makes it host-only for the URL's host.
        hostOnly: domain ? (input.hostOnly ?? !dotted) : null,
        sameSite: input.sameSite ? input.sameSite.toLowerCase() : undefined,
    });
    return cookie;
}

function toExpiryDate(expires: CookieInput['expires']): Date | null {
    if (expires === undefined || expires === null) return null;
    if (expires instanceof Date) return expires;
    // Rounded to the millisecond: 1.8e9 + 0.123 s times 1000 is not always an integer, and Date truncates.
    if (typeof expires === 'number') return expires < 0 ? null : new Date(Math.round(expires * 1000));
    const ms = Date.parse(expires);
    return Number.isFinite(ms) ? new Date(ms) : null;
}

function normalizeSameSite(value: string | undefined): SessionCookie['sameSite'] | undefined {
    switch (value?.toLowerCase()) {
        case 'strict':
            return 'Strict';
        case 'lax':
            return 'Lax';
        case 'none':
            return 'None';
        default:
            return undefined;
    }
}

export type { SerializedCookieJar };
