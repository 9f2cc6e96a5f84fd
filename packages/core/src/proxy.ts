import { InvalidOptionError } from './errors.js';
import { backoffMs } from './retry-after.js';
import { checkFunction, checkObject } from './validate.js';

export interface ProxyConfigurationOptions {
    /** Proxies to spread sessions over; each session sticks to one. */
    proxyUrls?: string[];
    /** Returns the proxy URL for a new session (sticky proxy sessions are usually keyed by `sessionId`). */
    newUrlFunction?: (sessionId: string | undefined) => string | null | undefined | Promise<string | null | undefined>;
}

/** What adapters and handlers get to know about the proxy a request uses. */
export interface ProxyInfo {
    url: string;
    protocol: string;
    hostname: string;
    port: number;
    username: string;
    password: string;
    sessionId?: string;
}

const PROXY_PROTOCOLS = new Set(['http:', 'https:', 'socks:', 'socks4:', 'socks5:']);

export function validateProxyUrl(option: string, url: unknown): asserts url is string {
    if (typeof url !== 'string' || !URL.canParse(url)) {
        throw new InvalidOptionError(option, url, 'must be a proxy URL such as "http://user:pass@127.0.0.2:8000"');
    }
    const parsed = new URL(url);
    if (!PROXY_PROTOCOLS.has(parsed.protocol)) {
        throw new InvalidOptionError(option, url, `must use one of ${[...PROXY_PROTOCOLS].join(' ')} as protocol`);
    }
    if (!parsed.hostname) throw new InvalidOptionError(option, url, 'must have a host');
}

export function toProxyInfo(url: string, sessionId?: string): ProxyInfo {
    const parsed = new URL(url);
    const info: ProxyInfo = {
        url,
        protocol: parsed.protocol,
        hostname: parsed.hostname,
        port: parsed.port ? Number(parsed.port) : parsed.protocol === 'https:' ? 443 : 80,
        username: decodeURIComponent(parsed.username),
        password: decodeURIComponent(parsed.password),
    };
    if (sessionId !== undefined) info.sessionId = sessionId;
    return info;
}

/** Where sessions' proxies come from (Crawlee's `ProxyConfiguration`, without any cloud service). */
export class ProxyConfiguration {
    readonly proxyUrls: readonly string[] | undefined;
    readonly newUrlFunction: ProxyConfigurationOptions['newUrlFunction'];
    private nextIndex = 0;

    constructor(options: ProxyConfigurationOptions = {}) {
        checkObject('proxyConfiguration', options);
        const { proxyUrls, newUrlFunction } = options;
        checkFunction('proxyConfiguration.newUrlFunction', newUrlFunction);
        if (proxyUrls !== undefined) {
            if (!Array.isArray(proxyUrls) || proxyUrls.length === 0) {
                throw new InvalidOptionError('proxyConfiguration.proxyUrls', proxyUrls, 'must be a non-empty array of proxy URLs');
            }
            proxyUrls.forEach((url, index) => validateProxyUrl(`proxyConfiguration.proxyUrls[${index}]`, url));
            if (new Set(proxyUrls).size !== proxyUrls.length) {
                throw new InvalidOptionError('proxyConfiguration.proxyUrls', proxyUrls, 'must not list the same proxy twice');
            }
        }
        if (proxyUrls && newUrlFunction) {
            throw new InvalidOptionError('proxyConfiguration', '{ proxyUrls, newUrlFunction }', 'takes either proxyUrls or newUrlFunction, not both');
        }
        if (!proxyUrls && !newUrlFunction) {
            throw new InvalidOptionError('proxyConfiguration', options, 'needs proxyUrls or newUrlFunction');
        }
        this.proxyUrls = proxyUrls ? Object.freeze([...proxyUrls]) : undefined;
        this.newUrlFunction = newUrlFunction;
    }

    /** A proxy URL for a session: round robin over `proxyUrls`, or `newUrlFunction(sessionId)`. (A pool picks healthy proxies itself.) */
    async newUrl(sessionId?: string): Promise<string | undefined> {
        if (this.proxyUrls) {
            const url = this.proxyUrls[this.nextIndex % this.proxyUrls.length]!;
            this.nextIndex += 1;
            return url;
        }
        const url = await this.newUrlFunction!(sessionId);
        if (url === null || url === undefined) return undefined;
        validateProxyUrl('proxyConfiguration.newUrlFunction() result', url);
        return url;
    }

    async newProxyInfo(sessionId?: string): Promise<ProxyInfo | undefined> {
        const url = await this.newUrl(sessionId);
        return url === undefined ? undefined : toProxyInfo(url, sessionId);
    }
}

export type ProxyHealthState = 'healthy' | 'benched' | 'probation';

