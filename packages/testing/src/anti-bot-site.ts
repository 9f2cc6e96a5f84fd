import http from 'node:http';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

import { AntiBotSiteOptionError } from './errors.js';
import { hash32, hashUnit, mulberry32 } from './prng.js';

/** Limits how many new visitors (sessions without a valid cookie) one client IP may start per window. */
export interface NewVisitorLimit {
    /** New visitors one IP may start per window. Integer >= 0. Default 10. */
    max?: number;
    /** Window length in ms (fixed window, starting at the first new visitor). Integer >= 1. Default 10_000. */
    windowMs?: number;
    /**
     * Penalty after a violation, in whole seconds; sent as `Retry-After`. Integer >= 1. Default 2.
     * Mutually exclusive with `retryAfterMs`.
     */
    retryAfterSecs?: number;
    /**
     * Penalty after a violation in ms, for fast tests. `Retry-After` carries the remaining penalty rounded
     * up to whole seconds (HTTP has no fractional Retry-After). Integer >= 1. Mutually exclusive with
     * `retryAfterSecs`.
     */
    retryAfterMs?: number;
    /** Every request from the IP during the penalty restarts the penalty. Default false. */
    extendPenaltyOnViolation?: boolean;
}

export interface AntiBotSiteOptions {
    /** Interface to listen on. Default '127.0.0.1'. */
    host?: string;
    /** Port; 0 picks a free ephemeral port. Default 0. */
    port?: number;
    /** Seed of the PRNG (visitor ids) and of every hashed decision. Safe integer. Default 1. */
    seed?: number;
    /** Pages `/page/0` … `/page/<pageCount-1>`. Integer >= 1. Default 1000. */
    pageCount?: number;
    /** Links per page (the first is always the next page). Integer >= 0. Default 5. */
    linksPerPage?: number;
    /** Name of the visitor cookie. Default 'sk_visitor'. */
    cookieName?: string;
    /** New-visitor rate limit per IP, or false to disable. Default `{ max: 10, windowMs: 10_000, retryAfterSecs: 2 }`. */
    newVisitorLimit?: NewVisitorLimit | false;
    /** Page views per visitor before it is answered 403, or false for no budget. Default 50. */
    pagesPerVisitor?: number | false;
    /** A cookie first seen from one IP and presented from another gets 403. Default true. */
    bindCookieToIp?: boolean;
    /** IPs answered 403 on every request. Default []. */
    bannedIps?: readonly string[];
    /** Share of page requests answered 503 without Retry-After (transient error). 0..1. Default 0. */
    transientErrorRate?: number;
    /** Share of page views answered 200 with `<title>Blocked</title>`. 0..1. Default 0. */
    softBlockRate?: number;
    /** Share of page requests answered 503 with Retry-After (overloaded). 0..1. Default 0. */
    rateLimit503Rate?: number;
    /** `Retry-After` of those 503 answers, whole seconds. Integer >= 0. Default 1. */
    rateLimit503RetryAfterSecs?: number;
    /** Fixed delay before every counted response, ms. Finite number >= 0. Default 0. */
    latencyMs?: number;
}

/** Per-client-IP counters. */
export interface AntiBotSiteIpStats {
    requests: number;
    pagesServed: number;
    newVisitors: number;
    /** 429 answers. */
    rateLimited: number;
    /** 403 answers (budget, IP move, banned IP). */
    blocked: number;
}

