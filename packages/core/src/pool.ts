import { EventEmitter } from 'node:events';
import { CorruptStateError, InvalidOptionError, SessionPoolCapacityError, SessionPoolClosedError, SessionPoolTimeoutError, SessionUnavailableError } from './errors.js';
import { generateSessionId } from './ids.js';
import { Log, type LogLevel } from './log.js';
import {
    ProxyConfiguration,
    type ProxyConfigurationOptions,
    type ProxyEntry,
    ProxyHealth,
    type ProxyHealthState,
    type ProxyInfo,
    type ProxyStats,
    validateProxyUrl,
} from './proxy.js';
import { parseRetryAfterMs } from './retry-after.js';
import {
    DEFAULT_SESSION_LIMITS,
    RETIRE_REASONS,
    type RetireReason,
    Session,
    type SessionLimits,
    type SessionOptions,
    type SessionOwner,
    type SessionState,
    resolveSessionLimits,
    validateSessionOptions,
} from './session.js';
import { FileSessionStore, type PersistedPoolState, STATE_FORMAT, STATE_VERSION, type SessionStore } from './store.js';
import { AvailableList, CoolingHeap } from './structures.js';
import { UsageLimitLearner } from './usage-limit.js';
import { type AcquireWaiter, abortReason, armWaiter, disarmWaiter } from './waiter.js';
import { checkBoolean, checkFunction, checkKnownKeys, checkNumber, checkObject, checkStatusCodes, checkString } from './validate.js';

export interface CreateSessionFunctionOptions {
    /** The pool's `sessionOptions` plus `sessionPool` and the chosen `proxyUrl`: pass them to `new Session()`. */
    sessionOptions: SessionOptions & { sessionPool: SessionPool; id: string };
}

export interface SessionPoolOptions {
    /** Most sessions alive at once. Default 1000. */
    maxPoolSize?: number;
    /** Options of every new session (limits, userData). */
    sessionOptions?: SessionOptions;
    /** Builds sessions yourself; must pass `sessionOptions` (it holds `sessionPool`) to `new Session()`. */
    createSessionFunction?: (pool: SessionPool, options: CreateSessionFunctionOptions) => Session | Promise<Session>;
    /** Codes that retire a session. Default [401, 403]. A code listed here and in `rateLimitStatusCodes` counts as blocked. */
    blockedStatusCodes?: number[];
    /** Codes that cool the session and its proxy down instead of retiring them. Default [429]. 503 with Retry-After always does. */
    rateLimitStatusCodes?: number[];
    /** Concurrent leases one session may hold. Default 1: a simulated user does one thing at a time. */
    maxConcurrencyPerSession?: number;
    /** How long `acquire()` waits for a free session before failing. Default 60. */
    acquireTimeoutSecs?: number;
    proxyConfiguration?: ProxyConfiguration | ProxyConfigurationOptions;
    /** Consecutive blocks/errors that bench a proxy. Default 3. */
    proxyBanThreshold?: number;
    /** First bench of a proxy; doubles each time, with jitter. Default 30. */
    proxyBenchSecs?: number;
    /** Longest bench. Default 600. */
    proxyMaxBenchSecs?: number;
    /** Backoff base for a rate limit without Retry-After. Default 1. */
    rateLimitBackoffSecs?: number;
    /** Longest rate-limit backoff. Default 60. */
    rateLimitMaxBackoffSecs?: number;
    /** Longest cooldown of a session and its proxy, even when Retry-After asks for more. Default 600. */
    maxCooldownSecs?: number;
    /**
     * Learn the site's per-visitor page budget: when sessions keep getting blocked after the same number of
     * uses, retire them (reason 'maxUsageCount') as they reach it instead of paying a blocked request each.
     * Default true (local pools; a shared pool enforces only maxUsageCount).
     */
    learnUsageLimit?: boolean;
    /** true: load at start, save every `persistIntervalSecs` when changed and at teardown. 'explicit': load at start, save on `persistState()` only. false: never. Default true. */
    persist?: boolean | 'explicit';
    /** Key of the state in the store. Default 'SESSION_POOL_STATE'. */
    persistStateKey?: string;
    /** Default 60. */
    persistIntervalSecs?: number;
    /** Default: a FileSessionStore under ./storage/session-pools. */
    store?: SessionStore;
    log?: Log;
    logLevel?: LogLevel;
    /** Random source for jitter (tests pass a seeded one). Default Math.random. */
    random?: () => number;
}

const POOL_OPTION_KEYS: ReadonlySet<string> = new Set([
    'maxPoolSize',
    'sessionOptions',
    'createSessionFunction',
    'blockedStatusCodes',
    'rateLimitStatusCodes',
    'maxConcurrencyPerSession',
    'acquireTimeoutSecs',
    'proxyConfiguration',
    'proxyBanThreshold',
    'proxyBenchSecs',
    'proxyMaxBenchSecs',
    'rateLimitBackoffSecs',
    'rateLimitMaxBackoffSecs',
    'maxCooldownSecs',
    'learnUsageLimit',
    'persist',
    'persistStateKey',
    'persistIntervalSecs',
    'store',
    'log',
    'logLevel',
    'random',
]);

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
 * One use of a session. Hold it while the request runs, judge the session through `lease.session`
 * (markGood / markBad / retire / coolDown), then `release()` exactly once.
 */
export class SessionLease {
    readonly session: Session;
    /** @internal */ readonly _pool: SessionPool;
    private _released = false;

    /** @internal */
    constructor(pool: SessionPool, session: Session) {
        this._pool = pool;
        this.session = session;
    }

    get released(): boolean {
        return this._released;
    }

    get proxyUrl(): string | undefined {
        return this.session.proxyUrl;
    }

    get proxyInfo(): ProxyInfo | undefined {
        return (this.session._proxy as ProxyEntry | undefined)?.proxyInfo;
    }

    /** Gives the session back. Idempotent: returns false when already released. */
    release(): boolean {
        if (this._released) return false;
        this._released = true;
        this._pool._release(this.session);
        return true;
    }
}

/** Builds the pool of a SharedSessionStore, or returns undefined for any other store. */
type SharedPoolFactory = (options: SessionPoolOptions) => SessionPool | undefined;
let sharedPoolFactory: SharedPoolFactory | undefined;

