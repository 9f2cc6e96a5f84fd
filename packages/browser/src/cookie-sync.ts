import {
    type BrowserCookie,
    type SessionCookieLike,
    type SessionCookieRecord,
    bareHost,
    fromBrowserCookie,
    isHostOnly,
    toBrowserCookie,
} from './cookies.js';

type CookieIdentity = Pick<SessionCookieLike, 'name' | 'domain' | 'path' | 'hostOnly'>;

/** One cookie slot: host-only or domain, host, path, name (what a jar and Chromium key a cookie by). */
function cookieKey(cookie: CookieIdentity): string {
    return `${isHostOnly(cookie) ? 'h' : 'd'}\t${bareHost(cookie.domain)}\t${cookie.path || '/'}\t${cookie.name}`;
}

/** What must match for a context cookie to count as the session's: value, expiry (to the second) and flags. */
function cookieFingerprint(cookie: Pick<SessionCookieLike, 'value' | 'expires' | 'httpOnly' | 'secure'>): string {
    const expires = cookie.expires === undefined || cookie.expires < 0 ? -1 : Math.floor(cookie.expires);
    return `${cookie.value}\t${expires}\t${cookie.httpOnly ? 1 : 0}${cookie.secure ? 1 : 0}`;
}

/** What to do to a browser context so it holds the session's cookies. */
export interface CookiePushPlan {
    /** Session cookies the context lacks or holds with another value, expiry or flags (expired ones skipped). */
    set: BrowserCookie[];
    /** Cookies the context got from the session (or saved into it) that the session no longer has. */
    remove: BrowserCookie[];
}

/** What changed in a browser context since the last sync, in the session format. */
export interface CookiePullResult {
    /** New or changed cookies: `session.setCookies([cookie], cookieStorageUrl(cookie))`. */
    changed: SessionCookieRecord[];
    /** Cookies the browser deleted (or let expire): to expire in the session (`value: ''`, `expires: 1`). */
    deleted: SessionCookieRecord[];
}

/**
 * The cookie diff between one browser context and its session. It remembers what the context held at the last
 * sync (key → fingerprint): only cookies that differ from it are pushed or pulled, cookies that vanished from
 * the context were deleted by the site, and cookies that vanished from the session are removed from the
 * context. A new context (after a crash or an eviction) gets a new tracker, which pushes every cookie.
 */
export class CookieSyncTracker {
    /** key → fingerprint of what the context holds, as far as the last sync knows. */
    #seen = new Map<string, string>();

    /** Number of cookies the context is known to hold. */
    get size(): number {
        return this.#seen.size;
    }

    /** What to set and remove so the context matches `sessionCookies` (all of the session's, every domain). */
    planPush(sessionCookies: readonly SessionCookieLike[], nowSecs: number = Date.now() / 1000): CookiePushPlan {
        const set: BrowserCookie[] = [];
        const live = new Set<string>();
        for (const cookie of sessionCookies) {
            if (cookie.expires !== undefined && cookie.expires >= 0 && cookie.expires <= nowSecs) continue;
            const key = cookieKey(cookie);
            live.add(key);
            if (this.#seen.get(key) !== cookieFingerprint(cookie)) set.push(toBrowserCookie(cookie));
        }
        const remove: BrowserCookie[] = [];
        if (live.size < this.#seen.size || set.length > 0) {
            for (const key of this.#seen.keys()) if (!live.has(key)) remove.push(keyToCookie(key));
        }
        return { set, remove };
    }

    /** The context accepted these cookies (after `planPush`). */
    markPushed(cookies: readonly BrowserCookie[]): void {
        for (const cookie of cookies) {
            const record = fromBrowserCookie(cookie);
            this.#seen.set(cookieKey(record), cookieFingerprint(record));
        }
    }

    /** The context no longer holds these cookies. */
    markRemoved(cookies: readonly BrowserCookie[]): void {
        for (const cookie of cookies) this.#seen.delete(cookieKey(fromBrowserCookie(cookie)));
    }

    /**
     * Compares the context's cookies (as read from it, every domain) with the last sync and remembers them.
     * Partitioned cookies are ignored.
     */
    pull(contextCookies: readonly BrowserCookie[]): CookiePullResult {
        const current = new Map<string, string>();
        const changed: SessionCookieRecord[] = [];
        for (const raw of contextCookies) {
            if (raw.partitioned === true) continue;
            const cookie = fromBrowserCookie(raw);
            const key = cookieKey(cookie);
            const fingerprint = cookieFingerprint(cookie);
            current.set(key, fingerprint);
            if (this.#seen.get(key) !== fingerprint) changed.push(cookie);
        }
        const deleted: SessionCookieRecord[] = [];
        for (const key of this.#seen.keys()) {
            if (current.has(key)) continue;
            deleted.push({ ...fromBrowserCookie(keyToCookie(key)), value: '', expires: 1 });
        }
        this.#seen = current;
        return { changed, deleted };
    }
}

function keyToCookie(key: string): BrowserCookie {
    const [kind, host, path, ...name] = key.split('\t');
    const hostPart = host!.includes(':') ? `[${host}]` : host!;
    return {
        name: name.join('\t'),
        value: '',
        domain: kind === 'h' ? hostPart : `.${hostPart}`,
        path: path!,
        expires: -1,
        httpOnly: false,
        secure: false,
    };
}

export interface PushCookiesResult {
    /** Cookies the browser accepted (it may still discard expired ones and treat them as deletions). */
    accepted: BrowserCookie[];
    /** Cookies the browser refused ("Invalid cookie fields": e.g. `;` in the value, `__Host-` without Secure). */
    rejected: Array<{ cookie: BrowserCookie; error: Error }>;
}

/**
 * Sets cookies in one call; when the browser refuses the batch (Chromium rejects all of it for one invalid
 * cookie) it retries one by one, so the valid ones are not lost. Errors while `isGone()` (the context or
 * browser closed) are rethrown.
 */
export async function pushCookies(
    setCookies: (cookies: BrowserCookie[]) => Promise<void>,
    cookies: readonly BrowserCookie[],
    isGone: () => boolean,
): Promise<PushCookiesResult> {
    if (cookies.length === 0) return { accepted: [], rejected: [] };
    try {
        await setCookies([...cookies]);
        return { accepted: [...cookies], rejected: [] };
    } catch (error) {
        if (isGone()) throw error;
    }
    const result: PushCookiesResult = { accepted: [], rejected: [] };
    for (const cookie of cookies) {
        try {
            await setCookies([cookie]);
            result.accepted.push(cookie);
        } catch (error) {
            if (isGone()) throw error;
            result.rejected.push({ cookie, error: error instanceof Error ? error : new Error(String(error)) });
        }
    }
    return result;
}