export interface AntiBotSiteStats {
    /** Requests subject to the rules (everything except `/__stats`, `/echo`, `/set-cookie`). */
    requests: number;
    /** 200 answers with a real page (not soft blocks). */
    pagesServed: number;
    newVisitors: number;
    /** 429 answers (new-visitor limit violations and requests during the penalty). */
    rateLimited: number;
    /** 503 answers with Retry-After (`rateLimit503Rate`). */
    rateLimited503: number;
    /** 403: visitor's page budget exhausted. */
    blockedBudget: number;
    /** 403: cookie presented from another IP than the one it was first seen from. */
    blockedIpMove: number;
    /** 403: banned IP. */
    blockedBannedIp: number;
    /** 503 without Retry-After (`transientErrorRate`). */
    transientErrors: number;
    /** 200 answers with `<title>Blocked</title>`. */
    softBlocks: number;
    /** 404 answers. */
    notFound: number;
    /** Visitors currently known to the site (not cleared by `resetStats()`). */
    visitors: number;
    byIp: Record<string, AntiBotSiteIpStats>;
}

export interface AntiBotSite {
    /** Base URL without trailing slash, e.g. 'http://127.0.0.1:40123'. */
    readonly url: string;
    readonly host: string;
    readonly port: number;
    /** Effective seed. */
    readonly seed: number;
    readonly pageCount: number;
    /** Absolute URL of `/page/<n>`. Throws a RangeError outside [0, pageCount). */
    pageUrl(n: number): string;
    /** Absolute URLs of pages offset … offset+count-1. Default: all pages from offset 0. */
    pageUrls(count?: number, offset?: number): string[];
    /** Snapshot of the counters. */
    stats(): AntiBotSiteStats;
    /** Zeroes the counters; visitors, penalties and attempt numbers are kept. */
    resetStats(): void;
    /** Forgets everything (counters, visitors, penalties, attempt numbers) and re-seeds the PRNG. */
    reset(): void;
    /** Stops the server and destroys open (keep-alive) connections. Idempotent. */
    close(): Promise<void>;
}

interface ResolvedLimit {
    max: number;
    windowMs: number;
    penaltyMs: number;
    extend: boolean;
}

interface Config {
    host: string;
    port: number;
    seed: number;
    pageCount: number;
    linksPerPage: number;
    cookieName: string;
    limit: ResolvedLimit | null;
    pagesPerVisitor: number | null;
    bindCookieToIp: boolean;
    bannedIps: ReadonlySet<string>;
    transientErrorRate: number;
    softBlockRate: number;
    rateLimit503Rate: number;
    rateLimit503RetryAfterSecs: number;
    latencyMs: number;
}

interface Visitor {
    ip: string;
    pages: number;
}

interface IpState {
    windowStart: number;
    windowCount: number;
    penaltyUntil: number;
}

type Counters = Omit<AntiBotSiteStats, 'byIp' | 'visitors'>;

const OPTION_KEYS = new Set([
    'host', 'port', 'seed', 'pageCount', 'linksPerPage', 'cookieName', 'newVisitorLimit', 'pagesPerVisitor',
    'bindCookieToIp', 'bannedIps', 'transientErrorRate', 'softBlockRate', 'rateLimit503Rate',
    'rateLimit503RetryAfterSecs', 'latencyMs',
]);
const LIMIT_KEYS = new Set(['max', 'windowMs', 'retryAfterSecs', 'retryAfterMs', 'extendPenaltyOnViolation']);
const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// RFC 6265 cookie-octet: no CTLs, whitespace, DQUOTE, comma, semicolon, backslash.
const COOKIE_VALUE_RE = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/;

export const ANTI_BOT_SITE_DEFAULTS = {
    host: '127.0.0.1',
    port: 0,
    seed: 1,
    pageCount: 1000,
    linksPerPage: 5,
    cookieName: 'sk_visitor',
    newVisitorLimit: { max: 10, windowMs: 10_000, retryAfterSecs: 2, extendPenaltyOnViolation: false },
    pagesPerVisitor: 50,
    bindCookieToIp: true,
    bannedIps: [] as readonly string[],
    transientErrorRate: 0,
    softBlockRate: 0,
    rateLimit503Rate: 0,
    rateLimit503RetryAfterSecs: 1,
    latencyMs: 0,
} as const;

