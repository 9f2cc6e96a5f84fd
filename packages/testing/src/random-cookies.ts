import { mulberry32 } from './prng.js';

/** A cookie in the CDP/Playwright shape: leading dot = domain cookie, `expires: -1` = session cookie. */
export interface RandomBrowserCookie {
    name: string;
    value: string;
    domain: string;
    path: string;
    expires: number;
    httpOnly: boolean;
    secure: boolean;
    sameSite?: 'Strict' | 'Lax' | 'None';
}

/**
 * `count` distinct cookies a browser can hold, from a seeded PRNG: host-only and domain cookies on a few hosts
 * (an IP host only host-only), paths, session and future expiries (whole seconds), httpOnly, Secure, SameSite
 * (None only with Secure). For round-trip property tests of cookie conversions.
 */
export function randomBrowserCookies(seed: number, count: number, nowSecs: number = Math.floor(Date.now() / 1000)): RandomBrowserCookie[] {
    const next = mulberry32(seed);
    const pick = <T>(list: readonly T[]): T => list[next() % list.length]!;
    const hosts = ['example.com', 'www.example.com', 'shop.example.com', 'a.test', 'deep.sub.a.test', '127.0.0.1'];
    const paths = ['/', '/x', '/x/y', '/account'];
    const cookies = new Map<string, RandomBrowserCookie>();
    while (cookies.size < count) {
        const host = pick(hosts);
        const domainCookie = host !== '127.0.0.1' && next() % 2 === 0;
        const secure = next() % 3 === 0;
        const sameSite = pick([undefined, 'Strict', 'Lax', 'None'] as const);
        const cookie: RandomBrowserCookie = {
            name: `c${next() % 1000}`,
            value: `v${next().toString(36)}`,
            domain: domainCookie ? `.${host}` : host,
            path: pick(paths),
            expires: next() % 2 === 0 ? -1 : nowSecs + 60 + (next() % 86_400),
            httpOnly: next() % 2 === 0,
            secure,
        };
        if (sameSite !== undefined && (sameSite !== 'None' || secure)) cookie.sameSite = sameSite;
        // One cookie per slot (name, host, path), as in a browser.
        cookies.set(`${cookie.name}\t${host}\t${cookie.path}`, cookie);
    }
    return [...cookies.values()];
}
