import { EventEmitter } from 'node:events';
import { InvalidOptionError, SessionPoolClosedError } from '../errors.js';
import type { Log } from '../log.js';
import { type ProxyConfiguration, type ProxyStats, publicProxyStats } from '../proxy.js';
import { checkDurationSecs } from '../duration.js';
import { parseRetryAfterMs } from '../retry-after.js';
import { RETIRE_REASONS, type RetireReason, type Session, type SessionLimits, type SessionOptions, type SessionOwner } from '../session.js';
import { FileSessionStore, type PersistedPoolState, type SessionStore } from '../store.js';
import type { FetchedGauges, PoolBackend, PoolCounters, PoolGauges, PoolHost } from './backend.js';
import { MemoryBackend } from './backends/memory.js';
import { RemoteBackend } from './backends/remote.js';
import type { SessionLease } from './lease.js';
import { buildSession, sessionToAdd } from './minting.js';
import { type PoolSettings, type SessionPoolOptions, resolvePoolLog, resolvePoolSettings } from './options.js';
import { buildState, loadState } from './persistence.js';
import { isSharedSessionStore } from './shared-store.js';
import { WaiterQueue, abortReason, timeoutError } from './waiters.js';

export interface AcquireOptions {
    /** Wait at most this long (overrides `acquireTimeoutSecs`). */
    timeoutSecs?: number;
    /** Lease this particular session (a request pinned to a session); waits while it is busy or cooling. */
    sessionId?: string;
    signal?: AbortSignal;
}

/** How a response should be judged, from its status code and headers. */
export type ResponseVerdict =
    | { kind: 'ok' }
    | { kind: 'blocked'; statusCode: number }
    | { kind: 'rateLimited'; statusCode: number; retryAfterMs: number | undefined };

export interface SessionPoolStats {
    maxPoolSize: number;
    /** Sessions alive (not retired). */
    sessions: number;
    availableSessions: number;
    leasedSessions: number;
    coolingSessions: number;
    sessionsCreated: number;
    sessionsRetired: number;
    retiredByReason: Record<RetireReason, number>;
    activeLeases: number;
    leasesGranted: number;
    waitingAcquires: number;
    acquireTimeouts: number;
    markedGood: number;
    markedBad: number;
    rateLimited: number;
    malformedCookies: number;
    /** Cookies pushed out of sessions by the per-session bound (a site setting ever more cookies). */
    cookiesEvicted: number;
    proxiesBenched: number;
    /** Uses after which sessions are retired because blocks showed the site's budget (learnUsageLimit); undefined until learned. */
    learnedUsageLimit: number | undefined;
    /** Leases of dead (or disconnected) workers of a shared pool that expired and were taken back (0 in-process). */
    leasesExpired: number;
    proxies: ProxyStats[];
}

export interface SessionPoolEvents {
    sessionCreated: [session: Session];
    sessionRetired: [session: Session, reason: RetireReason];
    sessionCooledDown: [session: Session, untilMs: number];
    proxyBenched: [proxy: ProxyStats];
    proxyRevived: [proxy: ProxyStats];
    persisted: [info: { sessions: number; where: string }];
}

/**
 * Hands sessions to requests and learns from their outcomes: reuses healthy sessions before minting,
 * leases them exclusively, cools them (and their proxy) down on rate limits, benches proxies that keep
 * getting blocked, waits instead of failing when everything is busy, and persists its state.
 *
 * Where the sessions live is its backend's business: in this process (the default), or in a shared store
 * (`store: new RedisSessionStore(…)` from @sessionkit/redis) for one pool used by many processes. The API
 * is the same; see the shared backend for what differs (background writes, stats from a snapshot).
 */
export class SessionPool extends EventEmitter<SessionPoolEvents> implements SessionOwner {
    readonly maxPoolSize: number;
    readonly maxConcurrencyPerSession: number;
    readonly acquireTimeoutMs: number;
    /** Limits of the pool's sessions (shared by all of them). */
    readonly sessionLimits: SessionLimits;
    readonly proxyConfiguration: ProxyConfiguration | undefined;
    readonly persistMode: boolean | 'explicit';
    readonly persistStateKey: string;
    readonly store: SessionStore | undefined;
    readonly log: Log;

    private readonly settings: PoolSettings;
    private readonly backend: PoolBackend;
    private readonly waiters: WaiterQueue;
    private readonly ownsStore: boolean;
    private readonly counters: PoolCounters = {
        created: 0,
        retired: 0,
        leasesGranted: 0,
        acquireTimeouts: 0,
        markedGood: 0,
        markedBad: 0,
        rateLimited: 0,
        malformedCookies: 0,
        cookiesEvicted: 0,
        proxiesBenched: 0,
        retiredByReason: Object.fromEntries(RETIRE_REASONS.map((reason) => [reason, 0])) as Record<RetireReason, number>,
    };
    private persistTimer: NodeJS.Timeout | undefined;
    private dirty = false;
    private initialized = false;
    private initializing: Promise<void> | undefined;
    private closed = false;