/** Strips the IPv4-mapped IPv6 prefix: '::ffff:127.0.0.2' → '127.0.0.2'. */
export function normalizeIp(ip: string | undefined): string {
    if (!ip) return 'unknown';
    return ip.startsWith('::ffff:') && net.isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
}

function isInt(value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): value is number {
    return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

function rate(option: string, value: unknown, fallback: number): number {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
        throw new AntiBotSiteOptionError(option, 'must be a number between 0 and 1', value);
    }
    return value;
}

function int(option: string, value: unknown, fallback: number, min: number, max?: number): number {
    if (value === undefined) return fallback;
    if (!isInt(value, min, max)) {
        const range = max === undefined ? `>= ${min}` : `from ${min} to ${max}`;
        throw new AntiBotSiteOptionError(option, `must be an integer ${range}`, value);
    }
    return value;
}

function bool(option: string, value: unknown, fallback: boolean): boolean {
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') throw new AntiBotSiteOptionError(option, 'must be true or false', value);
    return value;
}

function resolveLimit(value: unknown): ResolvedLimit | null {
    const d = ANTI_BOT_SITE_DEFAULTS.newVisitorLimit;
    if (value === false) return null;
    if (value === undefined) {
        return { max: d.max, windowMs: d.windowMs, penaltyMs: d.retryAfterSecs * 1000, extend: false };
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new AntiBotSiteOptionError(
            'newVisitorLimit', 'must be false or an object { max, windowMs, retryAfterSecs | retryAfterMs }', value);
    }
    const o = value as Record<string, unknown>;
    for (const key of Object.keys(o)) {
        if (!LIMIT_KEYS.has(key)) {
            throw new AntiBotSiteOptionError(
                `newVisitorLimit.${key}`, `is not a known option (known: ${[...LIMIT_KEYS].join(', ')})`, o[key]);
        }
    }
    if (o.retryAfterSecs !== undefined && o.retryAfterMs !== undefined) {
        throw new AntiBotSiteOptionError(
            'newVisitorLimit.retryAfterMs', 'cannot be combined with "retryAfterSecs"; pass only one', o.retryAfterMs);
    }
    const max = int('newVisitorLimit.max', o.max, d.max, 0);
    const windowMs = int('newVisitorLimit.windowMs', o.windowMs, d.windowMs, 1);
    const penaltyMs = o.retryAfterMs !== undefined
        ? int('newVisitorLimit.retryAfterMs', o.retryAfterMs, 0, 1)
        : int('newVisitorLimit.retryAfterSecs', o.retryAfterSecs, d.retryAfterSecs, 1) * 1000;
    const extend = bool('newVisitorLimit.extendPenaltyOnViolation', o.extendPenaltyOnViolation, false);
    return { max, windowMs, penaltyMs, extend };
}

