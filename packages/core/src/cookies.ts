import { Cookie, CookieJar, MemoryCookieStore, type ErrorCallback, type SerializedCookieJar, cookieCompare } from 'tough-cookie';
import { InvalidOptionError } from './errors.js';

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

/** Cached Cookie headers per store, at most; a crawl that visits ever new paths must not grow it without bound. */
const MAX_CACHED_COOKIE_STRINGS = 32;

/**
 * What one session may hold, so that a hostile site cannot make a crawl keep (and send back, and persist)
 * unbounded cookies: browsers keep about 180 per domain and 4 kB each. Past either bound the oldest cookies are
 * evicted, as browsers do.
 */
export const MAX_COOKIES_PER_SESSION = 200;
export const MAX_COOKIE_BYTES_PER_SESSION = 256 * 1024;

/** Set-Cookie headers remembered per store (see refreshRepeatedSetCookie). */
const MAX_REMEMBERED_SET_COOKIES = 64;

interface StoredSetCookie {
    cookie: Cookie;
    maxAgeMs: number | undefined;
}

interface CachedCookieString {
    value: string;
    /** Epoch ms when the earliest-expiring cookie in `value` expires (Infinity: none expires). */
    validUntil: number;
}

/**
 * A MemoryCookieStore that remembers the Cookie header it computed for a URL until anything in the store
 * changes (any put, update or removal, by whatever path: our setters, tough-cookie's own expiry sweep, a
 * user calling the jar directly) or until the earliest expiry among the cookies in that header. Most
 * requests read cookies from a jar that has not changed since the last request to the same origin: they
 * get the header without tough-cookie's URL parsing, domain permutation and sorting.
 *
 * The cache key is the URL without query and fragment, or just up to its path while every cookie in the
 * store has path '/' (then the path cannot change the answer). The scheme is part of the key, so Secure
 * cookies are told apart.
 */
export class CachingCookieStore extends MemoryCookieStore {
    private readonly cache = new Map<string, CachedCookieString>();
    /** Sticky: once a cookie with another path was stored, keys carry the path. */
    private pathScoped = false;
    /**
     * Set-Cookie headers stored before, by URL (without query), then header text: the cookie each one made.
     * Two levels rather than one concatenated key: hashing a fresh concatenation costs more than the lookup.
     */
    private readonly stored = new Map<string, Map<string, StoredSetCookie>>();
    private storedCount = 0;
    /** Cookies held and their name + value bytes, for the per-session bound. */
    private cookieCount = 0;
    private cookieBytes = 0;
    /** Cookies evicted to stay within the bound, ever; the session reports increases to its pool. */
    evictions = 0;
    /** The last URL parsed for tough-cookie: a session asks about the URL it just received cookies from. */
    private lastUrl = '';
    private lastParsedUrl: URL | undefined = undefined;

    /**
     * `url` parsed, for tough-cookie (which takes a URL object as well as a string and would otherwise parse
     * the same string on every call); the string itself when it is not a valid URL, so tough-cookie reports it.
     */
    parsedUrl(url: string): URL | string {
        if (url === this.lastUrl && this.lastParsedUrl !== undefined) return this.lastParsedUrl;
        let parsed: URL;
        try {
            parsed = new URL(url); // not URL.parse: Node 20.10 lacks it
        } catch {
            return url;
        }
        this.lastUrl = url;
        this.lastParsedUrl = parsed;
        return parsed;
    }

    /**
     * Sites send the same Set-Cookie on every response. When `rawSetCookie` from `url` is the very header that
     * made a cookie still in the store, storing it again would only refresh its last access and, for Max-Age,
     * its expiry: do just that, without parsing, URL checks or a store change (the cached headers stay true).
     * `urlKey` is `setCookieUrlKey(url)`. Returns false when the header must be stored the normal way.
     */
    refreshRepeatedSetCookie(rawSetCookie: string, urlKey: string, now: number): boolean {
        const memo = this.stored.get(urlKey)?.get(rawSetCookie);
        if (memo === undefined) return false;
        const { cookie } = memo;
        if (this.idx[cookie.domain!]?.[cookie.path!]?.[cookie.key] !== cookie) return false;
        cookie.lastAccessed = new Date(now);
        if (memo.maxAgeMs !== undefined) cookie.expires = new Date(memo.maxAgeMs > 0 ? now + memo.maxAgeMs : 0);
        return true;
    }

    /** Remembers that `rawSetCookie` from the URL of `urlKey` stored `cookie` (with the Max-Age it had, in ms). */
    rememberSetCookie(rawSetCookie: string, urlKey: string, cookie: Cookie, maxAgeMs: number | undefined): void {
        if (this.storedCount >= MAX_REMEMBERED_SET_COOKIES) {
            this.stored.clear();
            this.storedCount = 0;
        }
        let byHeader = this.stored.get(urlKey);
        if (byHeader === undefined) this.stored.set(urlKey, (byHeader = new Map()));
        const before = byHeader.size;
        byHeader.set(rawSetCookie, { cookie, maxAgeMs });
        this.storedCount += byHeader.size - before;
    }