/**
 * @internal Lets shared.ts plug in SharedSessionPool, so that `new SessionPool({ store })` with a
 * SharedSessionStore builds one. (shared.ts imports this module to extend SessionPool: it cannot be imported here.)
 */
export function _registerSharedPoolFactory(factory: SharedPoolFactory): void {
    sharedPoolFactory = factory;
}

interface Waiter extends AcquireWaiter {
    /** Counted in `waitingCount` until settled. */
    queued: boolean;
}

/**
 * Hands sessions to requests and learns from their outcomes: reuses healthy sessions before minting,
 * leases them exclusively, cools them (and their proxy) down on rate limits, benches proxies that keep
 * getting blocked, waits instead of failing when everything is busy, and persists its state.
 */
export class SessionPool extends EventEmitter<SessionPoolEvents> implements SessionOwner {
    // `!`: assigned in the constructor, unless it returns a SharedSessionPool instead (see the constructor).
    readonly maxPoolSize!: number;
    readonly maxConcurrencyPerSession!: number;
    readonly acquireTimeoutMs!: number;
    /** Limits of the pool's sessions (shared by all of them). */
    readonly sessionLimits!: SessionLimits;
    readonly proxyConfiguration: ProxyConfiguration | undefined;
    readonly persistMode!: boolean | 'explicit';
    readonly persistStateKey!: string;
    readonly store: SessionStore | undefined;
    readonly log!: Log;

    private readonly sessionOptions!: SessionOptions;
    private readonly createSessionFunction: SessionPoolOptions['createSessionFunction'];
    private readonly persistIntervalMs!: number;
    private readonly ownsStore!: boolean;
    private readonly proxyHealth!: ProxyHealth;
    private readonly random!: () => number;

    private readonly sessions = new Map<string, Session>();
    /** @internal */ protected readonly usageLimit: UsageLimitLearner | undefined;
    private readonly available = new AvailableList();
    private readonly cooling = new CoolingHeap();
    private waiters: Waiter[] = [];
    private waitersHead = 0;
    private readonly pinnedWaiters = new Map<string, Waiter[]>();
    private creating = 0;
    /** Acquires queued and not yet settled (timed-out and aborted ones leave the queue lazily). */
    private waiting = 0;
    /** After a mint found no route that takes new sessions, minting waits until then (never retries in a loop). */
    private mintRetryAt = 0;
    private leasedSessionCount = 0;
    private activeLeases = 0;
    private draining = false;
    private drainAgain = false;
    private wakeTimer: NodeJS.Timeout | undefined;
    private wakeAt = Number.POSITIVE_INFINITY;
    private persistTimer: NodeJS.Timeout | undefined;
    private dirty = false;
    private initialized = false;
    private initializing: Promise<void> | undefined;
    private closed = false;
    private lastExpirySweep = 0;
    /** Activity counters of this pool (a shared pool: of this worker). */
    protected readonly counters = {
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
    };
    protected readonly retiredByReason = Object.fromEntries(RETIRE_REASONS.map((reason) => [reason, 0])) as Record<RetireReason, number>;

    constructor(options: SessionPoolOptions = {}) {
        super();
        // A SharedSessionStore (e.g. @sessionkit/redis) coordinates one pool across processes: build its pool instead.
        if (new.target === SessionPool && sharedPoolFactory !== undefined && typeof options === 'object' && options !== null && options.store !== undefined) {
            const shared = sharedPoolFactory(options);
            if (shared) return shared;
        }
        validatePoolOptions(options);
        this.log = options.log ?? new Log({ prefix: 'SessionPool', ...(options.logLevel ? { level: options.logLevel } : {}) });
        if (options.log && options.logLevel) this.log.level = options.logLevel;
        this.maxPoolSize = options.maxPoolSize ?? 1000;
        this.maxConcurrencyPerSession = options.maxConcurrencyPerSession ?? 1;
        this.acquireTimeoutMs = (options.acquireTimeoutSecs ?? 60) * 1000;
        this.sessionOptions = options.sessionOptions ?? {};
        this.createSessionFunction = options.createSessionFunction;
        this.random = options.random ?? Math.random;
        this.usageLimit = options.learnUsageLimit === false ? undefined : new UsageLimitLearner();

        const blocked = options.blockedStatusCodes ?? [401, 403];
        const rateLimit = (options.rateLimitStatusCodes ?? [429]).filter((code) => !blocked.includes(code));
        this.sessionLimits = resolveSessionLimits(this.sessionOptions, {
            ...DEFAULT_SESSION_LIMITS,
            blockedStatusCodes: Object.freeze([...blocked]),
            rateLimitStatusCodes: Object.freeze(rateLimit),
        });

        const proxyConfiguration = options.proxyConfiguration;
        this.proxyConfiguration =
            proxyConfiguration === undefined || proxyConfiguration instanceof ProxyConfiguration
                ? proxyConfiguration
                : new ProxyConfiguration(proxyConfiguration);
        this.proxyHealth = new ProxyHealth(
            {
                banThreshold: options.proxyBanThreshold ?? 3,
                benchBaseMs: (options.proxyBenchSecs ?? 30) * 1000,
                benchMaxMs: (options.proxyMaxBenchSecs ?? 600) * 1000,
                rateLimitBaseMs: (options.rateLimitBackoffSecs ?? 1) * 1000,
                rateLimitMaxMs: (options.rateLimitMaxBackoffSecs ?? 60) * 1000,
                maxCooldownMs: (options.maxCooldownSecs ?? 600) * 1000,
                random: this.random,
            },
            (entry, from, to) => this.onProxyTransition(entry, from, to),
        );
        // Proxies are known up front so stats list them even before their first session.
        for (const url of this.proxyConfiguration?.proxyUrls ?? []) this.proxyHealth.entry(url);

        this.persistMode = options.persist ?? true;
        this.persistStateKey = options.persistStateKey ?? 'SESSION_POOL_STATE';
        this.persistIntervalMs = (options.persistIntervalSecs ?? 60) * 1000;
        this.ownsStore = this.persistMode !== false && options.store === undefined;
        this.store = this.persistMode === false ? options.store : (options.store ?? new FileSessionStore());
        if (this.store && this.persistMode !== false) this.store.describe(this.persistStateKey); // validates the key early
    }

