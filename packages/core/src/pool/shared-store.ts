import { SessionkitError } from '../errors.js';
import type { Log } from '../log.js';
import type { ProxyStats } from '../proxy.js';
import type { RetireReason } from '../session.js';
import type { SessionStore } from '../store.js';
import type { SessionReuseStrategy } from './options.js';

// The protocol of a store that holds one pool for many processes (workers) on many machines, e.g.
// @sessionkit/redis. Every operation is one atomic step in the store; each worker keeps its Session
// objects as a cache of that state (see backends/remote.ts). `new SessionPool({ store })` with a
// SharedSessionStore serves the pool from it.


/** Settings a worker applies to its own operations on the shared pool (every worker should use the same). */
export interface SharedPoolSettings {
    readonly maxPoolSize: number;
    readonly maxConcurrencyPerSession: number;
    /** Limits of the sessions the pool mints (sessions added with other limits carry their own). */
    readonly sessionLimits: {
        readonly maxAgeSecs: number;
        readonly maxErrorScore: number;
        readonly errorScoreDecrement: number;
        readonly maxUsageCount: number;
    };
    readonly proxyBanThreshold: number;
    readonly proxyBenchMs: number;
    readonly proxyMaxBenchMs: number;
    readonly rateLimitBackoffMs: number;
    readonly rateLimitMaxBackoffMs: number;
    readonly maxCooldownMs: number;
    /** Learn the site's per-visitor budget from blocks, pool-wide, and retire sessions as they reach it. */
    readonly learnUsageLimit: boolean;
    /**
     * How new sessions get a route: `'list'` the store picks among `proxyUrls` (fewest live sessions among
     * healthy proxies, healthy before probation, round robin); `'function'` the worker asks its
     * `newUrlFunction` and the store vets the answer; `'direct'` no proxy.
     */
    readonly proxyMode: 'direct' | 'list' | 'function';
    readonly proxyUrls: readonly string[];
    /**
     * 'round-robin' and 'random': while the pool holds fewer than maxPoolSize sessions, an acquire mints instead
     * of reusing; then it takes the free session free the longest, or a random free one (the call's `random`).
     */
    readonly sessionReuseStrategy: SessionReuseStrategy;
}

/** A session as the shared store holds it. Times are epoch ms on this machine's clock. */
export interface SharedSessionRecord {
    id: string;
    proxyUrl: string | undefined;
    createdAtMs: number;
    expiresAtMs: number;
    usageCount: number;
    errorScore: number;
    errorCount: number;
    maxAgeSecs: number;
    maxErrorScore: number;
    errorScoreDecrement: number;
    maxUsageCount: number;
    /** 0 when not cooling. */
    cooldownUntilMs: number;
    /** Completed at least one use (a fresh session is never shared before that). */
    warm: boolean;
    /** Version of the cookies and userData, bumped by every write. */
    version: number;
    /**
     * Whether `cookieJar` and `userData` are included. A store may leave them out when this worker wrote the
     * current version (its local copy is up to date): the pool then asks `get()` only if it lost that copy.
     */
    hasContent: boolean;
    /** JSON of a serialized tough-cookie jar. */
    cookieJar: string | undefined;
    /** JSON of the userData object. */
    userData: string | undefined;
}

/** A session to register in the shared pool (minted by a worker, or added with `addSession`). */
export type NewSharedSession = Omit<SharedSessionRecord, 'warm' | 'version' | 'hasContent'>;

/** Pool-wide figures returned when an acquire has to wait (for the timeout message). */
export interface SharedWaitInfo {
    sessions: number;
    leasedSessions: number;
    activeLeases: number;
    coolingSessions: number;
    benchedProxies: number;
    proxies: number;
}

/** A reserved slot for a new session (counted against maxPoolSize and its route until committed or aborted). */
export interface SharedMintSlot {
    kind: 'mint';
    slot: string;
    /** The route the store chose (undefined = direct), unless `askProxy`. */
    proxyUrl: string | undefined;
    /** proxyMode 'function': the worker asks its newUrlFunction and the store vets the answer at commit. */
    askProxy: boolean;
}