/** Per-proxy counters and health, as reported by `pool.getStats().proxies`. */
export interface ProxyStats {
    url: string;
    state: ProxyHealthState;
    activeSessions: number;
    sessionsCreated: number;
    successes: number;
    blocks: number;
    errors: number;
    rateLimits: number;
    timesBenched: number;
    /** ISO 8601, while benched. */
    benchedUntil?: string;
    /** ISO 8601, while cooling down after a rate limit. */
    cooldownUntil?: string;
}

export interface ProxyHealthOptions {
    /** Consecutive blocks or errors (no success between) that bench a proxy. */
    banThreshold: number;
    /** First bench duration; doubles (with jitter) each time the proxy is benched again. */
    benchBaseMs: number;
    benchMaxMs: number;
    /** Backoff for rate limits without Retry-After. */
    rateLimitBaseMs: number;
    rateLimitMaxMs: number;
    /** Longest cooldown, whatever Retry-After says ("come back tomorrow" should not park an IP for a day unnoticed). */
    maxCooldownMs: number;
    random: () => number;
}

/** One route to the site: a proxy URL, or the direct connection (`url` = 'direct'). */
export class ProxyEntry {
    readonly url: string;
    readonly isDirect: boolean;
    state: ProxyHealthState = 'healthy';
    activeSessions = 0;
    sessionsCreated = 0;
    successes = 0;
    blocks = 0;
    errors = 0;
    rateLimits = 0;
    timesBenched = 0;
    consecutiveFailures = 0;
    rateLimitStreak = 0;
    benchedUntilMs = 0;
    cooldownUntilMs = 0;
    private info: ProxyInfo | undefined;

    constructor(url: string, isDirect: boolean) {
        this.url = url;
        this.isDirect = isDirect;
    }

    get proxyUrl(): string | undefined {
        return this.isDirect ? undefined : this.url;
    }

    get proxyInfo(): ProxyInfo | undefined {
        if (this.isDirect) return undefined;
        return (this.info ??= toProxyInfo(this.url));
    }

    stats(now: number): ProxyStats {
        const stats: ProxyStats = {
            url: this.url,
            state: this.state,
            activeSessions: this.activeSessions,
            sessionsCreated: this.sessionsCreated,
            successes: this.successes,
            blocks: this.blocks,
            errors: this.errors,
            rateLimits: this.rateLimits,
            timesBenched: this.timesBenched,
        };
        if (this.state === 'benched') stats.benchedUntil = new Date(this.benchedUntilMs).toISOString();
        if (this.cooldownUntilMs > now) stats.cooldownUntil = new Date(this.cooldownUntilMs).toISOString();
        return stats;
    }
}

export interface ProxyTransitionListener {
    (entry: ProxyEntry, from: ProxyHealthState, to: ProxyHealthState): void;
}

/**
 * Learns which proxies work. A proxy whose sessions fail `banThreshold` times in a row is benched;
 * after a jittered exponential backoff it is on probation (one session at a time) until a success
 * makes it healthy again or a failure benches it for twice as long.
 */
export class ProxyHealth {
    readonly direct = new ProxyEntry('direct', true);
    private readonly entries = new Map<string, ProxyEntry>();
    private readonly ordered: ProxyEntry[] = [];
    private roundRobin = 0;

    constructor(
        private readonly options: ProxyHealthOptions,
        private readonly onTransition: ProxyTransitionListener,
    ) {}

    entry(url: string | undefined): ProxyEntry {
        if (url === undefined) return this.direct;
        let entry = this.entries.get(url);
        if (!entry) {
            entry = new ProxyEntry(url, false);
            this.entries.set(url, entry);
            this.ordered.push(entry);
        }
        return entry;
    }

    all(): readonly ProxyEntry[] {
        return this.ordered;
    }

    /** Whether a new session may be bound to this proxy now. Revives benched proxies whose time is up. */
    acceptsNewSession(entry: ProxyEntry, now: number): boolean {
        this.refresh(entry, now);
        if (entry.state === 'benched' || entry.cooldownUntilMs > now) return false;
        // A proxy on probation gets one session at a time until it proves itself.
        return entry.state !== 'probation' || entry.activeSessions === 0;
    }

    /** Whether existing sessions of this proxy must be thrown away (it is benched). */
    isBenched(entry: ProxyEntry, now: number): boolean {
        this.refresh(entry, now);
        return entry.state === 'benched';
    }

    /**
     * The healthiest proxy for a new session among `urls`: fewest active sessions, then healthy before
     * probation, then round robin. The caller must count the new session in `activeSessions` before it
     * awaits anything, so that concurrent picks see it.
     */
    pick(urls: readonly string[], now: number): ProxyEntry | undefined {
        let best: ProxyEntry | undefined;
        const count = urls.length;
        for (let i = 0; i < count; i++) {
            const entry = this.entry(urls[(this.roundRobin + i) % count]!);
            if (!this.acceptsNewSession(entry, now)) continue;
            if (
                !best ||
                entry.activeSessions < best.activeSessions ||
                (entry.activeSessions === best.activeSessions && best.state === 'probation' && entry.state === 'healthy')
            ) {
                best = entry;
            }
        }
        if (best) this.roundRobin = (this.roundRobin + 1) % count;
        return best;
    }