    /** Creates a pool and loads its persisted state (seed: `openSessionPool`). */
    static async open(options: SessionPoolOptions = {}): Promise<SessionPool> {
        const pool = new SessionPool(options);
        await pool.initialize();
        return pool;
    }

    /** Loads the persisted state (when persistence is on) and starts the persist timer. Idempotent. */
    initialize(): Promise<void> {
        if (this.initialized) return Promise.resolve();
        this.initializing ??= this.doInitialize();
        return this.initializing;
    }

    private async doInitialize(): Promise<void> {
        if (this.closed) throw new SessionPoolClosedError('initialize');
        if (this.persistMode !== false && this.store) await this.restore(this.store);
        if (this.persistMode === true) {
            this.persistTimer = setInterval(() => {
                void this.persistState().catch((error: unknown) => this.log.error(`Persisting the session pool failed: ${(error as Error).message}`));
            }, this.persistIntervalMs);
            this.persistTimer.unref();
        }
        this.initialized = true;
    }

    // ------------------------------------------------------------------ counts (O(1))

    /** Sessions alive (not retired). Expired ones are retired as the pool meets them. */
    get usableSessionsCount(): number {
        this.sweepExpired(Date.now());
        return this.sessions.size;
    }

    /** Sessions retired since the pool started. */
    get retiredSessionsCount(): number {
        return this.counters.retired;
    }

    get size(): number {
        return this.sessions.size;
    }

    get availableSessionsCount(): number {
        return this.available.size;
    }

    get coolingSessionsCount(): number {
        return this.cooling.size;
    }

    get leasedSessionsCount(): number {
        return this.leasedSessionCount;
    }

    /** True after `teardown()`. */
    get isTornDown(): boolean {
        return this.closed;
    }

    get waitingCount(): number {
        return this.waiting;
    }

    // ------------------------------------------------------------------ leases

    /**
     * Leases a session for one use: a warm, idle one when there is one; otherwise a new one while the pool
     * has room; otherwise waits (up to the timeout) for one to be released, cool down or be replaced.
     */
    async acquire(options: AcquireOptions = {}): Promise<SessionLease> {
        if (this.closed) throw new SessionPoolClosedError('acquire a session');
        if (options.signal?.aborted) throw abortReason(options.signal);
        if (!this.initialized) await this.initialize();
        if (options.sessionId !== undefined) return this.acquirePinned(options);
        const now = Date.now();
        if (this.waitersHead === this.waiters.length) {
            this.promoteCooled(now);
            const session = this.pickAvailable(now);
            if (session) return this.lease(session);
            if (this.canMint() && this.mintableRouteExists(now)) {
                const minted = await this.mint(now, true);
                if (minted && !minted.retired) return this.lease(minted, true);
            }
        }
        return this.enqueueWaiter(options, undefined);
    }

    private async acquirePinned(options: AcquireOptions): Promise<SessionLease> {
        const id = options.sessionId!;
        const session = this.sessions.get(id);
        if (!session) throw new SessionUnavailableError(id, 'it is retired or was never in this pool');
        const now = Date.now();
        if (this.isLeasable(session, now)) return this.lease(session);
        // Checking it may have retired it (expired, or its proxy was benched): nothing to wait for.
        if (session.retired) throw new SessionUnavailableError(id, `it was retired (${session.retireReason})`);
        return this.enqueueWaiter(options, id);
    }

    private isLeasable(session: Session, now: number): boolean {
        if (session._slot === 2) {
            if (session.cooldownUntilMs > now) return false;
            this.cooling.remove(session);
            session.cooldownUntilMs = 0;
            this.available.push(session);
        }
        return session._slot === 1 && this.checkRoute(session, now);
    }

    private enqueueWaiter(options: AcquireOptions, sessionId: string | undefined): Promise<SessionLease> {
        const timeoutMs = options.timeoutSecs !== undefined ? options.timeoutSecs * 1000 : this.acquireTimeoutMs;
        return new Promise<SessionLease>((resolve, reject) => {
            const waiter: Waiter = {
                resolve,
                reject,
                timer: undefined,
                sessionId,
                settled: false,
                startedAt: Date.now(),
                onAbort: undefined,
                signal: options.signal,
                queued: false,
            };
            const armed = armWaiter(
                waiter,
                timeoutMs,
                () => this.timeOutWaiter(waiter),
                () => this.settleWaiter(waiter),
            );
            if (!armed) return;
            waiter.queued = true;
            this.waiting += 1;
            if (sessionId !== undefined) {
                const list = this.pinnedWaiters.get(sessionId);
                if (list) list.push(waiter);
                else this.pinnedWaiters.set(sessionId, [waiter]);
                this.scheduleWake();
            } else {
                this.waiters.push(waiter);
                this.drain();
            }
        });
    }

    private settleWaiter(waiter: Waiter): void {
        if (waiter.queued) {
            waiter.queued = false;
            this.waiting -= 1;
        }
        disarmWaiter(waiter);
    }

    private timeOutWaiter(waiter: Waiter): void {
        if (waiter.settled) return;
        this.settleWaiter(waiter);
        this.counters.acquireTimeouts += 1;
        waiter.reject(new SessionPoolTimeoutError(this.describeWait(waiter)));
    }

    private describeWait(waiter: Waiter): string {
        const now = Date.now();
        const waited = Math.round((now - waiter.startedAt) / 100) / 10;
        if (waiter.sessionId !== undefined) {
            return `Timed out after ${waited} s waiting for session "${waiter.sessionId}" to be free (it is leased or cooling down).`;
        }
        const benched = this.proxyHealth.all().filter((entry) => this.proxyHealth.isBenched(entry, now)).length;
        const proxies = this.proxyHealth.all().length;
        const nextCool = this.cooling.peek();
        return (
            `Timed out after ${waited} s waiting for a free session: ${this.leasedSessionCount} of ${this.sessions.size} sessions leased, ` +
            `${this.cooling.size} cooling down${nextCool ? ` (next ready in ${Math.max(0, Math.ceil((nextCool.cooldownUntilMs - now) / 1000))} s)` : ''}, ` +
            `maxPoolSize ${this.maxPoolSize}${proxies ? `, ${benched} of ${proxies} proxies benched` : ''}. ` +
            `Raise maxPoolSize, maxConcurrencyPerSession or acquireTimeoutSecs, or lower the crawler's concurrency.`
        );
    }