function resolveOptions(options: AntiBotSiteOptions | undefined): Config {
    if (options === undefined) options = {};
    if (typeof options !== 'object' || options === null || Array.isArray(options)) {
        throw new AntiBotSiteOptionError('options', 'must be an object or undefined', options);
    }
    const o = options as Record<string, unknown>;
    for (const key of Object.keys(o)) {
        if (OPTION_KEYS.has(key)) continue;
        const hint = key === 'extendPenaltyOnViolation' ? ' (it belongs in "newVisitorLimit")' : '';
        throw new AntiBotSiteOptionError(key, `is not a known option${hint}`, o[key]);
    }
    const d = ANTI_BOT_SITE_DEFAULTS;

    const host = o.host === undefined ? d.host : o.host;
    if (typeof host !== 'string' || (net.isIP(host) === 0 && host !== 'localhost')) {
        throw new AntiBotSiteOptionError('host', 'must be an IP address or "localhost"', host);
    }
    const seed = o.seed === undefined ? d.seed : o.seed;
    if (!isInt(seed, Number.MIN_SAFE_INTEGER)) {
        throw new AntiBotSiteOptionError('seed', 'must be a safe integer', seed);
    }
    const cookieName = o.cookieName === undefined ? d.cookieName : o.cookieName;
    if (typeof cookieName !== 'string' || !TOKEN_RE.test(cookieName)) {
        throw new AntiBotSiteOptionError('cookieName', 'must be a non-empty cookie name (an HTTP token)', cookieName);
    }
    let pagesPerVisitor: number | null = d.pagesPerVisitor;
    if (o.pagesPerVisitor === false) pagesPerVisitor = null;
    else if (o.pagesPerVisitor !== undefined) {
        if (!isInt(o.pagesPerVisitor, 1)) {
            throw new AntiBotSiteOptionError('pagesPerVisitor', 'must be false or an integer >= 1', o.pagesPerVisitor);
        }
        pagesPerVisitor = o.pagesPerVisitor;
    }
    const bannedRaw = o.bannedIps === undefined ? d.bannedIps : o.bannedIps;
    if (!Array.isArray(bannedRaw)) {
        throw new AntiBotSiteOptionError('bannedIps', 'must be an array of IP addresses', bannedRaw);
    }
    const bannedIps = new Set<string>();
    bannedRaw.forEach((ip: unknown, i) => {
        if (typeof ip !== 'string' || net.isIP(ip) === 0) {
            throw new AntiBotSiteOptionError(`bannedIps[${i}]`, 'must be an IPv4 or IPv6 address', ip);
        }
        bannedIps.add(normalizeIp(ip));
    });
    const latencyMs = o.latencyMs === undefined ? d.latencyMs : o.latencyMs;
    if (typeof latencyMs !== 'number' || !Number.isFinite(latencyMs) || latencyMs < 0) {
        throw new AntiBotSiteOptionError('latencyMs', 'must be a finite number >= 0', latencyMs);
    }

    return {
        host,
        port: int('port', o.port, d.port, 0, 65535),
        seed: seed >>> 0,
        pageCount: int('pageCount', o.pageCount, d.pageCount, 1, 10_000_000),
        linksPerPage: int('linksPerPage', o.linksPerPage, d.linksPerPage, 0, 1000),
        cookieName,
        limit: resolveLimit(o.newVisitorLimit),
        pagesPerVisitor,
        bindCookieToIp: bool('bindCookieToIp', o.bindCookieToIp, d.bindCookieToIp),
        bannedIps,
        transientErrorRate: rate('transientErrorRate', o.transientErrorRate, d.transientErrorRate),
        softBlockRate: rate('softBlockRate', o.softBlockRate, d.softBlockRate),
        rateLimit503Rate: rate('rateLimit503Rate', o.rateLimit503Rate, d.rateLimit503Rate),
        rateLimit503RetryAfterSecs: int(
            'rateLimit503RetryAfterSecs', o.rateLimit503RetryAfterSecs, d.rateLimit503RetryAfterSecs, 0),
        latencyMs,
    };
}

/** Value of cookie `name` in a Cookie header, without allocating a parsed map. */
function readCookie(header: string | undefined, name: string): string | undefined {
    if (!header) return undefined;
    let from = 0;
    while (from < header.length) {
        const at = header.indexOf(name, from);
        if (at === -1) return undefined;
        const end = at + name.length;
        const startsPair = at === 0 || header[at - 1] === ' ' || header[at - 1] === ';';
        if (startsPair && header[end] === '=') {
            const semi = header.indexOf(';', end + 1);
            return header.slice(end + 1, semi === -1 ? undefined : semi).trim();
        }
        from = end;
    }
    return undefined;
}

function parseCookies(header: string | undefined): Record<string, string> {
    const out: Record<string, string> = {};
    if (!header) return out;
    for (const part of header.split(';')) {
        const eq = part.indexOf('=');
        if (eq === -1) continue;
        const name = part.slice(0, eq).trim();
        if (name) out[name] = part.slice(eq + 1).trim();
    }
    return out;
}