    constructor(options: SessionPoolOptions = {}) {
        super();
        const settings = resolvePoolSettings(options);
        this.settings = settings;
        this.log = resolvePoolLog(options);
        this.maxPoolSize = settings.maxPoolSize;
        this.maxConcurrencyPerSession = settings.maxConcurrencyPerSession;
        this.acquireTimeoutMs = settings.acquireTimeoutMs;
        this.sessionLimits = settings.sessionLimits;
        this.proxyConfiguration = settings.proxyConfiguration;
        this.persistMode = settings.persistMode;
        this.persistStateKey = settings.persistStateKey;
        this.ownsStore = this.persistMode !== false && options.store === undefined;
        this.store = this.persistMode === false ? options.store : (options.store ?? new FileSessionStore());
        if (this.store && this.persistMode !== false) this.store.describe(this.persistStateKey); // validates the key early

        this.waiters = new WaiterQueue((waiter) => {
            this.counters.acquireTimeouts += 1;
            return timeoutError(waiter, this.backend.waitState());
        });
        const host = this.hostView();
        this.backend = isSharedSessionStore(options.store) ? new RemoteBackend(host, options.store, this.persistStateKey) : new MemoryBackend(host);
    }

    /** What the backend may use of the pool. */
    private hostView(): PoolHost {
        // eslint-disable-next-line @typescript-eslint/no-this-alias
        const pool = this;
        return {
            settings: this.settings,
            log: this.log,
            counters: this.counters,
            waiters: this.waiters,
            owner: this,
            get closed() {
                return pool.closed;
            },
            emit: this.emit.bind(this) as PoolHost['emit'],
            buildSession: (id, proxyUrl, now) => buildSession(this, this.settings, id, proxyUrl, now),
            sessionToAdd: (options) => sessionToAdd(this, this.settings, options),
            countRetired: (reason) => {
                this.counters.retired += 1;
                this.counters.retiredByReason[reason] += 1;
            },
            markDirty: () => {
                this.dirty = true;
            },
        };
    }

    /** Creates a pool and loads its persisted state, or joins its shared store (seed: `openSessionPool`). */
    static async open(options: SessionPoolOptions = {}): Promise<SessionPool> {
        const pool = new SessionPool(options);
        await pool.initialize();
        return pool;
    }

    /** Loads the persisted state (when persistence is on) and starts the persist timer, or connects to the shared store. Idempotent. */
    initialize(): Promise<void> {
        if (this.initialized) return Promise.resolve();
        if (this.closed) return Promise.reject(new SessionPoolClosedError('initialize'));
        this.initializing ??= this.doInitialize().catch((error: unknown) => {
            this.initializing = undefined; // the next call tries again (e.g. the shared store is back)
            throw error;
        });
        return this.initializing;
    }

    private async doInitialize(): Promise<void> {
        await this.backend.open();
        if (this.backend.persists && this.persistMode !== false && this.store) await this.restore(this.store);
        if (this.backend.persists && this.persistMode === true) {
            this.persistTimer = setInterval(() => {
                void this.persistState().catch((error: unknown) => this.log.error(`Persisting the session pool failed: ${(error as Error).message}`));
            }, this.settings.persistIntervalMs);
            this.persistTimer.unref();
        }
        this.initialized = true;
    }

    // ------------------------------------------------------------------ counts (O(1) in-process)

    /** Sessions alive (not retired). Expired ones are retired as the pool meets them. */
    get usableSessionsCount(): number {
        return this.backend.usableSessionCount();
    }

    /** Sessions retired since the pool started (a shared pool: pool-wide, from a snapshot at most ~1 s old). */
    get retiredSessionsCount(): number {
        return this.backend.gauges().sessionsRetired ?? this.counters.retired;
    }

    get size(): number {
        return this.backend.sessionCount();
    }

    get availableSessionsCount(): number {
        return this.backend.gauges().availableSessions;
    }

    get coolingSessionsCount(): number {
        return this.backend.gauges().coolingSessions;
    }

    get leasedSessionsCount(): number {
        return this.backend.gauges().leasedSessions;
    }

    /** True after `teardown()`. */
    get isTornDown(): boolean {
        return this.closed;
    }

    get waitingCount(): number {
        return this.waiters.size;
    }

    // ------------------------------------------------------------------ leases