    private lease(session: Session, fresh = false): SessionLease {
        if (session._leases === 0) this.leasedSessionCount += 1;
        session._leases += 1;
        this.activeLeases += 1;
        this.counters.leasesGranted += 1;
        // A fresh session stays exclusive until its first use completes: its cookie has not arrived yet.
        if (fresh || !session._warm || session._leases >= this.maxConcurrencyPerSession) {
            if (session._slot === 1) this.available.remove(session);
        } else if (session._slot === 1) {
            this.available.rotate(session);
        }
        return new SessionLease(this, session);
    }

    /** @internal Called by SessionLease.release(). */
    _release(session: Session): void {
        session._leases -= 1;
        this.activeLeases -= 1;
        if (session._leases === 0) this.leasedSessionCount -= 1;
        session._warm = true;
        if (session.retired) {
            this.drain();
            return;
        }
        const now = Date.now();
        if (session.isExpired(now)) {
            session.retire('expired');
            return;
        }
        if (this.isRouteBurned(session, now)) {
            session.retire('proxyBenched');
            return;
        }
        if (session.cooldownUntilMs > now) {
            if (session._slot === 1) this.available.remove(session);
            if (session._slot !== 2) this.cooling.push(session);
        } else if (session._slot === 0 && session._leases < this.maxConcurrencyPerSession) {
            this.available.push(session);
        }
        const pinned = this.pinnedWaiters.get(session.id);
        if (pinned) this.servePinned(session, pinned, now);
        this.drain();
    }

    private servePinned(session: Session, list: Waiter[], now: number): void {
        while (list.length > 0 && list[0]!.settled) list.shift();
        if (list.length === 0) {
            this.pinnedWaiters.delete(session.id);
            return;
        }
        if (!this.isLeasable(session, now)) return;
        const waiter = list.shift()!;
        if (list.length === 0) this.pinnedWaiters.delete(session.id);
        this.settleWaiter(waiter);
        waiter.resolve(this.lease(session));
    }

    private rejectPinned(sessionId: string, reason: string): void {
        const list = this.pinnedWaiters.get(sessionId);
        if (!list) return;
        this.pinnedWaiters.delete(sessionId);
        for (const waiter of list) {
            if (waiter.settled) continue;
            this.settleWaiter(waiter);
            waiter.reject(new SessionUnavailableError(sessionId, reason));
        }
    }

    /** Serves queued acquires while sessions are free or can be minted. Re-entrant calls are folded into one loop. */
    private drain(): void {
        if (this.draining) {
            this.drainAgain = true;
            return;
        }
        this.draining = true;
        try {
            do {
                this.drainAgain = false;
                const now = Date.now();
                this.promoteCooled(now);
                while (this.waitersHead < this.waiters.length) {
                    const waiter = this.waiters[this.waitersHead]!;
                    if (waiter.settled) {
                        this.waitersHead += 1;
                        continue;
                    }
                    const session = this.pickAvailable(now);
                    if (session) {
                        this.waitersHead += 1;
                        this.settleWaiter(waiter);
                        waiter.resolve(this.lease(session));
                        continue;
                    }
                    if (this.canMint() && this.mintableRouteExists(now)) {
                        this.waitersHead += 1;
                        void this.mintForWaiter(waiter, now);
                        continue;
                    }
                    break;
                }
            } while (this.drainAgain);
        } finally {
            this.draining = false;
        }
        if (this.waitersHead > 1024 && this.waitersHead * 2 > this.waiters.length) {
            this.waiters = this.waiters.slice(this.waitersHead);
            this.waitersHead = 0;
        }
        this.scheduleWake();
    }

    private async mintForWaiter(waiter: Waiter, now: number): Promise<void> {
        try {
            const session = await this.mint(now, true);
            if (waiter.settled) {
                // The waiter gave up while the session was being made: keep the session for the next one.
                if (session && !session.retired) this.shelve(session);
                this.drain();
                return;
            }
            if (session && !session.retired) {
                this.settleWaiter(waiter);
                waiter.resolve(this.lease(session, true));
                return;
            }
            // No route accepted a session after all: back to the front of the line (mint() deferred minting,
            // so this drain does not try again at once).
            if (this.waitersHead > 0) {
                this.waitersHead -= 1;
                this.waiters[this.waitersHead] = waiter;
            } else {
                this.waiters.unshift(waiter);
            }
            this.drain();
        } catch (error) {
            if (waiter.settled) return;
            this.settleWaiter(waiter);
            waiter.reject(error as Error);
        }
    }

    /** Wakes the queue when the next cooling session or benched proxy becomes available. */
    private scheduleWake(): void {
        const hasQueued = this.waitersHead < this.waiters.length;
        const hasWaiters = hasQueued || this.pinnedWaiters.size > 0;
        if (!hasWaiters || this.closed) {
            if (this.wakeTimer) clearTimeout(this.wakeTimer);
            this.wakeTimer = undefined;
            this.wakeAt = Number.POSITIVE_INFINITY;
            return;
        }
        const now = Date.now();
        let at = this.cooling.peek()?.cooldownUntilMs ?? Number.POSITIVE_INFINITY;
        // Queued acquires (not pinned ones) can also be served by a new session once a route takes one again.
        if (hasQueued && this.canMint()) at = Math.min(at, this.nextMintableAt(now));
        if (!Number.isFinite(at)) return;
        if (this.wakeTimer && this.wakeAt <= at) return;
        if (this.wakeTimer) clearTimeout(this.wakeTimer);
        this.wakeAt = at;
        this.wakeTimer = setTimeout(() => {
            this.wakeTimer = undefined;
            this.wakeAt = Number.POSITIVE_INFINITY;
            const wakeNow = Date.now();
            this.promoteCooled(wakeNow);
            for (const [id, list] of this.pinnedWaiters) {
                const session = this.sessions.get(id);
                if (session) this.servePinned(session, list, wakeNow);
            }
            this.drain();
        }, Math.max(1, at - now + 1));
    }

    // ------------------------------------------------------------------ picking and minting