export type SharedAcquireResult =
    | { kind: 'leased'; leaseId: string; session: SharedSessionRecord }
    | SharedMintSlot
    /** Nothing free now: try again at `untilMs` (undefined: when woken), or when the store signals a release. */
    | { kind: 'wait'; untilMs: number | undefined; info: SharedWaitInfo }
    /** A pinned acquire whose session is retired or unknown. */
    | { kind: 'unavailable'; reason: string };

export type SharedPeekResult =
    | { kind: 'session'; session: SharedSessionRecord }
    | SharedMintSlot
    | { kind: 'wait'; untilMs: number | undefined; info: SharedWaitInfo };

export type SharedReserveResult = SharedMintSlot | { kind: 'full' } | { kind: 'noRoute' };

export type SharedCommitResult =
    | { kind: 'committed'; leaseId: string | undefined }
    /** proxyMode 'function': that proxy takes no new session now (benched, cooling, on probation with a session). */
    | { kind: 'proxyRejected' }
    | { kind: 'idTaken' }
    /** The slot expired before the commit (the worker took longer than the lease TTL). */
    | { kind: 'expired' };

export type SharedSessionLookup =
    | { kind: 'session'; session: SharedSessionRecord }
    | { kind: 'retired'; reason: RetireReason }
    | { kind: 'unknown' };

/** What a worker tells the store about one session. Counters travel as deltas, never as absolute values. */
export interface SharedSessionUpdate {
    /**
     * Marks in the order they happened: `g` markGood, `b` markBad blaming the proxy, `h` markBad not
     * blaming it. The store replays them on its copy (usage, error score, proxy health) and then checks
     * maxErrorScore / maxUsageCount, so concurrent workers' marks add up.
     */
    marks: string;
    /** New cookie jar JSON, when the cookies changed. */
    cookieJar?: string | undefined;
    /**
     * The cookies set and removed since `baseVersion` (JSON `{ jar, set, remove }`: the jar's own fields, serialized
     * cookies, "domain;path;key" keys). When another lease wrote the session's cookies since that version, the
     * store merges these changes into its jar instead of overwriting it with `cookieJar`.
     */
    cookieChanges?: string | undefined;
    /** The content version the worker's cookies were read at. */
    baseVersion?: number | undefined;
    /** New userData JSON, when it changed. */
    userData?: string | undefined;
    /** Random number in [0, 1) for jittered backoffs (the pool's `random` option). */
    random: number;
    /** Idempotency key: a retried or re-sent call with the same id is applied once. */
    opId: string;
}

export interface SharedUpdateResult {
    /** The session is retired (by this call or before), with this reason. */
    retired: RetireReason | undefined;
    /** This call retired it: counted once across all workers. */
    retiredHere: boolean;
    /** The lease had expired before its release: the marks were counted, the cookies were not written. */
    leaseExpired: boolean;
    /** A re-sent call already applied: ignored. */
    duplicate: boolean;
    /** The session is no longer in the store. */
    gone: boolean;
    /** Content version after this call. */
    version: number | undefined;
    /** The cookies were merged with another lease's: the store's jar is not the worker's copy. */
    merged: boolean;
}

/** Pool-wide state and counters. */
export interface SharedPoolSnapshot {
    sessions: number;
    availableSessions: number;
    coolingSessions: number;
    leasedSessions: number;
    activeLeases: number;
    sessionsCreated: number;
    sessionsRetired: number;
    retiredByReason: Record<RetireReason, number>;
    leasesGranted: number;
    /** Leases of dead (or disconnected) workers that expired and were taken back. */
    leasesExpired: number;
    markedGood: number;
    markedBad: number;
    rateLimited: number;
    proxiesBenched: number;
    /** Uses after which sessions are retired (learnUsageLimit); undefined until learned. */
    learnedUsageLimit: number | undefined;
    proxies: ProxyStats[];
}