    override putCookie(cookie: Cookie): Promise<void>;
    override putCookie(cookie: Cookie, callback: ErrorCallback): void;
    override putCookie(cookie: Cookie, callback?: ErrorCallback): unknown {
        this.changed();
        if (cookie.path !== '/') this.pathScoped = true;
        const replaced = this.idx[cookie.domain!]?.[cookie.path!]?.[cookie.key];
        if (replaced !== undefined) this.cookieBytes -= cookieSize(replaced);
        else this.cookieCount += 1;
        this.cookieBytes += cookieSize(cookie);
        const result = callback ? super.putCookie(cookie, callback) : super.putCookie(cookie);
        if (this.cookieCount > MAX_COOKIES_PER_SESSION || this.cookieBytes > MAX_COOKIE_BYTES_PER_SESSION) this.evictOldest(cookie);
        return result;
    }

    override removeCookie(domain: string, path: string, key: string): Promise<void>;
    override removeCookie(domain: string, path: string, key: string, callback: ErrorCallback): void;
    override removeCookie(domain: string, path: string, key: string, callback?: ErrorCallback): unknown {
        this.changed();
        const removed = this.idx[domain]?.[path]?.[key];
        if (removed !== undefined) {
            this.cookieCount -= 1;
            this.cookieBytes -= cookieSize(removed);
        }
        return callback ? super.removeCookie(domain, path, key, callback) : super.removeCookie(domain, path, key);
    }

    override removeCookies(domain: string, path: string): Promise<void>;
    override removeCookies(domain: string, path: string, callback: ErrorCallback): void;
    override removeCookies(domain: string, path: string, callback?: ErrorCallback): unknown {
        this.changed();
        const result = callback ? super.removeCookies(domain, path, callback) : super.removeCookies(domain, path);
        this.recount();
        return result;
    }

    override removeAllCookies(): Promise<void>;
    override removeAllCookies(callback: ErrorCallback): void;
    override removeAllCookies(callback?: ErrorCallback): unknown {
        this.changed();
        const result = callback ? super.removeAllCookies(callback) : super.removeAllCookies();
        this.recount();
        return result;
    }

    /** Drops the oldest cookies (by creation) until the store is within its bound again; O(n), and only then. */
    private evictOldest(keep: Cookie): void {
        while (this.cookieCount > MAX_COOKIES_PER_SESSION || this.cookieBytes > MAX_COOKIE_BYTES_PER_SESSION) {
            let oldest: Cookie | undefined;
            for (const candidate of this.storedCookies()) {
                if (candidate === keep) continue;
                if (oldest === undefined || createdAt(candidate) < createdAt(oldest)) oldest = candidate;
            }
            // A single cookie larger than the whole bound: it goes itself.
            const victim = oldest ?? keep;
            this.removeCookie(victim.domain!, victim.path!, victim.key);
            this.evictions += 1;
            if (victim === keep) return;
        }
    }

    private recount(): void {
        this.cookieCount = 0;
        this.cookieBytes = 0;
        for (const cookie of this.storedCookies()) {
            this.cookieCount += 1;
            this.cookieBytes += cookieSize(cookie);
        }
    }

    /** Every cookie in the store (MemoryCookieStore's index: domain → path → name). */
    private *storedCookies(): Generator<Cookie> {
        for (const paths of Object.values(this.idx)) {
            for (const keys of Object.values(paths ?? {})) {
                for (const cookie of Object.values(keys ?? {})) if (cookie !== undefined) yield cookie;
            }
        }
    }

    /** `jar.getCookieStringSync(url)` for the jar built on this store, from the cache when nothing changed. */
    cookieString(jar: CookieJar, url: string): string {
        const key = cacheKey(url, this.pathScoped);
        const cached = this.cache.get(key);
        if (cached !== undefined && Date.now() < cached.validUntil) return cached.value;
        // The same cookies, order and format as getCookieStringSync, plus when the answer stops being true.
        const cookies = jar.getCookiesSync(this.parsedUrl(url)).sort(cookieCompare);
        let value = '';
        let validUntil = Infinity;
        for (const cookie of cookies) {
            value = value ? `${value}; ${cookie.cookieString()}` : cookie.cookieString();
            // tough-cookie counts Max-Age from the last access, which a cache hit does not update: never cache those.
            if (cookie.maxAge !== null && cookie.maxAge !== undefined) validUntil = -Infinity;
            else if (cookie.expires instanceof Date) validUntil = Math.min(validUntil, cookie.expires.getTime());
        }
        if (validUntil > Date.now()) {
            if (this.cache.size >= MAX_CACHED_COOKIE_STRINGS) this.cache.clear();
            this.cache.set(key, { value, validUntil });
        }
        return value;
    }

    private changed(): void {
        if (this.cache.size > 0) this.cache.clear();
    }
}

