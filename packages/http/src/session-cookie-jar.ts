import type { Session } from '@sessionkit/core';
import { CookieHeaderError } from './errors.js';

/** The two methods got calls on `cookieJar`: before every hop and for every Set-Cookie of every hop. */
export interface GotCookieJar {
    getCookieString(url: string): Promise<string>;
    setCookie(rawCookie: string, url: string): Promise<void>;
}

/**
 * A got `cookieJar` backed by the session. got asks it for each hop (so redirects carry the right cookies)
 * and hands it each hop's Set-Cookie with that hop's URL. Cookies the user put in the request's Cookie
 * header(s) are merged in (the user wins per name), on the request's own origin only: a cross-origin
 * redirect never carries them. `userCookies`: a Cookie header value, or one parsed with `parseCookieHeader`.
 */
export function createSessionCookieJar(session: Session, requestUrl: string, userCookies: string | Map<string, string> | undefined): GotCookieJar {
    const parsed = typeof userCookies === 'string' ? parseCookieHeader(userCookies) : userCookies;
    const own = parsed && parsed.size > 0 ? parsed : undefined;
    const origin = own ? new URL(requestUrl).origin : undefined;
    return {
        async getCookieString(url: string): Promise<string> {
            const sessionCookies = session.getCookieString(url);
            if (!own || new URL(url).origin !== origin) return sessionCookies;
            return mergeCookieHeaders(sessionCookies, own);
        },
        async setCookie(rawCookie: string, url: string): Promise<void> {
            // Never throws: a malformed (or nameless and empty) cookie is skipped and counted by the pool.
            session.setCookie(rawCookie, url);
        },
    };
}

/** A jar that only forwards the user's cookies on the request's origin (requests without a session). */
export function createUserCookieJar(requestUrl: string, userCookies: string | Map<string, string>): GotCookieJar {
    const origin = new URL(requestUrl).origin;
    const header = typeof userCookies === 'string' ? userCookies : mergeCookieHeaders('', userCookies);
    return {
        async getCookieString(url: string): Promise<string> {
            return new URL(url).origin === origin ? header : '';
        },
        async setCookie(): Promise<void> {},
    };
}

/**
 * The cookies of a Cookie header, by name; a later cookie of the same name wins. Empty parts (";;", a
 * trailing ";") are ignored; a part that is not `name=value` throws CookieHeaderError naming it, as Crawlee does.
 */
export function parseCookieHeader(header: string, into: Map<string, string> = new Map<string, string>()): Map<string, string> {
    for (const part of header.split(';')) {
        const index = part.indexOf('=');
        const name = index > 0 ? part.slice(0, index).trim() : '';
        if (!name) {
            const fragment = part.trim();
            if (fragment) throw new CookieHeaderError(fragment);
            continue;
        }
        into.set(name, part.slice(index + 1).trim());
    }
    return into;
}

/**
 * Session cookies first, then the user's; a user cookie replaces a session cookie of the same name in place.
 * Session cookies pass through verbatim (a nameless cookie the site set is not the user's mistake).
 */
export function mergeCookieHeaders(sessionCookies: string, userCookies: Map<string, string>): string {
    let header = '';
    const replaced = new Set<string>();
    if (sessionCookies) {
        for (const part of sessionCookies.split('; ')) {
            const index = part.indexOf('=');
            const name = index > 0 ? part.slice(0, index) : undefined;
            const user = name !== undefined ? userCookies.get(name) : undefined;
            if (user !== undefined) replaced.add(name!);
            header += `${header ? '; ' : ''}${user !== undefined ? `${name}=${user}` : part}`;
        }
    }
    for (const [name, value] of userCookies) {
        if (!replaced.has(name)) header += `${header ? '; ' : ''}${name}=${value}`;
    }
    return header;
}

/**
 * Removes every Cookie header from `headers`, whatever its casing, and returns their cookies merged:
 * `cookie` first, then the other casings in the object's order (so `Cookie` wins over `cookie`, as in
 * Crawlee). Undefined when there were none.
 */
export function takeCookieHeaders(headers: Record<string, string | string[] | undefined>): Map<string, string> | undefined {
    let cookies: Map<string, string> | undefined;
    const lower = headers.cookie;
    if (lower !== undefined) {
        delete headers.cookie;
        cookies = parseCookieValues(lower, new Map());
    }
    for (const key of Object.keys(headers)) {
        if (key.length !== 6 || key.toLowerCase() !== 'cookie') continue;
        const value = headers[key];
        delete headers[key];
        if (value !== undefined) cookies = parseCookieValues(value, cookies ?? new Map());
    }
    return cookies;
}

function parseCookieValues(value: string | string[], into: Map<string, string>): Map<string, string> {
    if (Array.isArray(value)) for (const one of value) parseCookieHeader(one, into);
    else parseCookieHeader(String(value), into);
    return into;
}