/** `/page/<n>` → n (canonical decimal, no leading zeros), `/` → -1, anything else → null. */
function parsePagePath(path: string): number | null {
    if (path === '/') return -1;
    if (!path.startsWith('/page/')) return null;
    const digits = path.slice(6);
    if (digits.length === 0 || digits.length > 9 || (digits.length > 1 && digits[0] === '0')) return null;
    for (let i = 0; i < digits.length; i++) {
        const c = digits.charCodeAt(i);
        if (c < 48 || c > 57) return null;
    }
    return Number(digits);
}

const SENTENCES = [
    'This catalogue page lists products that ship worldwide.',
    'Prices are updated every hour from our warehouse.',
    'Customers who viewed this item also viewed the items linked below.',
    'All content on this page is generated for crawler testing.',
    'Our support team answers questions within one business day.',
    'Free returns are accepted within thirty days of delivery.',
    'Stock levels shown here are indicative only.',
    'Reviews are moderated before they appear on the site.',
];

function htmlBody(title: string, content: string): Buffer {
    return Buffer.from(
        `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>`
        + `<body>${content}</body></html>\n`);
}

const SOFT_BLOCK_BODY = htmlBody('Blocked',
    '<h1>Access denied</h1><p>Unusual traffic was detected from your session. Please verify you are a human.</p>');
const FORBIDDEN_BODY = htmlBody('Forbidden', '<h1>403 Forbidden</h1><p>Access to this resource is denied.</p>');
const TOO_MANY_BODY = htmlBody('Too Many Requests', '<h1>429 Too Many Requests</h1><p>Slow down.</p>');
const UNAVAILABLE_BODY = htmlBody('Service Unavailable', '<h1>503 Service Unavailable</h1><p>Try again later.</p>');
const NOT_FOUND_BODY = htmlBody('Not Found', '<h1>404 Not Found</h1>');
const NOT_ALLOWED_BODY = htmlBody('Method Not Allowed', '<h1>405 Method Not Allowed</h1>');

function zeroCounters(): Counters {
    return {
        requests: 0, pagesServed: 0, newVisitors: 0, rateLimited: 0, rateLimited503: 0, blockedBudget: 0,
        blockedIpMove: 0, blockedBannedIp: 0, transientErrors: 0, softBlocks: 0, notFound: 0,
    };
}

/**
 * Starts a simulated protected site on a real `node:http` server (see README for the rules).
 * Throws `AntiBotSiteOptionError` (a TypeError) for invalid options.
 */