    /**
     * Leases a session for one use: a warm, idle one when there is one; otherwise a new one while the pool
     * has room; otherwise waits (up to the timeout) for one to be released, cool down or be replaced.
     */
    acquire(options: AcquireOptions = {}): Promise<SessionLease> {
        // Not async: the backend's promise is returned as is (no second promise per call on the hot path).
        if (this.closed) return Promise.reject(new SessionPoolClosedError('acquire a session'));
        if (options.signal?.aborted) return Promise.reject(abortReason(options.signal));
        if (options.timeoutSecs !== undefined) {
            try {
                checkDurationSecs('acquire({ timeoutSecs })', options.timeoutSecs);
            } catch (error) {
                return Promise.reject(error);
            }
        }
        const timeoutMs = options.timeoutSecs !== undefined ? options.timeoutSecs * 1000 : this.acquireTimeoutMs;
        const request = { timeoutMs, sessionId: options.sessionId, signal: options.signal };
        if (!this.initialized) return this.initialize().then(() => this.backend.acquire(request));
        return this.backend.acquire(request);
    }

    // ------------------------------------------------------------------ seed API

    /**
     * Seed API (non-exclusive): with an id, that session if it is usable, else undefined. Without, a usable
     * session — an idle one first, a new one while the pool has room, else the least recently used busy one.
     */
    getSession(): Promise<Session>;
    getSession(sessionId: string): Promise<Session | undefined>;
    getSession(sessionId?: string): Promise<Session | undefined> {
        if (this.closed) return Promise.reject(new SessionPoolClosedError('get a session'));
        if (!this.initialized) return this.initialize().then(() => this.backend.getSession(sessionId));
        return this.backend.getSession(sessionId);
    }

    /** Adds a session (options or a Session built with `sessionPool: pool`). Throws when full or the id is taken. */
    async addSession(options: SessionOptions | Session = {}): Promise<Session> {
        if (this.closed) throw new SessionPoolClosedError('add a session');
        if (!this.initialized) await this.initialize();
        return this.backend.addSession(options);
    }

    /** Retires a session of this pool (by object or id). */
    retireSession(sessionOrId: Session | string, reason: RetireReason = 'manual'): boolean {
        return this.backend.retireSession(sessionOrId, reason);
    }

    /** Judges a response by status code and headers: blocked, rate limited, or fine as far as sessions go. */
    classifyResponse(statusCode: number, headers?: Record<string, string | string[] | undefined>): ResponseVerdict {
        const limits = this.sessionLimits;
        if (limits.blockedStatusCodes.includes(statusCode)) return { kind: 'blocked', statusCode };
        const retryAfter = headers ? (headers['retry-after'] ?? findHeader(headers, 'retry-after')) : undefined;
        if (limits.rateLimitStatusCodes.includes(statusCode) || (statusCode === 503 && retryAfter !== undefined)) {
            return { kind: 'rateLimited', statusCode, retryAfterMs: parseRetryAfterMs(retryAfter) };
        }
        return { kind: 'ok' };
    }

    // ------------------------------------------------------------------ SessionOwner (called by sessions)

    /** @internal */
    onSessionMarked(session: Session, outcome: 'good' | 'bad', blameProxy: boolean): void {
        this.backend.onSessionMarked(session, outcome, blameProxy);
    }

    /** @internal */
    onSessionRetired(session: Session, reason: RetireReason): void {
        this.backend.onSessionRetired(session, reason);
    }

    /** @internal */
    onSessionCoolDown(session: Session, retryAfterMs: number | undefined, statusCode: number | undefined): void {
        this.backend.onSessionCoolDown(session, retryAfterMs, statusCode);
    }

    /** @internal */
    onSessionChanged(session: Session): void {
        this.backend.onSessionChanged(session);
    }

    /** @internal */
    onCookieRejected(session: Session, raw: string, url: string, error: unknown): void {
        this.counters.malformedCookies += 1;
        this.log.debug(`Skipped a cookie for session ${session.id} from ${url}: ${(error as Error)?.message ?? String(error)}`, {
            cookie: raw.length > 120 ? `${raw.slice(0, 120)}…` : raw,
        });
    }

    /** @internal */
    onCookiesEvicted(_session: Session, count: number): void {
        this.counters.cookiesEvicted += count;
    }

    // ------------------------------------------------------------------ state

    /**
     * Stats, without waiting. In-process: exact. A shared pool: this worker's activity (sessionsCreated,
     * sessionsRetired, retiredByReason, leasesGranted, markedGood, markedBad, rateLimited, acquireTimeouts,
     * malformedCookies, waitingAcquires, activeLeases) — summed over the workers they give the pool's totals —
     * and pool-wide gauges from a snapshot at most ~1 s old; `fetchStats()` gives everything pool-wide and fresh.
     */
    getStats(): SessionPoolStats {
        return this.toStats(this.backend.gauges(), this.backend.proxyStates(Date.now()), undefined, 0);
    }

