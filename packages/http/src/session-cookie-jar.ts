import type { Session } from '@sessionkit/core';

/** The two methods got calls on `cookieJar`: before every hop and for every Set-Cookie of every hop. */
export interface GotCookieJar {
    getCookieString(url: string): Promise<string>;
    setCookie(rawCookie: string, url: string): Promise<void>;
}

/**
 * A got `cookieJar` backed by the session. got asks it for each hop (so redirects carry the right cookies)
 * and hands it each hop's Set-Cookie with that hop's URL. Cookies the user put in the request's Cookie
 * header are merged in (the user wins per name), on the request's own origin only: a cross-origin redirect
 * never carries them.
 */
export function createSessionCookieJar(session: Session, requestUrl: string, userCookieHeader: string | undefined): GotCookieJar {
    const userCookies = userCookieHeader ? parseCookieHeader(userCookieHeader) : undefined;
    const origin = userCookies ? new URL(requestUrl).origin : undefined;
    return {
        async getCookieString(url: string): Promise<string> {
            const sessionCookies = session.getCookieString(url);
            if (!userCookies || new URL(url).origin !== origin) return sessionCookies;
            return mergeCookieHeaders(sessionCookies, userCookies);
        },
        async setCookie(rawCookie: string, url: string): Promise<void> {
            // Never throws: a malformed (or nameless and empty) cookie is skipped and counted by the pool.
            session.setCookie(rawCookie, url);
        },
    };
}

/** A jar that only forwards the user's cookies on the request's origin (requests without a session). */
export function createUserCookieJar(requestUrl: string, userCookieHeader: string): GotCookieJar {
    const origin = new URL(requestUrl).origin;
    return {
        async getCookieString(url: string): Promise<string> {
            return new URL(url).origin === origin ? userCookieHeader : '';
        },
        async setCookie(): Promise<void> {},
    };
}

export function parseCookieHeader(header: string): Map<string, string> {
    const cookies = new Map<string, string>();
    for (const part of header.split(';')) {
        const index = part.indexOf('=');
        if (index <= 0) continue;
        const name = part.slice(0, index).trim();
        if (name) cookies.set(name, part.slice(index + 1).trim());
    }
    return cookies;
}

/** Session cookies first, then the user's; a user cookie replaces a session cookie of the same name. */
export function mergeCookieHeaders(sessionCookies: string, userCookies: Map<string, string>): string {
    const merged = sessionCookies ? parseCookieHeader(sessionCookies) : new Map<string, string>();
    for (const [name, value] of userCookies) merged.set(name, value);
    let header = '';
    for (const [name, value] of merged) header += `${header ? '; ' : ''}${name}=${value}`;
    return header;
}