    /** Moves sessions whose cooldown is over back to the available list. */
    private promoteCooled(now: number): void {
        let top = this.cooling.peek();
        while (top && top.cooldownUntilMs <= now) {
            this.cooling.pop();
            top.cooldownUntilMs = 0;
            if (top._leases < this.maxConcurrencyPerSession) this.available.push(top);
            top = this.cooling.peek();
        }
    }

    /** The least recently used session that can be handed out now; drops expired and proxy-benched ones on the way. */
    private pickAvailable(now: number): Session | undefined {
        let session = this.available.head;
        while (session) {
            const next = session._next;
            if (this.checkRoute(session, now)) return session;
            session = next && next._slot === 1 ? next : this.available.head;
        }
        return undefined;
    }

    /** Whether a listed session can go now; if not, retires or parks it. */
    private checkRoute(session: Session, now: number): boolean {
        const unusable = session._unusableReason(now);
        if (unusable) {
            session.retire(unusable);
            return false;
        }
        const route = session._proxy as ProxyEntry;
        if (this.isRouteBurned(session, now)) {
            session.retire('proxyBenched');
            return false;
        }
        if (route.cooldownUntilMs > now) {
            // The whole route (IP) is rate limited: park the session until the route's cooldown ends.
            this.available.remove(session);
            session.cooldownUntilMs = route.cooldownUntilMs;
            this.cooling.push(session);
            return false;
        }
        return true;
    }

    private canMint(): boolean {
        return this.sessions.size + this.creating < this.maxPoolSize;
    }

    /** The proxy was benched since the session was bound to it (even if the bench is over): its identity is burned. */
    private isRouteBurned(session: Session, now: number): boolean {
        const route = session._proxy as ProxyEntry;
        return this.proxyHealth.isBenched(route, now) || route.timesBenched !== session._routeEpoch;
    }

    /** When some route should take a new session again, by the clock (pool capacity aside). */
    private nextMintableAt(now: number): number {
        const config = this.proxyConfiguration;
        let at: number;
        if (config?.proxyUrls) at = this.proxyHealth.nextAvailableAt(config.proxyUrls, now);
        else if (config) at = now; // newUrlFunction: we learn the route when we ask
        else at = this.proxyHealth.nextAvailableAt(undefined, now);
        return Math.max(at, this.mintRetryAt);
    }

    private mintableRouteExists(now: number): boolean {
        return this.nextMintableAt(now) <= now;
    }

    /** No route took a new session: try again when one should be back, but not sooner than 50 ms nor later than 1 s. */
    private deferMinting(): void {
        const now = Date.now();
        const config = this.proxyConfiguration;
        const urls = config ? (config.proxyUrls ?? this.proxyHealth.all().map((entry) => entry.url)) : undefined;
        const next = urls && urls.length === 0 ? now : this.proxyHealth.nextAvailableAt(urls, now);
        this.mintRetryAt = Math.min(now + 1000, Math.max(now + 50, next));
    }

    /**
     * Creates a session on a healthy route. With `hold` the session is not listed as available: the caller
     * leases it (a fresh session must not be picked by anyone else first). Returns undefined when no route
     * accepts new sessions now.
     */
    private async mint(now: number, hold: boolean): Promise<Session | undefined> {
        this.creating += 1;
        let route: ProxyEntry | undefined;
        let registered = false;
        try {
            const id = generateSessionId();
            route = await this.chooseRoute(id, now);
            if (!route) {
                this.deferMinting();
                return undefined;
            }
            let session: Session;
            if (this.createSessionFunction) {
                const sessionOptions = { ...this.sessionOptions, id, sessionPool: this, ...(route.proxyUrl ? { proxyUrl: route.proxyUrl } : {}) };
                session = await this.createSessionFunction(this, { sessionOptions });
                if (!(session instanceof Session)) {
                    throw new InvalidOptionError('createSessionFunction', session, 'must return a Session (from @sessionkit/core)');
                }
                if (!session._isOwnedBy(this)) {
                    throw new InvalidOptionError(
                        'createSessionFunction',
                        session.id,
                        'must build its Session from the sessionOptions it is given (they carry sessionPool, without which the pool never hears of retirements)',
                    );
                }
            } else {
                const userData = this.sessionOptions.userData ? structuredClone(this.sessionOptions.userData) : undefined;
                session = new Session({}, { id, limits: this.sessionLimits, owner: this, now, proxyUrl: route.proxyUrl, userData });
            }
            if (this.closed) throw new SessionPoolClosedError('create a session');
            this.register(session, route, true, hold, true);
            registered = true;
            return session;
        } finally {
            this.creating -= 1;
            if (route && !registered) route.activeSessions -= 1;
        }
    }

    /** Picks the route of a new session and counts the session on it at once (before any await), so concurrent mints see it. */
    private async chooseRoute(sessionId: string, now: number): Promise<ProxyEntry | undefined> {
        const config = this.proxyConfiguration;
        let route: ProxyEntry | undefined;
        if (!config) route = this.proxyHealth.direct.cooldownUntilMs > now ? undefined : this.proxyHealth.direct;
        else if (config.proxyUrls) route = this.proxyHealth.pick(config.proxyUrls, now);
        else {
            // newUrlFunction: ask again (a few times) when it hands out a benched or cooling proxy.
            for (let attempt = 0; attempt < 5 && !route; attempt++) {
                const url = await config.newUrl(sessionId);
                const entry = this.proxyHealth.entry(url);
                if (this.proxyHealth.acceptsNewSession(entry, Date.now())) route = entry;
            }
        }
        if (route) route.activeSessions += 1;
        return route;
    }

    /** `reserved`: `chooseRoute` already counted the session on its route. `hold`: the caller leases it right away. */
    private register(session: Session, route: ProxyEntry, created: boolean, hold = false, reserved = false): void {
        if (this.sessions.has(session.id)) {
            throw new SessionPoolCapacityError(`A session with id "${session.id}" is already in the pool.`);
        }
        session._proxy = route;
        session._routeEpoch = route.timesBenched;
        this.sessions.set(session.id, session);
        if (!reserved) route.activeSessions += 1;
        if (created) {
            route.sessionsCreated += 1;
            this.counters.created += 1;
        }
        if (!hold) this.shelve(session);
        this.dirty = true;
        if (created) this.emit('sessionCreated', session);
    }