    /** Stats read now: in-process the same as getStats(); a shared pool reads them from its store (all workers). */
    async fetchStats(): Promise<SessionPoolStats> {
        if (!this.closed && !this.initialized) await this.initialize();
        const fetched: FetchedGauges = await this.backend.fetchGauges();
        return this.toStats(fetched, fetched.proxies, fetched.counters, fetched.leasesExpired);
    }

    private toStats(gauges: PoolGauges, proxies: ProxyStats[], totals: FetchedGauges['counters'], leasesExpired: number): SessionPoolStats {
        const counters = this.counters;
        const activity = totals ?? counters;
        return {
            maxPoolSize: this.maxPoolSize,
            sessions: gauges.sessions,
            availableSessions: gauges.availableSessions,
            leasedSessions: gauges.leasedSessions,
            coolingSessions: gauges.coolingSessions,
            sessionsCreated: activity.created,
            sessionsRetired: activity.retired,
            retiredByReason: { ...activity.retiredByReason },
            activeLeases: gauges.activeLeases,
            leasesGranted: activity.leasesGranted,
            waitingAcquires: this.waiters.size,
            acquireTimeouts: counters.acquireTimeouts,
            markedGood: activity.markedGood,
            markedBad: activity.markedBad,
            rateLimited: activity.rateLimited,
            malformedCookies: counters.malformedCookies,
            cookiesEvicted: counters.cookiesEvicted,
            proxiesBenched: gauges.proxiesBenched ?? counters.proxiesBenched,
            learnedUsageLimit: gauges.learnedUsageLimit,
            leasesExpired,
            proxies: proxies.map(publicProxyStats),
        };
    }

    /** The state that `persistState()` writes: live sessions only, plus proxy health. */
    getState(): PersistedPoolState {
        const now = Date.now();
        return buildState(this.backend.sessionStates(now), this.backend.proxyStates(now), now);
    }

    /**
     * Writes the state to the store when something changed since the last write. Returns whether it wrote.
     * A shared pool returns false: its store is the state, every change is in it already.
     */
    async persistState(): Promise<boolean> {
        if (!this.backend.persists) return false;
        if (!this.store) {
            throw new InvalidOptionError('store', undefined, 'is needed to persist state (persistence is off: pass persist and a store)');
        }
        if (!this.dirty) return false;
        this.dirty = false;
        const state = this.getState();
        try {
            await this.store.save(this.persistStateKey, state);
        } catch (error) {
            this.dirty = true;
            throw error;
        }
        const where = this.store.describe(this.persistStateKey);
        this.log.debug(`Persisted ${state.sessions.length} sessions to ${where}`);
        this.emit('persisted', { sessions: state.sessions.length, where });
        return true;
    }

    private async restore(store: SessionStore): Promise<void> {
        const loaded = await loadState(store, this.persistStateKey, this, this.log);
        if (!loaded) return;
        const kept = this.backend.restore(loaded.sessions, loaded.proxies, Date.now());
        if (loaded.sessions.length > kept) {
            this.log.warning(`${loaded.where} held ${loaded.sessions.length} sessions; kept ${kept} (maxPoolSize).`);
        }
        this.dirty = false;
        this.log.debug(`Restored ${kept} sessions from ${loaded.where}`);
    }

    /**
     * Persists (unless persistence is off), rejects waiters, stops timers. The pool cannot be used afterwards.
     * A shared pool waits for the updates still on their way to its store and gives back the leases this
     * worker holds; other workers carry on with the pool.
     */
    async teardown(): Promise<void> {
        if (this.closed) return;
        if (this.initializing) await this.initializing.catch(() => undefined);
        if (this.persistTimer) clearInterval(this.persistTimer);
        this.persistTimer = undefined;
        if (this.backend.persists && this.persistMode === true && this.store && this.initialized) await this.persistState();
        this.closed = true;
        this.waiters.rejectAll(() => new SessionPoolClosedError('acquire a session'));
        await this.backend.close();
        await this.store?.unlock?.(this.persistStateKey);
        if (this.ownsStore) await this.store?.close?.();
    }

    /** Sessions alive now (a snapshot array; O(n), not for hot paths). A shared pool: the ones this worker has seen. */
    getSessions(): Session[] {
        return this.backend.getSessions();
    }
}

/** Seed API: `openSessionPool(options)` = `SessionPool.open(options)`. */
export function openSessionPool(options: SessionPoolOptions = {}): Promise<SessionPool> {
    return SessionPool.open(options);
}

function findHeader(headers: Record<string, string | string[] | undefined>, name: string): string | string[] | undefined {
    for (const key in headers) if (key.length === name.length && key.toLowerCase() === name) return headers[key];
    return undefined;
}