export async function startAntiBotSite(options?: AntiBotSiteOptions): Promise<AntiBotSite> {
    const cfg = resolveOptions(options);
    const { seed, pageCount, cookieName, limit } = cfg;

    let nextRandom = mulberry32(seed);
    let counters = zeroCounters();
    let ipCounters = new Map<string, AntiBotSiteIpStats>();
    let visitors = new Map<string, Visitor>();
    let ipStates = new Map<string, IpState>();
    let attempts = new Map<string, number>();
    const pageCache: Array<Buffer | undefined> = new Array<Buffer | undefined>(pageCount);
    let homeCache: Buffer | undefined;
    const timers = new Set<NodeJS.Timeout>();

    const newVisitorId = (): string => {
        let id = '';
        for (let i = 0; i < 4; i++) id += nextRandom().toString(16).padStart(8, '0');
        return id;
    };

    const linksOf = (n: number): number[] => {
        const links: number[] = [];
        if (pageCount < 2 || cfg.linksPerPage === 0) return links;
        const want = Math.min(cfg.linksPerPage, pageCount - 1);
        links.push((n + 1) % pageCount);
        for (let k = 0; links.length < want && k < want * 8; k++) {
            const target = hash32(`${seed}|link|${n}|${k}`) % pageCount;
            if (target !== n && !links.includes(target)) links.push(target);
        }
        return links;
    };

    const linkList = (targets: number[]): string =>
        `<ul class="links">${targets.map((t) => `<li><a href="/page/${t}">Page ${t}</a></li>`).join('')}</ul>`;

    const renderPage = (n: number): Buffer => {
        let cached = n === -1 ? homeCache : pageCache[n];
        if (cached) return cached;
        if (n === -1) {
            const targets = Array.from({ length: Math.min(Math.max(cfg.linksPerPage, 1), pageCount) }, (_, i) => i);
            cached = htmlBody('Home', `<h1>Home</h1><p>Welcome to the sessionkit anti-bot test site with ${pageCount}`
                + ` pages.</p>${linkList(targets)}`);
            homeCache = cached;
        } else {
            const h = hash32(`${seed}|text|${n}`);
            const text = `${SENTENCES[h % SENTENCES.length]} ${SENTENCES[(h >>> 8) % SENTENCES.length]}`;
            cached = htmlBody(`Page ${n}`,
                `<h1>Page ${n}</h1><p class="content">Item #${n}. ${text}</p>${linkList(linksOf(n))}`);
            pageCache[n] = cached;
        }
        return cached;
    };

    const countersFor = (ip: string): AntiBotSiteIpStats => {
        let c = ipCounters.get(ip);
        if (!c) {
            c = { requests: 0, pagesServed: 0, newVisitors: 0, rateLimited: 0, blocked: 0 };
            ipCounters.set(ip, c);
        }
        return c;
    };

    const send = (res: ServerResponse, status: number, headers: OutgoingHttpHeaders, body: Buffer, delay: number) => {
        headers['content-length'] = body.length;
        const write = () => {
            if (res.destroyed) return;
            res.writeHead(status, headers);
            res.end(body);
        };
        if (delay <= 0) {
            write();
            return;
        }
        const timer = setTimeout(() => {
            timers.delete(timer);
            write();
        }, delay);
        timers.add(timer);
    };

    const sendJson = (res: ServerResponse, status: number, value: unknown, extra: OutgoingHttpHeaders = {}) => {
        send(res, status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...extra },
            Buffer.from(JSON.stringify(value)), 0);
    };

    const stats = (): AntiBotSiteStats => {
        const byIp: Record<string, AntiBotSiteIpStats> = {};
        for (const [ip, c] of ipCounters) byIp[ip] = { ...c };
        return { ...counters, visitors: visitors.size, byIp };
    };

    const handleHelper = (req: IncomingMessage, res: ServerResponse, path: string, query: string): boolean => {
        if (path === '/__stats') {
            sendJson(res, 200, stats());
            return true;
        }
        if (path === '/echo') {
            sendJson(res, 200, {
                ip: normalizeIp(req.socket.remoteAddress),
                method: req.method,
                url: req.url,
                httpVersion: req.httpVersion,
                headers: req.headers,
                cookies: parseCookies(req.headers.cookie),
            });
            return true;
        }
        if (path === '/set-cookie') {
            const params = new URLSearchParams(query);
            const name = params.get('name') ?? '';
            const value = params.get('value') ?? '';
            if (!TOKEN_RE.test(name) || !COOKIE_VALUE_RE.test(value)) {
                sendJson(res, 400, { error: 'expected ?name=<cookie token>&value=<cookie-octets>', name, value });
                return true;
            }
            sendJson(res, 200, { name, value }, { 'set-cookie': `${name}=${value}; Path=/` });
            return true;
        }
        return false;
    };

    const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
        const rawUrl = req.url ?? '/';
        const q = rawUrl.indexOf('?');
        const path = q === -1 ? rawUrl : rawUrl.slice(0, q);
        if (handleHelper(req, res, path, q === -1 ? '' : rawUrl.slice(q + 1))) return;

        const ip = normalizeIp(req.socket.remoteAddress);
        const delay = cfg.latencyMs;
        const perIp = countersFor(ip);
        counters.requests++;
        perIp.requests++;

        // 1. Banned IPs: 403 for everything.
        if (cfg.bannedIps.has(ip)) {
            counters.blockedBannedIp++;
            perIp.blocked++;
            send(res, 403, { 'content-type': 'text/html; charset=utf-8', 'x-sk-reason': 'banned-ip' }, FORBIDDEN_BODY,
                delay);
            return;
        }

        // 2. IP under a rate-limit penalty: 429 for everything.
        const now = performance.now();
        let ipState: IpState | undefined;
        if (limit) {
            ipState = ipStates.get(ip);
            if (ipState && ipState.penaltyUntil > now) {
                if (limit.extend) {
                    ipState.penaltyUntil = now + limit.penaltyMs;
                    ipState.windowStart = ipState.penaltyUntil;
                    ipState.windowCount = 0;
                }
                counters.rateLimited++;
                perIp.rateLimited++;
                send(res, 429, {
                    'content-type': 'text/html; charset=utf-8',
                    'retry-after': String(Math.max(1, Math.ceil((ipState.penaltyUntil - now) / 1000))),
                    'x-sk-reason': 'rate-limited',
                }, TOO_MANY_BODY, delay);
                return;
            }
        }

        // 3. Routing.
        const page = parsePagePath(path);
        if (page === null || page >= pageCount) {
            counters.notFound++;
            send(res, 404, { 'content-type': 'text/html; charset=utf-8' }, NOT_FOUND_BODY, delay);
            return;
        }
        if (req.method !== 'GET' && req.method !== 'HEAD') {
            send(res, 405, { 'content-type': 'text/html; charset=utf-8', allow: 'GET, HEAD' }, NOT_ALLOWED_BODY, delay);
            return;
        }

        // 4. Server-side failures, decided per (seed, path, attempt number of that path).
        if (cfg.transientErrorRate > 0 || cfg.rateLimit503Rate > 0) {
            const attempt = (attempts.get(path) ?? 0) + 1;
            attempts.set(path, attempt);
            if (cfg.transientErrorRate > 0 && hashUnit(`${seed}|transient|${path}|${attempt}`) < cfg.transientErrorRate) {
                counters.transientErrors++;
                send(res, 503, { 'content-type': 'text/html; charset=utf-8', 'x-sk-reason': 'transient' },
                    UNAVAILABLE_BODY, delay);
                return;
            }
            if (cfg.rateLimit503Rate > 0 && hashUnit(`${seed}|overload|${path}|${attempt}`) < cfg.rateLimit503Rate) {
                counters.rateLimited503++;
                send(res, 503, {
                    'content-type': 'text/html; charset=utf-8',
                    'retry-after': String(cfg.rateLimit503RetryAfterSecs),
                    'x-sk-reason': 'overloaded',
                }, UNAVAILABLE_BODY, delay);
                return;
            }
        }

        // 5. Visitor identification.
        const headers: OutgoingHttpHeaders = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' };
        const cookieValue = readCookie(req.headers.cookie, cookieName);
        let visitorId = cookieValue;
        let visitor = cookieValue === undefined ? undefined : visitors.get(cookieValue);
        if (visitor) {
            if (cfg.bindCookieToIp && visitor.ip !== ip) {
                counters.blockedIpMove++;
                perIp.blocked++;
                send(res, 403, { 'content-type': 'text/html; charset=utf-8', 'x-sk-reason': 'ip-move' },
                    FORBIDDEN_BODY, delay);
                return;
            }
            if (cfg.pagesPerVisitor !== null && visitor.pages >= cfg.pagesPerVisitor) {
                counters.blockedBudget++;
                perIp.blocked++;
                send(res, 403, { 'content-type': 'text/html; charset=utf-8', 'x-sk-reason': 'budget' },
                    FORBIDDEN_BODY, delay);
                return;
            }
        } else {
            if (limit) {
                if (!ipState) {
                    ipState = { windowStart: -Infinity, windowCount: 0, penaltyUntil: -Infinity };
                    ipStates.set(ip, ipState);
                }
                if (now - ipState.windowStart >= limit.windowMs) {
                    ipState.windowStart = now;
                    ipState.windowCount = 0;
                }
                if (ipState.windowCount >= limit.max) {
                    // Violation: penalise the IP; a fresh window starts when the penalty ends.
                    ipState.penaltyUntil = now + limit.penaltyMs;
                    ipState.windowStart = ipState.penaltyUntil;
                    ipState.windowCount = 0;
                    counters.rateLimited++;
                    perIp.rateLimited++;
                    send(res, 429, {
                        'content-type': 'text/html; charset=utf-8',
                        'retry-after': String(Math.ceil(limit.penaltyMs / 1000)),
                        'x-sk-reason': 'new-visitor-limit',
                    }, TOO_MANY_BODY, delay);
                    return;
                }
                ipState.windowCount++;
            }
            visitorId = newVisitorId();
            visitor = { ip, pages: 0 };
            visitors.set(visitorId, visitor);
            counters.newVisitors++;
            perIp.newVisitors++;
            headers['set-cookie'] = `${cookieName}=${visitorId}; Path=/; HttpOnly`;
        }

        // 6. Page view (a soft block is a page view too and uses up budget).
        visitor.pages++;
        if (cfg.softBlockRate > 0 && hashUnit(`${seed}|soft|${visitorId}|${path}`) < cfg.softBlockRate) {
            counters.softBlocks++;
            send(res, 200, headers, SOFT_BLOCK_BODY, delay);
            return;
        }
        counters.pagesServed++;
        perIp.pagesServed++;
        // For HEAD, node:http keeps Content-Length and drops the body itself.
        send(res, 200, headers, renderPage(page), delay);
    };

    const server = http.createServer(onRequest);
    await new Promise<void>((resolve, reject) => {
        const onError = (error: Error) => {
            server.removeListener('listening', onListening);
            reject(error);
        };
        const onListening = () => {
            server.removeListener('error', onError);
            resolve();
        };
        server.once('error', onError);
        server.once('listening', onListening);
        server.listen(cfg.port, cfg.host);
    });
    const port = (server.address() as AddressInfo).port;
    const url = `http://${cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host}:${port}`;

    const pageUrl = (n: number): string => {
        if (!isInt(n, 0, pageCount - 1)) {
            throw new RangeError(`AntiBotSite.pageUrl: n must be an integer from 0 to ${pageCount - 1}, got ${String(n)}`);
        }
        return `${url}/page/${n}`;
    };

    let closing: Promise<void> | undefined;

    return {
        url,
        host: cfg.host,
        port,
        seed,
        pageCount,
        pageUrl,
        pageUrls(count?: number, offset = 0): string[] {
            if (!isInt(offset, 0, pageCount - 1)) {
                throw new RangeError(
                    `AntiBotSite.pageUrls: offset must be an integer from 0 to ${pageCount - 1}, got ${String(offset)}`);
            }
            const n = count ?? pageCount - offset;
            if (!isInt(n, 0, pageCount - offset)) {
                throw new RangeError(`AntiBotSite.pageUrls: count must be an integer from 0 to ${pageCount - offset}`
                    + ` (pageCount ${pageCount}, offset ${offset}), got ${String(count)}; raise the "pageCount" option`);
            }
            const urls = new Array<string>(n);
            for (let i = 0; i < n; i++) urls[i] = `${url}/page/${offset + i}`;
            return urls;
        },
        stats,
        resetStats(): void {
            counters = zeroCounters();
            ipCounters = new Map();
        },
        reset(): void {
            counters = zeroCounters();
            ipCounters = new Map();
            visitors = new Map();
            ipStates = new Map();
            attempts = new Map();
            nextRandom = mulberry32(seed);
        },
        close(): Promise<void> {
            closing ??= new Promise<void>((resolve) => {
                for (const timer of timers) clearTimeout(timer);
                timers.clear();
                server.close(() => resolve());
                server.closeAllConnections();
            });
            return closing;
        },
    };
}