/** What the store tells a worker about the others (over pub/sub for Redis). */
export interface SharedPoolListener {
    sessionRetired(sessionId: string, reason: RetireReason): void;
    /** Something may have become free (a release, a retirement, an expired lease, a reconnection): waiters try again. */
    wake(): void;
    proxyChanged(url: string, state: 'benched' | 'probation', timesBenched: number, benchedUntilMs: number | undefined): void;
    /** The pool learned (or changed) the number of uses after which blocks come (learnUsageLimit). */
    usageLimitLearned(uses: number): void;
    /**
     * The shared state vanished (e.g. Redis restarted empty) and this worker re-seeded it (proxies, settings):
     * every session and lease of the pool is gone. The worker drops its copies and mints new sessions.
     */
    stateLost(): void;
}

/**
 * One worker's connection to a shared pool. Every method is one atomic step in the store; the pool never
 * reads the whole pool to serve a request. Methods reject with SharedStoreUnavailableError when the store
 * cannot be reached (after the store's own retries).
 */
export interface SharedPoolConnection {
    readonly workerId: string;
    /** Where the pool lives, for messages (no password). */
    readonly description: string;
    /**
     * Takes back expired leases, then leases the least recently used free session whose cooldown, whose
     * route's cooldown and whose proxy allow it (retiring expired and proxy-benched ones it meets), or
     * reserves a slot for a new session under maxPoolSize on a route that takes one, or says when to retry.
     */
    acquire(sessionId: string | undefined, random: number): Promise<SharedAcquireResult>;
    /** Like acquire without a lease (seed `getSession()`): a free session, a slot, or any live session. */
    peek(random: number): Promise<SharedPeekResult>;
    /** Reserves a slot for a new session on `proxyUrl` ('' = direct), or on a route the store picks (null). */
    reserve(proxyUrl: string | null, random: number): Promise<SharedReserveResult>;
    /** Registers the new session of a slot; with `lease` the caller holds it (a fresh session is held for its creator). */
    commit(slot: string, session: NewSharedSession, options: { lease: boolean }): Promise<SharedCommitResult>;
    /** Gives a slot back. */
    abort(slot: string): Promise<void>;
    /** Ends a lease: applies the marks, writes the cookies, puts the session back (or retires it). Idempotent per lease. */
    release(leaseId: string, sessionId: string, update: SharedSessionUpdate): Promise<SharedUpdateResult>;
    /** Marks or content of a session used without a lease. */
    apply(sessionId: string, update: SharedSessionUpdate): Promise<SharedUpdateResult>;
    /** Retires a session; true when this call did (false: already retired, or unknown). */
    retire(sessionId: string, reason: RetireReason, random: number, opId: string): Promise<boolean>;
    /** Cools a session and its route down; returns the session's cooldown end (undefined: unknown or retired session). */
    coolDown(sessionId: string, retryAfterMs: number | undefined, random: number, opId: string): Promise<number | undefined>;
    get(sessionId: string): Promise<SharedSessionLookup>;
    stats(): Promise<SharedPoolSnapshot>;
    /** Gives back the leases and slots this worker still holds, then disconnects. */
    close(): Promise<void>;
}

/**
 * A SessionStore that coordinates a pool shared by many processes, instead of loading and saving it.
 * `new SessionPool({ store })` with one serves the pool from it (all workers share it). It still implements `load`/`save`/
 * `describe` (a snapshot of the pool, an import of a saved state).
 */
export interface SharedSessionStore extends SessionStore {
    /** Joins the shared pool as one worker. Rejects with SharedStoreUnavailableError when the store cannot be reached. */
    openSharedPool(settings: SharedPoolSettings, listener: SharedPoolListener, log: Log): Promise<SharedPoolConnection>;
}

export function isSharedSessionStore(store: unknown): store is SharedSessionStore {
    return typeof store === 'object' && store !== null && typeof (store as Partial<SharedSessionStore>).openSharedPool === 'function';
}

/**
 * The shared store cannot be reached: at start (nothing listens there), or mid-crawl after the store's own
 * retries. The shared state is intact (every update is atomic); retry once the store is back.
 */
export class SharedStoreUnavailableError extends SessionkitError {
    constructor(message: string, options?: { cause?: unknown }) {
        super('ERR_SHARED_STORE_UNAVAILABLE', message, options);
    }
}