    /** Lists an idle session that is in no list: as available, or as cooling while its cooldown lasts. */
    private shelve(session: Session): void {
        if (session._slot !== 0 || session._leases > 0 || session.retired) return;
        if (session.cooldownUntilMs > Date.now()) this.cooling.push(session);
        else this.available.push(session);
    }

    /** Retires expired sessions from the oldest end; pool sessions expire in creation order. */
    private sweepExpired(now: number): void {
        if (now - this.lastExpirySweep < 1000) return;
        this.lastExpirySweep = now;
        for (const session of this.sessions.values()) {
            if (!session.isExpired(now)) break;
            session.retire('expired');
        }
    }

    // ------------------------------------------------------------------ seed API

    /**
     * Seed API (non-exclusive): with an id, that session if it is usable, else undefined. Without, a usable
     * session — an idle one first, a new one while the pool has room, else the least recently used busy one.
     */
    getSession(): Promise<Session>;
    getSession(sessionId: string): Promise<Session | undefined>;
    async getSession(sessionId?: string): Promise<Session | undefined> {
        if (this.closed) throw new SessionPoolClosedError('get a session');
        if (!this.initialized) await this.initialize();
        const now = Date.now();
        if (sessionId !== undefined) {
            const session = this.sessions.get(sessionId);
            return session && session.isUsable(now) ? session : undefined;
        }
        this.sweepExpired(now);
        this.promoteCooled(now);
        const idle = this.pickAvailable(now);
        if (idle) {
            this.available.rotate(idle);
            return idle;
        }
        if (this.canMint() && this.mintableRouteExists(now)) {
            const minted = await this.mint(now, false);
            if (minted && !minted.retired) return minted;
        }
        for (const session of this.sessions.values()) if (session.isUsable(now)) return session;
        // Every slot is taken by sessions being created right now; wait for one like acquire() does.
        const lease = await this.acquire();
        lease.release();
        return lease.session;
    }

    /** Adds a session (options or a Session built with `sessionPool: pool`). Throws when full or the id is taken. */
    async addSession(options: SessionOptions | Session = {}): Promise<Session> {
        if (this.closed) throw new SessionPoolClosedError('add a session');
        if (!this.initialized) await this.initialize();
        if (!this.canMint()) {
            throw new SessionPoolCapacityError(`Cannot add a session: the pool is full (maxPoolSize ${this.maxPoolSize}). Retire sessions or raise maxPoolSize.`);
        }
        if (!(options instanceof Session) && Object.keys(options).length === 0) {
            // The common case: a session exactly like the pool mints, on a healthy proxy, without re-validation.
            const minted = await this.mint(Date.now(), false);
            if (!minted) {
                throw new SessionPoolCapacityError('Cannot add a session: no proxy accepts new sessions now (all benched or cooling down).');
            }
            this.drain();
            return minted;
        }
        const session = this.sessionToAdd(options);
        // register() refuses an id already in the pool.
        this.register(session, this.proxyHealth.entry(session.proxyUrl), true);
        this.drain();
        return session;
    }

    /**
     * The Session that `addSession(options)` adds: a given Session of this pool, or one built from the pool's
     * `sessionOptions` and `options` (validated). Shared by the local and the shared pool.
     */
    protected sessionToAdd(options: SessionOptions | Session): Session {
        let session: Session;
        if (options instanceof Session) {
            session = options;
            if (session.retired) throw new SessionPoolCapacityError(`Cannot add session "${session.id}": it is retired.`);
            if (!session._isOwnedBy(this)) {
                throw new InvalidOptionError(
                    'addSession()',
                    session.id,
                    'takes a Session built with { sessionPool: pool } for this pool (otherwise the pool never hears of its retirement)',
                );
            }
        } else {
            validateSessionOptions(options, 'addSession()');
            session = new Session({ ...this.sessionOptions, ...options, sessionPool: this });
        }
        if (session.proxyUrl !== undefined) validateProxyUrl('proxyUrl', session.proxyUrl);
        return session;
    }

    /** Retires a session of this pool (by object or id). */
    retireSession(sessionOrId: Session | string, reason: RetireReason = 'manual'): boolean {
        const session = typeof sessionOrId === 'string' ? this.sessions.get(sessionOrId) : sessionOrId;
        if (!session || session.retired) return false;
        session.retire(reason);
        return true;
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
        this.dirty = true;
        const route = session._proxy as ProxyEntry | undefined;
        if (outcome === 'good') {
            this.counters.markedGood += 1;
            if (route) this.proxyHealth.recordSuccess(route);
        } else {
            this.counters.markedBad += 1;
            if (route && blameProxy) this.proxyHealth.recordFailure(route, 'error', Date.now());
        }
        const learnedLimit = this.usageLimit?.limit;
        if (learnedLimit !== undefined && session.usageCount >= learnedLimit) session.retire('maxUsageCount');
    }

    /** @internal */
    onSessionRetired(session: Session, reason: RetireReason): void {
        if (this.sessions.get(session.id) !== session) {
            // Built with { sessionPool: pool } but never added: the pool is only its event emitter.
            this.emit('sessionRetired', session, reason);
            return;
        }
        this.sessions.delete(session.id);
        if (session._slot === 1) this.available.remove(session);
        else if (session._slot === 2) this.cooling.remove(session);
        const route = session._proxy as ProxyEntry;
        route.activeSessions -= 1;
        if (reason === 'blocked' || reason === 'manual') this.proxyHealth.recordFailure(route, 'block', Date.now());
        // retire('blocked') counted the blocked use: the budget is the uses before it.
        if (reason === 'blocked' && this.usageLimit?.recordBlock(session.usageCount - 1)) {
            this.log.info(
                `Sessions keep getting blocked after ${this.usageLimit.limit} uses: retiring them at ${this.usageLimit.limit} uses from now on (learnUsageLimit).`,
            );
        }
        this.counters.retired += 1;
        this.retiredByReason[reason] += 1;
        this.dirty = true;
        this.mintRetryAt = 0; // a slot is free (and maybe a probation proxy's one session)
        this.log.debug(`Session ${session.id} retired (${reason})`);
        this.emit('sessionRetired', session, reason);
        this.rejectPinned(session.id, `it was retired (${reason})`);
        this.drain();
    }