    /**
     * Earliest time at which one of `urls` (or the direct route) accepts new sessions again, by the clock.
     * A proxy on probation whose one session is still alive is not counted: it frees up on a release or a
     * retirement, not at a known time.
     */
    nextAvailableAt(urls: readonly string[] | undefined, now: number): number {
        const candidates = urls ? urls.map((url) => this.entry(url)) : [this.direct];
        let earliest = Number.POSITIVE_INFINITY;
        for (const entry of candidates) {
            this.refresh(entry, now);
            if (entry.state === 'probation' && entry.activeSessions > 0) continue;
            const at = Math.max(entry.state === 'benched' ? entry.benchedUntilMs : now, entry.cooldownUntilMs);
            if (at < earliest) earliest = at;
        }
        return earliest;
    }

    recordSuccess(entry: ProxyEntry): void {
        entry.successes += 1;
        entry.consecutiveFailures = 0;
        entry.rateLimitStreak = 0;
        if (entry.state === 'probation') {
            entry.state = 'healthy';
            this.onTransition(entry, 'probation', 'healthy');
        }
    }

    /** A block (retired session) or an error. Returns true when this benched the proxy. */
    recordFailure(entry: ProxyEntry, kind: 'block' | 'error', now: number): boolean {
        if (kind === 'block') entry.blocks += 1;
        else entry.errors += 1;
        entry.consecutiveFailures += 1;
        if (entry.isDirect || entry.state === 'benched') return false;
        if (entry.state === 'probation' || entry.consecutiveFailures >= this.options.banThreshold) {
            this.bench(entry, now);
            return true;
        }
        return false;
    }

    /** Returns the cooldown end for the route. */
    recordRateLimit(entry: ProxyEntry, retryAfterMs: number | undefined, now: number): number {
        entry.rateLimits += 1;
        const asked = retryAfterMs ?? backoffMs(entry.rateLimitStreak, this.options.rateLimitBaseMs, this.options.rateLimitMaxMs, this.options.random);
        const waitMs = Math.min(asked, this.options.maxCooldownMs);
        entry.rateLimitStreak += 1;
        const until = now + waitMs;
        if (until > entry.cooldownUntilMs) entry.cooldownUntilMs = until;
        return entry.cooldownUntilMs;
    }

    restore(entry: ProxyEntry, stats: ProxyStats, now: number): void {
        entry.successes = stats.successes;
        entry.blocks = stats.blocks;
        entry.errors = stats.errors;
        entry.rateLimits = stats.rateLimits;
        entry.timesBenched = stats.timesBenched;
        entry.sessionsCreated = stats.sessionsCreated;
        const benchedUntil = stats.benchedUntil ? Date.parse(stats.benchedUntil) : 0;
        if (stats.state === 'benched' && benchedUntil > now) {
            entry.state = 'benched';
            entry.benchedUntilMs = benchedUntil;
        } else if (stats.state !== 'healthy') {
            entry.state = 'probation';
        }
        const cooldownUntil = stats.cooldownUntil ? Date.parse(stats.cooldownUntil) : 0;
        if (cooldownUntil > now) entry.cooldownUntilMs = cooldownUntil;
    }

    private bench(entry: ProxyEntry, now: number): void {
        const from = entry.state;
        entry.state = 'benched';
        entry.benchedUntilMs = now + backoffMs(entry.timesBenched, this.options.benchBaseMs, this.options.benchMaxMs, this.options.random);
        entry.timesBenched += 1;
        entry.consecutiveFailures = 0;
        this.onTransition(entry, from, 'benched');
    }

    private refresh(entry: ProxyEntry, now: number): void {
        if (entry.state === 'benched' && entry.benchedUntilMs <= now) {
            entry.state = 'probation';
            this.onTransition(entry, 'benched', 'probation');
        }
    }
}

/** The URL with its password replaced by *** (for logs and error messages). */
/** Stats as users see them (getStats(), events): the proxy's password masked; state files keep the real URL. */
export function publicProxyStats(stats: ProxyStats): ProxyStats {
    const url = redactProxyUrl(stats.url);
    return url === stats.url ? stats : { ...stats, url };
}

export function redactProxyUrl(url: string): string {
    try {
        const parsed = new URL(url);
        if (parsed.password) parsed.password = '***';
        return parsed.toString().replace(/\/$/, '');
    } catch {
        return url;
    }
}