function createdAt(cookie: Cookie): number {
    return cookie.creation instanceof Date ? cookie.creation.getTime() : 0;
}

function cookieSize(cookie: Cookie): number {
    return cookie.key.length + String(cookie.value).length;
}

/** What of the URL a Set-Cookie was received from decides the cookie it makes (CachingCookieStore.refreshRepeatedSetCookie). */
export function setCookieUrlKey(url: string): string {
    return cacheKey(url, true);
}

/** The part of `url` the Cookie header depends on: up to the query (or, unless `withPath`, up to the path). */
function cacheKey(url: string, withPath: boolean): string {
    const authority = url.indexOf('//');
    for (let i = authority < 0 ? 0 : authority + 2; i < url.length; i++) {
        const code = url.charCodeAt(i);
        // '?', '#', and without the path also '/' and '\\' (WHATWG URLs read a backslash as a slash).
        if (code === 63 || code === 35 || (!withPath && (code === 47 || code === 92))) return url.slice(0, i);
    }
    return url;
}

export function createCookieJar(): CookieJar {
    return new CookieJar(new CachingCookieStore(), COOKIE_JAR_OPTIONS);
}

/**
 * A jar from a saved state. Cookies whose expiry is not a valid time (written by an older version, or edited by
 * hand) are dropped, so one bad cookie cannot make the whole state unloadable or crash its next save.
 */
export function deserializeCookieJar(serialized: SerializedCookieJar | string): CookieJar {
    const parsed = typeof serialized === 'string' ? (JSON.parse(serialized) as SerializedCookieJar) : serialized;
    const cookies = Array.isArray(parsed.cookies) ? parsed.cookies.filter(hasValidExpiry) : parsed.cookies;
    return CookieJar.deserializeSync(cookies === parsed.cookies ? parsed : { ...parsed, cookies }, new CachingCookieStore());
}

function hasValidExpiry(cookie: unknown): boolean {
    const { expires } = (cookie ?? {}) as { expires?: unknown };
    if (expires === undefined || expires === null || expires === 'Infinity') return true;
    const ms = typeof expires === 'string' ? Date.parse(expires) : Number.NaN;
    return Number.isFinite(ms) && Math.abs(ms) <= MAX_DATE_MS;
}

/** The Cookie header for `url`: cached when the jar is one of ours, tough-cookie's own answer otherwise. */
export function cookieStringOf(jar: CookieJar, url: string): string {
    const { store } = jar;
    return store instanceof CachingCookieStore ? store.cookieString(jar, url) : jar.getCookieStringSync(url);
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

/** Largest time a Date can hold (ECMAScript: ±8.64e15 ms); past it a Date is invalid and serializing it throws. */
const MAX_DATE_MS = 8.64e15;

/**
 * An expiry a jar can keep and write back: a Date that is not valid (NaN, Infinity, 1e20 s, an unparsable string)
 * would be stored, then make the jar's serialization throw and the session's state vanish. Throws for those, so
 * the cookie is skipped and counted like a malformed Set-Cookie. Negative numbers mean a session cookie (CDP).
 */
function toExpiryDate(expires: CookieInput['expires']): Date | null {
    if (expires === undefined || expires === null) return null;
    let ms: number;
    if (expires instanceof Date) ms = expires.getTime();
    else if (typeof expires === 'number') {
        if (Number.isFinite(expires) && expires < 0) return null;
        // Rounded to the millisecond: 1.8e9 + 0.123 s times 1000 is not always an integer, and Date truncates.
        ms = Math.round(expires * 1000);
    } else if (typeof expires === 'string') ms = Date.parse(expires);
    else ms = Number.NaN;
    if (!Number.isFinite(ms) || Math.abs(ms) > MAX_DATE_MS) throw new Error(`cookie expiry ${String(expires)} is not a valid time`);
    return new Date(ms);
}

/** Shape errors are the caller's bug (thrown); what a site sends is data (skipped and counted by the caller). */
export function checkCookieInput(option: string, input: unknown): asserts input is CookieInput {
    if (input === null || typeof input !== 'object') throw new InvalidOptionError(option, input, 'must be a cookie object { name, value, domain?, path?, … }');
    const cookie = input as Record<string, unknown>;
    for (const field of ['name', 'value'] as const) {
        if (typeof cookie[field] !== 'string') throw new InvalidOptionError(`${option}.${field}`, cookie[field], 'must be a string');
    }
    for (const field of ['domain', 'path', 'sameSite'] as const) {
        if (cookie[field] !== undefined && cookie[field] !== null && typeof cookie[field] !== 'string') {
            throw new InvalidOptionError(`${option}.${field}`, cookie[field], 'must be a string when given');
        }
    }
    for (const field of ['secure', 'httpOnly', 'hostOnly'] as const) {
        if (cookie[field] !== undefined && typeof cookie[field] !== 'boolean') throw new InvalidOptionError(`${option}.${field}`, cookie[field], 'must be a boolean when given');
    }
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