    /** @internal */
    onSessionCoolDown(session: Session, retryAfterMs: number | undefined, statusCode: number | undefined): void {
        if (session.retired) return;
        const now = Date.now();
        const route = session._proxy as ProxyEntry | undefined;
        this.counters.rateLimited += 1;
        const until = route
            ? this.proxyHealth.recordRateLimit(route, retryAfterMs, now)
            : now + (retryAfterMs ?? (this.sessionLimits.maxAgeSecs > 0 ? 1000 : 0));
        if (until > session.cooldownUntilMs) session.cooldownUntilMs = until;
        if (session._slot === 1) {
            this.available.remove(session);
            this.cooling.push(session);
        } else if (session._slot === 2) {
            this.cooling.update(session);
        }
        this.dirty = true;
        this.log.debug(`Session ${session.id} cools down for ${until - now} ms${statusCode ? ` after ${statusCode}` : ''}`);
        this.emit('sessionCooledDown', session, session.cooldownUntilMs);
        this.scheduleWake();
    }

    /** @internal */
    onSessionChanged(): void {
        this.dirty = true;
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

    private onProxyTransition(entry: ProxyEntry, from: ProxyHealthState, to: ProxyHealthState): void {
        this.dirty = true;
        if (to !== 'benched') this.mintRetryAt = 0;
        const stats = entry.stats(Date.now());
        if (to === 'benched') {
            this.counters.proxiesBenched += 1;
            this.log.info(`Proxy ${redactProxyUrl(entry.url)} benched until ${stats.benchedUntil} (${entry.blocks} blocks, ${entry.errors} errors)`);
            this.emit('proxyBenched', stats);
        } else if (from === 'benched') {
            this.log.info(`Proxy ${redactProxyUrl(entry.url)} back on probation`);
            this.emit('proxyRevived', stats);
        }
    }

    // ------------------------------------------------------------------ state

    getStats(): SessionPoolStats {
        const now = Date.now();
        const proxies = this.proxyHealth.all().map((entry) => {
            this.proxyHealth.isBenched(entry, now);
            return entry.stats(now);
        });
        return {
            maxPoolSize: this.maxPoolSize,
            sessions: this.sessions.size,
            availableSessions: this.available.size,
            leasedSessions: this.leasedSessionCount,
            coolingSessions: this.cooling.size,
            sessionsCreated: this.counters.created,
            sessionsRetired: this.counters.retired,
            retiredByReason: { ...this.retiredByReason },
            activeLeases: this.activeLeases,
            leasesGranted: this.counters.leasesGranted,
            waitingAcquires: this.waitingCount,
            acquireTimeouts: this.counters.acquireTimeouts,
            markedGood: this.counters.markedGood,
            markedBad: this.counters.markedBad,
            rateLimited: this.counters.rateLimited,
            malformedCookies: this.counters.malformedCookies,
            cookiesEvicted: this.counters.cookiesEvicted,
            proxiesBenched: this.counters.proxiesBenched,
            learnedUsageLimit: this.usageLimit?.limit,
            proxies,
        };
    }

    /** The state that `persistState()` writes: live sessions only, plus proxy health. */
    getState(): PersistedPoolState {
        const now = Date.now();
        const sessions: SessionState[] = [];
        for (const session of this.sessions.values()) if (session.isUsable(now)) sessions.push(session.getState());
        return {
            format: STATE_FORMAT,
            version: STATE_VERSION,
            savedAt: new Date(now).toISOString(),
            sessions,
            proxies: this.proxyHealth.all().map((entry) => entry.stats(now)),
        };
    }

    /** Writes the state to the store when something changed since the last write. Returns whether it wrote. */
    async persistState(): Promise<boolean> {
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
        const key = this.persistStateKey;
        const where = store.describe(key);
        let raw: unknown;
        try {
            raw = await store.load(key);
        } catch (error) {
            if (!(error instanceof CorruptStateError)) throw error;
            await this.discardState(store, key, error.message);
            return;
        }
        if (raw === undefined) return;
        const problem = describeStateProblem(raw);
        if (problem) {
            await this.discardState(store, key, `${where} is not a sessionkit session pool state (${problem})`);
            return;
        }
        const state = raw as PersistedPoolState;
        const now = Date.now();
        const restored: Session[] = [];
        try {
            for (const sessionState of state.sessions) {
                const session = Session.fromState(sessionState, this);
                if (session.isUsable(now)) restored.push(session);
            }
        } catch (error) {
            await this.discardState(store, key, (error as Error).message);
            return;
        }
        for (const proxy of state.proxies) {
            if (typeof proxy?.url === 'string' && proxy.url !== 'direct') this.proxyHealth.restore(this.proxyHealth.entry(proxy.url), proxy, now);
        }
        const kept = restored.slice(0, this.maxPoolSize);
        for (const session of kept) this.register(session, this.proxyHealth.entry(session.proxyUrl), false);
        if (restored.length > kept.length) {
            this.log.warning(`${where} held ${restored.length} sessions; kept ${kept.length} (maxPoolSize).`);
        }
        this.dirty = false;
        this.log.debug(`Restored ${kept.length} sessions from ${where}`);
    }

    /** A state we cannot trust is never half-loaded: warn, move it aside, start fresh. */
    private async discardState(store: SessionStore, key: string, reason: string): Promise<void> {
        let movedTo: string | undefined;
        try {
            movedTo = await store.quarantine?.(key);
        } catch (error) {
            this.log.debug(`Could not move the unreadable state aside: ${(error as Error).message}`);
        }
        this.log.warning(
            `Ignoring the persisted session pool state and starting with a fresh pool: ${reason}${movedTo ? ` The file was moved to ${movedTo}.` : ''}`,
        );
    }

    /** Persists (unless persistence is off), rejects waiters, stops timers. The pool cannot be used afterwards. */
    async teardown(): Promise<void> {
        if (this.closed) return;
        if (this.initializing) await this.initializing.catch(() => undefined);
        if (this.persistTimer) clearInterval(this.persistTimer);
        this.persistTimer = undefined;
        if (this.persistMode === true && this.store && this.initialized) await this.persistState();
        this.closed = true;
        if (this.wakeTimer) clearTimeout(this.wakeTimer);
        this.wakeTimer = undefined;
        const closedError = () => new SessionPoolClosedError('acquire a session');
        for (let i = this.waitersHead; i < this.waiters.length; i++) {
            const waiter = this.waiters[i]!;
            if (waiter.settled) continue;
            this.settleWaiter(waiter);
            waiter.reject(closedError());
        }
        this.waiters = [];
        this.waitersHead = 0;
        for (const list of this.pinnedWaiters.values()) {
            for (const waiter of list) {
                if (waiter.settled) continue;
                this.settleWaiter(waiter);
                waiter.reject(closedError());
            }
        }
        this.pinnedWaiters.clear();
        await this.store?.release?.(this.persistStateKey);
        if (this.ownsStore) await this.store?.close?.();
    }

    /** Sessions alive now (a snapshot array; O(n), not for hot paths). */
    getSessions(): Session[] {
        return [...this.sessions.values()];
    }
}

/** Seed API: `openSessionPool(options)` = `SessionPool.open(options)`. */
export function openSessionPool(options: SessionPoolOptions = {}): Promise<SessionPool> {
    return SessionPool.open(options);
}

/** The URL with its password replaced by *** (for logs and error messages). */
export function redactProxyUrl(url: string): string {
    try {
        const parsed = new URL(url);
        if (parsed.password) parsed.password = '***';
        return parsed.toString().replace(/\/$/, '');
    } catch {
        return url;
    }
}

function describeStateProblem(raw: unknown): string | undefined {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return 'not an object';
    const state = raw as Partial<PersistedPoolState>;
    if (state.format !== STATE_FORMAT) return `format is ${JSON.stringify(state.format)}, expected "${STATE_FORMAT}"`;
    if (state.version !== STATE_VERSION) return `version ${JSON.stringify(state.version)} is not supported (expected ${STATE_VERSION})`;
    if (!Array.isArray(state.sessions)) return '"sessions" is not an array';
    if (!Array.isArray(state.proxies)) return '"proxies" is not an array';
    return undefined;
}

const PER_SESSION_OPTION_KEYS = ['cookies', 'cookieJar', 'createdAt', 'expiresAt', 'expiredAt', 'usageCount', 'errorScore', 'errorCount', 'proxyUrl', 'sessionPool'];

function validatePoolOptions(options: SessionPoolOptions): void {
    checkObject('SessionPool options', options);
    checkKnownKeys('(of SessionPool)', options as Record<string, unknown>, POOL_OPTION_KEYS);
    checkNumber('maxPoolSize', options.maxPoolSize, { min: 1, integer: true });
    checkNumber('maxConcurrencyPerSession', options.maxConcurrencyPerSession, { min: 1, integer: true });
    checkNumber('acquireTimeoutSecs', options.acquireTimeoutSecs, { min: 0, exclusiveMin: true });
    checkNumber('proxyBanThreshold', options.proxyBanThreshold, { min: 1, integer: true });
    checkNumber('proxyBenchSecs', options.proxyBenchSecs, { min: 0 });
    checkNumber('proxyMaxBenchSecs', options.proxyMaxBenchSecs, { min: 0 });
    checkNumber('rateLimitBackoffSecs', options.rateLimitBackoffSecs, { min: 0 });
    checkNumber('rateLimitMaxBackoffSecs', options.rateLimitMaxBackoffSecs, { min: 0 });
    checkNumber('maxCooldownSecs', options.maxCooldownSecs, { min: 0 });
    checkBoolean('learnUsageLimit', options.learnUsageLimit);
    checkNumber('persistIntervalSecs', options.persistIntervalSecs, { min: 0, exclusiveMin: true });
    checkStatusCodes('blockedStatusCodes', options.blockedStatusCodes);
    checkStatusCodes('rateLimitStatusCodes', options.rateLimitStatusCodes);
    checkFunction('createSessionFunction', options.createSessionFunction);
    checkFunction('random', options.random);
    checkString('persistStateKey', options.persistStateKey);
    if (options.persist !== undefined && options.persist !== 'explicit') checkBoolean('persist', options.persist);
    if (options.sessionOptions !== undefined) {
        validateSessionOptions(options.sessionOptions, 'sessionOptions');
        if (options.sessionOptions.id !== undefined) {
            throw new InvalidOptionError('sessionOptions.id', options.sessionOptions.id, 'cannot be shared by every session of a pool');
        }
        // The pool mints sessions from the limits and userData only; anything about one particular session
        // would be silently dropped, so it is refused (a createSessionFunction may use it, though).
        if (!options.createSessionFunction) {
            for (const key of PER_SESSION_OPTION_KEYS) {
                const value = (options.sessionOptions as Record<string, unknown>)[key];
                if (value !== undefined) {
                    throw new InvalidOptionError(
                        `sessionOptions.${key}`,
                        value,
                        'describes one session, not every session of a pool (use addSession() for one session, or a createSessionFunction)',
                    );
                }
            }
        }
    }
    if (options.store !== undefined) {
        const store = options.store as Partial<SessionStore>;
        if (!store || typeof store.load !== 'function' || typeof store.save !== 'function' || typeof store.describe !== 'function') {
            throw new InvalidOptionError('store', options.store, 'must implement SessionStore (load, save, describe)');
        }
    }
    if (options.proxyConfiguration !== undefined && !(options.proxyConfiguration instanceof ProxyConfiguration)) {
        checkObject('proxyConfiguration', options.proxyConfiguration);
    }
    if (options.logLevel !== undefined && !['debug', 'info', 'warning', 'error', 'off'].includes(options.logLevel)) {
        throw new InvalidOptionError('logLevel', options.logLevel, 'must be one of debug, info, warning, error, off');
    }
    if (
        options.proxyBenchSecs !== undefined &&
        options.proxyMaxBenchSecs !== undefined &&
        options.proxyMaxBenchSecs < options.proxyBenchSecs
    ) {
        throw new InvalidOptionError('proxyMaxBenchSecs', options.proxyMaxBenchSecs, `must be >= proxyBenchSecs (${options.proxyBenchSecs})`);
    }
}

function findHeader(headers: Record<string, string | string[] | undefined>, name: string): string | string[] | undefined {
    for (const key in headers) if (key.length === name.length && key.toLowerCase() === name) return headers[key];
    return undefined;
}
