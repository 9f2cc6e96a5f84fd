import { randomUUID } from 'node:crypto';
import { type AcquireWaiter, abortReason, armWaiter, disarmWaiter } from './waiter.js';
import { createCookieJar, deserializeCookieJar } from './cookies.js';
import {
    InvalidOptionError,
    SessionPoolCapacityError,
    SessionPoolClosedError,
    SessionPoolTimeoutError,
    SessionUnavailableError,
    SessionkitError,
} from './errors.js';
import { generateSessionId } from './ids.js';
import type { Log } from './log.js';
import { ProxyEntry, type ProxyStats } from './proxy.js';
import { backoffMs } from './retry-after.js';
import {
    type AcquireOptions,
    SessionLease,
    SessionPool,
    type SessionPoolOptions,
    type SessionPoolStats,
    _registerSharedPoolFactory,
    redactProxyUrl,
} from './pool.js';
import { type RetireReason, Session, type SessionOptions, type SessionState } from './session.js';
import { type PersistedPoolState, STATE_FORMAT, STATE_VERSION, type SessionStore } from './store.js';

// A *shared* pool: one session pool used by many processes (workers) on many machines. The state lives in a
// SharedSessionStore (e.g. @sessionkit/redis) that coordinates every operation atomically; each worker keeps
// its Session objects as a cache of that state, refreshed at every acquire. `new SessionPool({ store })`
// with a SharedSessionStore builds a SharedSessionPool, so crawlers need no change to share a pool.

// ---------------------------------------------------------------------------------------------- interface

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
    /**
     * How new sessions get a route: `'list'` the store picks among `proxyUrls` (fewest live sessions among
     * healthy proxies, healthy before probation, round robin); `'function'` the worker asks its
     * `newUrlFunction` and the store vets the answer; `'direct'` no proxy.
     */
    readonly proxyMode: 'direct' | 'list' | 'function';
    readonly proxyUrls: readonly string[];
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
    proxies: ProxyStats[];
}

/** `getSharedStats()`: pool-wide stats, plus what only a shared pool has. */
export interface SharedSessionPoolStats extends SessionPoolStats {
    /** Leases of dead (or disconnected) workers that expired and were taken back. */
    leasesExpired: number;
}

/** What the store tells a worker about the others (over pub/sub for Redis). */
export interface SharedPoolListener {
    sessionRetired(sessionId: string, reason: RetireReason): void;
    /** Something may have become free (a release, a retirement, an expired lease, a reconnection): waiters try again. */
    wake(): void;
    proxyChanged(url: string, state: 'benched' | 'probation', timesBenched: number, benchedUntilMs: number | undefined): void;
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
    commit(slot: string, session: NewSharedSession, lease: boolean): Promise<SharedCommitResult>;
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
 * `new SessionPool({ store })` with one builds a SharedSessionPool. It still implements `load`/`save`/
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

// ---------------------------------------------------------------------------------------------- the pool

type SharedWaiter = AcquireWaiter;

type Attempt = SharedSessionLease | { waitUntil: number | undefined } | { unavailable: string };

/** Fallback wake-up of waiters when no release message arrives (a lost pub/sub message, an outage). */
const WAIT_POLL_MS = 1000;
/** Retries of background updates (release, marks, retire, cooldown) after the store's own retries failed. */
const BACKGROUND_RETRY_DELAYS_MS = [500, 2000, 5000];
/** How long a snapshot of the pool-wide gauges is reused by getStats(). */
const SNAPSHOT_MAX_AGE_MS = 1000;
/** How many retired ids a worker remembers (for retireSession(id)). */
const RETIRED_IDS_KEPT = 10_000;
/** When a slot could not be used (no route took the session), try again after this. */
const MINT_RETRY_MS = 100;

/** A lease on a session of a shared pool. */
export class SharedSessionLease extends SessionLease {
    /** The lease in the store (it expires unless renewed: a dead worker's leases come back). */
    readonly leaseId: string;
    private returned = false;

    /** @internal */
    constructor(pool: SharedSessionPool, session: Session, leaseId: string) {
        super(pool, session);
        this.leaseId = leaseId;
    }

    override get released(): boolean {
        return this.returned;
    }

    override release(): boolean {
        if (this.returned) return false;
        this.returned = true;
        (this._pool as SharedSessionPool)._releaseShared(this);
        return true;
    }
}

/**
 * A SessionPool whose state lives in a SharedSessionStore and is shared by every worker using the same
 * store settings (e.g. the same Redis `poolId`). Built by `new SessionPool({ store })`; same API.
 *
 * Differences a caller can see: `lease.release()` and the marks are sent to the store in the background
 * (teardown waits for them); `getStats()` gives this worker's activity counters and pool-wide gauges from a
 * snapshot at most 1 s old (`getSharedStats()` is exact and pool-wide); `sessionRetired` fires once per
 * session in every worker that has used it; `persistState()` does nothing (the store is the state).
 */
export class SharedSessionPool extends SessionPool {
    readonly sharedStore: SharedSessionStore;
    readonly settings: SharedPoolSettings;

    private readonly mintOptions: SessionOptions;
    private readonly mintFunction: SessionPoolOptions['createSessionFunction'];
    private readonly jitter: () => number;

    private connection: SharedPoolConnection | undefined;
    private connecting: Promise<void> | undefined;
    private shut = false;

    /** Sessions this worker has seen, by id: the local cache of the shared state. */
    private readonly known = new Map<string, Session>();
    private readonly contentVersions = new Map<string, number>();
    /** Marks made during a lease, sent with its release. */
    private readonly pendingMarks = new Map<string, string>();
    /** Sessions whose cookies or userData changed since they were last written. */
    private readonly changedContent = new Set<string>();
    /** Ids this worker saw retired (bounded): retireSession(id) answers false for them, like the local pool. */
    private readonly retiredIds = new Set<string>();
    private readonly routes = new Map<string, ProxyEntry>();
    private readonly directRoute = new ProxyEntry('direct', true);
    private readonly background = new Set<Promise<void>>();
    private applyingRemote = 0;
    private contentFlushScheduled = false;

    private queue: SharedWaiter[] = [];
    private pinnedQueue: SharedWaiter[] = [];
    private queuedCount = 0;
    private drainRunning = false;
    private drainRequested = false;
    /** Bumped by every wake-up signal; an acquire that saw it change while it asked the store asks again. */
    private wakeEpoch = 0;
    private sharedWakeTimer: NodeJS.Timeout | undefined;
    private sharedWakeAt = Number.POSITIVE_INFINITY;
    private lastWait: SharedWaitInfo | undefined;

    private heldLeases = 0;
    private snapshot: SharedPoolSnapshot | undefined;
    private snapshotAt = 0;
    private snapshotLoading: Promise<void> | undefined;

    constructor(options: SessionPoolOptions) {
        super(options);
        const store = options.store;
        if (!isSharedSessionStore(store)) {
            throw new InvalidOptionError('store', store, 'must be a SharedSessionStore (with openSharedPool) for a SharedSessionPool');
        }
        this.sharedStore = store;
        const config = this.proxyConfiguration;
        const limits = this.sessionLimits;
        this.settings = Object.freeze({
            maxPoolSize: this.maxPoolSize,
            maxConcurrencyPerSession: this.maxConcurrencyPerSession,
            sessionLimits: Object.freeze({
                maxAgeSecs: limits.maxAgeSecs,
                maxErrorScore: limits.maxErrorScore,
                errorScoreDecrement: limits.errorScoreDecrement,
                maxUsageCount: limits.maxUsageCount,
            }),
            proxyBanThreshold: options.proxyBanThreshold ?? 3,
            proxyBenchMs: (options.proxyBenchSecs ?? 30) * 1000,
            proxyMaxBenchMs: (options.proxyMaxBenchSecs ?? 600) * 1000,
            rateLimitBackoffMs: (options.rateLimitBackoffSecs ?? 1) * 1000,
            rateLimitMaxBackoffMs: (options.rateLimitMaxBackoffSecs ?? 60) * 1000,
            maxCooldownMs: (options.maxCooldownSecs ?? 600) * 1000,
            proxyMode: !config ? 'direct' : config.proxyUrls ? 'list' : 'function',
            proxyUrls: config?.proxyUrls ?? [],
        } satisfies SharedPoolSettings);
        this.mintOptions = options.sessionOptions ?? {};
        this.mintFunction = options.createSessionFunction;
        this.jitter = options.random ?? Math.random;
    }

    // ------------------------------------------------------------------ connection

    /** Joins the shared pool (connects to the store). Idempotent; after a failure the next call tries again. */
    override initialize(): Promise<void> {
        if (this.connection) return Promise.resolve();
        if (this.shut) return Promise.reject(new SessionPoolClosedError('initialize'));
        this.connecting ??= this.openConnection();
        return this.connecting;
    }

    private async openConnection(): Promise<void> {
        try {
            const connection = await this.sharedStore.openSharedPool(this.settings, this.listener(), this.log);
            if (this.shut) {
                await connection.close();
                throw new SessionPoolClosedError('initialize');
            }
            this.connection = connection;
            this.log.debug(`Joined the shared session pool ${connection.description} as worker ${connection.workerId}`);
        } catch (error) {
            this.connecting = undefined;
            throw error;
        }
    }

    private listener(): SharedPoolListener {
        return {
            sessionRetired: (sessionId, reason) => {
                const session = this.known.get(sessionId);
                if (session) this.applyRemoteRetirement(session, reason);
                this.wakeWaiters();
            },
            wake: () => this.wakeWaiters(),
            proxyChanged: (url, state, timesBenched, benchedUntilMs) => this.onSharedProxyChange(url, state, timesBenched, benchedUntilMs),
        };
    }

    private requireConnection(): SharedPoolConnection {
        if (!this.connection) throw new SessionPoolClosedError('use the shared pool (it is not connected)');
        return this.connection;
    }

    // ------------------------------------------------------------------ counts

    override get usableSessionsCount(): number {
        return this.size;
    }

    override get retiredSessionsCount(): number {
        this.refreshSnapshotSoon();
        return this.snapshot?.sessionsRetired ?? this.counters.retired;
    }

    override get size(): number {
        this.refreshSnapshotSoon();
        return this.snapshot?.sessions ?? this.known.size;
    }

    override get availableSessionsCount(): number {
        this.refreshSnapshotSoon();
        return this.snapshot?.availableSessions ?? 0;
    }

    override get coolingSessionsCount(): number {
        this.refreshSnapshotSoon();
        return this.snapshot?.coolingSessions ?? 0;
    }

    override get leasedSessionsCount(): number {
        this.refreshSnapshotSoon();
        return this.snapshot?.leasedSessions ?? 0;
    }

    override get isTornDown(): boolean {
        return this.shut;
    }

    override get waitingCount(): number {
        return this.queuedCount;
    }

    // ------------------------------------------------------------------ leases

    override async acquire(options: AcquireOptions = {}): Promise<SessionLease> {
        if (this.shut) throw new SessionPoolClosedError('acquire a session');
        if (options.signal?.aborted) throw abortReason(options.signal);
        if (!this.connection) await this.initialize();
        const pinned = options.sessionId;
        let waitUntil: number | undefined;
        let woken = false;
        if (pinned !== undefined || this.queue.length === 0) {
            const epoch = this.wakeEpoch;
            const outcome = await this.attempt(pinned);
            if (outcome instanceof SharedSessionLease) {
                if (this.shut || options.signal?.aborted) {
                    outcome.release();
                    if (this.shut) throw new SessionPoolClosedError('acquire a session');
                    throw abortReason(options.signal!);
                }
                return outcome;
            }
            if ('unavailable' in outcome) throw new SessionUnavailableError(pinned!, outcome.unavailable);
            waitUntil = outcome.waitUntil;
            woken = this.wakeEpoch !== epoch;
        } else {
            woken = true;
        }
        if (this.shut) throw new SessionPoolClosedError('acquire a session'); // torn down while asking the store
        return this.enqueue(options, woken, waitUntil);
    }

    /** One try at a lease: from the store, or a new session in a reserved slot. */
    private async attempt(sessionId: string | undefined): Promise<Attempt> {
        const connection = this.requireConnection();
        for (let round = 0; round < 5; round++) {
            const result = await connection.acquire(sessionId, this.jitter());
            if (result.kind === 'leased') {
                const lease = await this.grant(connection, result.leaseId, result.session);
                if (lease) return lease;
                continue;
            }
            if (result.kind === 'mint') {
                const minted = await this.mintInSlot(connection, result, true);
                if (minted instanceof SharedSessionLease) return minted;
                return { waitUntil: Date.now() + MINT_RETRY_MS };
            }
            if (result.kind === 'wait') {
                this.lastWait = result.info;
                return { waitUntil: result.untilMs };
            }
            return { unavailable: result.reason };
        }
        return { waitUntil: Date.now() + MINT_RETRY_MS };
    }

    /** Turns a lease granted by the store into a SessionLease on the local copy of the session. */
    private async grant(connection: SharedPoolConnection, leaseId: string, record: SharedSessionRecord): Promise<SharedSessionLease | undefined> {
        const cached = this.known.get(record.id);
        let current = record;
        if (!current.hasContent && (!cached || (this.contentVersions.get(record.id) ?? -1) < current.version)) {
            // This worker wrote the current cookies but no longer has them: fetch them.
            const lookup = await connection.get(record.id);
            if (lookup.kind !== 'session') {
                this.giveBack(connection, leaseId, record.id);
                return undefined;
            }
            current = { ...lookup.session, cooldownUntilMs: record.cooldownUntilMs };
        }
        const session = this.materialize(current, cached);
        if (session.retired) {
            // Retired here while the store did not hear of it yet: give it back and say it again.
            this.giveBack(connection, leaseId, record.id);
            const reason = session.retireReason ?? 'manual';
            const opId = randomUUID();
            const random = this.jitter();
            this.runInBackground(`retire session ${record.id}`, () => connection.retire(record.id, reason, random, opId), (here) => {
                if (here) this.countRetired(reason);
            });
            return undefined;
        }
        session._leases += 1;
        this.heldLeases += 1;
        this.counters.leasesGranted += 1;
        return new SharedSessionLease(this, session, leaseId);
    }

    private giveBack(connection: SharedPoolConnection, leaseId: string, sessionId: string): void {
        const update: SharedSessionUpdate = { marks: '', random: this.jitter(), opId: randomUUID() };
        this.runInBackground(`release session ${sessionId}`, () => connection.release(leaseId, sessionId, update));
    }

    /** The local copy of a session, created on first sight and refreshed from the store's record. */
    private materialize(record: SharedSessionRecord, cached: Session | undefined): Session {
        let session = cached;
        if (!session) {
            session = new Session({
                id: record.id,
                usageCount: record.usageCount,
                errorScore: record.errorScore,
                errorCount: record.errorCount,
                createdAt: record.createdAtMs,
                expiresAt: record.expiresAtMs,
                maxAgeSecs: record.maxAgeSecs,
                maxErrorScore: record.maxErrorScore,
                errorScoreDecrement: record.errorScoreDecrement,
                maxUsageCount: record.maxUsageCount,
                ...(record.proxyUrl !== undefined ? { proxyUrl: record.proxyUrl } : {}),
                sessionPool: this,
            });
            session._proxy = this.routeOf(record.proxyUrl);
            this.known.set(record.id, session);
        } else if (!this.pendingMarks.has(record.id)) {
            // Marks not yet sent are newer than the store's counters: keep the local ones then.
            session._setCounts(record.usageCount, record.errorScore, record.errorCount);
        }
        session.cooldownUntilMs = record.cooldownUntilMs > Date.now() ? record.cooldownUntilMs : 0;
        session._warm = record.warm;
        if (record.hasContent) this.applyContent(session, record);
        return session;
    }

    private applyContent(session: Session, record: SharedSessionRecord): void {
        if (this.changedContent.has(session.id)) return; // local changes not yet written are newer
        if (this.contentVersions.get(session.id) === record.version) return; // this copy has that version already
        this.applyingRemote += 1;
        try {
            session._setJar(record.cookieJar ? deserializeCookieJar(record.cookieJar) : createCookieJar());
            if (record.userData !== undefined) session.userData = JSON.parse(record.userData) as Record<string, unknown>;
            this.contentVersions.set(session.id, record.version);
        } catch (error) {
            this.log.warning(`Session ${session.id} has unreadable cookies or userData in ${this.describeStore()}; keeping the local copy: ${(error as Error).message}`);
        } finally {
            this.applyingRemote -= 1;
        }
    }

    /** @internal Called by SharedSessionLease.release(). */
    _releaseShared(lease: SharedSessionLease): void {
        const { session } = lease;
        session._leases -= 1;
        this.heldLeases -= 1;
        session._warm = true;
        const connection = this.connection;
        if (!connection) return; // torn down: the store gave the lease back when it closed
        const id = session.id;
        const marks = this.pendingMarks.get(id);
        if (marks !== undefined) this.pendingMarks.delete(id);
        const update: SharedSessionUpdate = { marks: marks ?? '', random: this.jitter(), opId: lease.leaseId };
        if (this.changedContent.has(id) && !session.retired) this.takeContent(session, update);
        this.runInBackground(`release session ${id}`, () => connection.release(lease.leaseId, id, update), (result) => this.afterUpdate(session, result));
    }

    private takeContent(session: Session, update: SharedSessionUpdate): void {
        this.changedContent.delete(session.id);
        update.cookieJar = JSON.stringify(session.cookieJar.serializeSync());
        update.userData = JSON.stringify(session.userData);
    }

    private afterUpdate(session: Session, result: SharedUpdateResult): void {
        if (result.version !== undefined) this.contentVersions.set(session.id, result.version);
        if (result.retired) {
            if (result.retiredHere) this.countRetired(result.retired);
            if (!session.retired) this.applyRemoteRetirement(session, result.retired);
        }
        if (result.leaseExpired) {
            this.log.warning(
                `The lease of session ${session.id} had expired before its release (no heartbeat reached ${this.describeStore()} for leaseTtlSecs), ` +
                    'so the session went back to the pool meanwhile: its marks were counted, its new cookies were not saved.',
            );
        }
        if (this.queuedCount > 0) this.wakeWaiters();
    }

    private enqueue(options: AcquireOptions, woken: boolean, waitUntil: number | undefined): Promise<SessionLease> {
        const timeoutMs = options.timeoutSecs !== undefined ? options.timeoutSecs * 1000 : this.acquireTimeoutMs;
        return new Promise<SessionLease>((resolve, reject) => {
            const waiter: SharedWaiter = {
                resolve,
                reject,
                timer: undefined,
                sessionId: options.sessionId,
                settled: false,
                startedAt: Date.now(),
                onAbort: undefined,
                signal: options.signal,
            };
            this.queuedCount += 1;
            if (!armWaiter(waiter, timeoutMs, () => this.timeOutShared(waiter), () => this.settleShared(waiter))) return;
            (options.sessionId !== undefined ? this.pinnedQueue : this.queue).push(waiter);
            if (woken) void this.drainShared();
            else this.scheduleSharedWake(waitUntil ?? Number.POSITIVE_INFINITY);
        });
    }

    private settleShared(waiter: SharedWaiter): void {
        if (waiter.settled) return;
        disarmWaiter(waiter);
        this.queuedCount -= 1;
    }

    private timeOutShared(waiter: SharedWaiter): void {
        if (waiter.settled) return;
        this.settleShared(waiter);
        this.counters.acquireTimeouts += 1;
        waiter.reject(new SessionPoolTimeoutError(this.describeSharedWait(waiter)));
    }

    private describeSharedWait(waiter: SharedWaiter): string {
        const waited = Math.round((Date.now() - waiter.startedAt) / 100) / 10;
        if (waiter.sessionId !== undefined) {
            return `Timed out after ${waited} s waiting for session "${waiter.sessionId}" of the shared pool ${this.describeStore()} to be free (it is leased or cooling down).`;
        }
        const info = this.lastWait;
        const state = info
            ? `${info.leasedSessions} of ${info.sessions} sessions leased (${info.activeLeases} leases, all workers), ${info.coolingSessions} cooling down, ` +
              `maxPoolSize ${this.maxPoolSize}${info.proxies ? `, ${info.benchedProxies} of ${info.proxies} proxies benched` : ''}`
            : `maxPoolSize ${this.maxPoolSize}`;
        return (
            `Timed out after ${waited} s waiting for a free session in the shared pool ${this.describeStore()}: ${state}. ` +
            `Raise maxPoolSize, maxConcurrencyPerSession or acquireTimeoutSecs, or lower the concurrency of the workers sharing the pool.`
        );
    }

    private wakeWaiters(): void {
        this.wakeEpoch += 1;
        if (this.queuedCount > 0 && !this.shut) void this.drainShared();
    }

    /** Serves queued acquires, one store call at a time, first come first served; pinned ones after. */
    private async drainShared(): Promise<void> {
        if (this.drainRunning) {
            this.drainRequested = true;
            return;
        }
        this.drainRunning = true;
        let nextAt = Number.POSITIVE_INFINITY;
        try {
            do {
                this.drainRequested = false;
                nextAt = Number.POSITIVE_INFINITY;
                while (!this.shut && firstOpen(this.queue)) {
                    const outcome = await this.attempt(undefined);
                    if (outcome instanceof SharedSessionLease) {
                        const waiter = firstOpen(this.queue);
                        if (!waiter || this.shut) {
                            outcome.release(); // everyone gave up meanwhile
                            break;
                        }
                        this.queue.shift();
                        this.settleShared(waiter);
                        waiter.resolve(outcome);
                        continue;
                    }
                    if ('waitUntil' in outcome && outcome.waitUntil !== undefined) nextAt = Math.min(nextAt, outcome.waitUntil);
                    break;
                }
                for (const waiter of this.pinnedQueue.slice()) {
                    if (waiter.settled || this.shut) continue;
                    const outcome = await this.attempt(waiter.sessionId);
                    if (outcome instanceof SharedSessionLease) {
                        if (waiter.settled) outcome.release();
                        else {
                            this.settleShared(waiter);
                            waiter.resolve(outcome);
                        }
                    } else if ('unavailable' in outcome) {
                        if (!waiter.settled) {
                            this.settleShared(waiter);
                            waiter.reject(new SessionUnavailableError(waiter.sessionId!, outcome.unavailable));
                        }
                    } else if (outcome.waitUntil !== undefined) {
                        nextAt = Math.min(nextAt, outcome.waitUntil);
                    }
                }
                this.pinnedQueue = this.pinnedQueue.filter((waiter) => !waiter.settled);
            } while (this.drainRequested && !this.shut);
        } catch (error) {
            // The store failed after its own retries: every waiter would fail the same way now.
            this.rejectAllWaiters(error as Error);
        } finally {
            this.drainRunning = false;
        }
        this.scheduleSharedWake(nextAt);
    }

    /** Wakes the queue at `at` (a cooldown or a lease expiry the store named), or after the poll interval at the latest. */
    private scheduleSharedWake(at: number): void {
        if (this.queuedCount === 0 || this.shut) {
            if (this.sharedWakeTimer) clearTimeout(this.sharedWakeTimer);
            this.sharedWakeTimer = undefined;
            this.sharedWakeAt = Number.POSITIVE_INFINITY;
            return;
        }
        const now = Date.now();
        const target = Math.min(at, now + WAIT_POLL_MS);
        if (this.sharedWakeTimer && this.sharedWakeAt <= target) return;
        if (this.sharedWakeTimer) clearTimeout(this.sharedWakeTimer);
        this.sharedWakeAt = target;
        this.sharedWakeTimer = setTimeout(() => {
            this.sharedWakeTimer = undefined;
            this.sharedWakeAt = Number.POSITIVE_INFINITY;
            void this.drainShared();
        }, Math.max(1, target - now + 1));
    }

    private rejectAllWaiters(error: Error): void {
        for (const waiter of [...this.queue, ...this.pinnedQueue]) {
            if (waiter.settled) continue;
            this.settleShared(waiter);
            waiter.reject(error);
        }
        this.queue = [];
        this.pinnedQueue = [];
    }

    private rejectPinnedShared(sessionId: string, reason: string): void {
        for (const waiter of this.pinnedQueue) {
            if (waiter.settled || waiter.sessionId !== sessionId) continue;
            this.settleShared(waiter);
            waiter.reject(new SessionUnavailableError(sessionId, reason));
        }
    }

    // ------------------------------------------------------------------ minting

    /**
     * Creates a session for a reserved slot and registers it (held by this worker when `lease`). Gives the
     * slot back when no session could be registered in it.
     */
    private async mintInSlot(connection: SharedPoolConnection, slot: SharedMintSlot, lease: true): Promise<SharedSessionLease | undefined>;
    private async mintInSlot(connection: SharedPoolConnection, slot: SharedMintSlot, lease: false): Promise<Session | undefined>;
    private async mintInSlot(connection: SharedPoolConnection, slot: SharedMintSlot, lease: boolean): Promise<SharedSessionLease | Session | undefined> {
        let done = false;
        try {
            const id = generateSessionId();
            for (let attempt = 0; attempt < 5; attempt++) {
                const proxyUrl = slot.askProxy ? await this.proxyConfiguration!.newUrl(id) : slot.proxyUrl;
                const session = await this.buildSession(id, proxyUrl);
                if (this.shut) throw new SessionPoolClosedError('create a session');
                const result = await connection.commit(slot.slot, toNewSharedSession(session), lease);
                if (result.kind === 'committed') {
                    done = true;
                    return this.adopt(session, result.leaseId, lease);
                }
                if (result.kind === 'expired') done = true; // nothing left to give back
                if (result.kind !== 'proxyRejected' || !slot.askProxy) break;
            }
            return undefined;
        } finally {
            if (!done) this.runInBackground('give back a session slot', () => connection.abort(slot.slot));
        }
    }

    private async buildSession(id: string, proxyUrl: string | undefined): Promise<Session> {
        if (this.mintFunction) {
            const sessionOptions = { ...this.mintOptions, id, sessionPool: this, ...(proxyUrl ? { proxyUrl } : {}) };
            const session = await this.mintFunction(this, { sessionOptions });
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
            return session;
        }
        const userData = this.mintOptions.userData ? structuredClone(this.mintOptions.userData) : undefined;
        return new Session({}, { id, limits: this.sessionLimits, owner: this, now: Date.now(), proxyUrl, userData });
    }

    private adopt(session: Session, leaseId: string | undefined, lease: boolean): SharedSessionLease | Session {
        session._proxy = this.routeOf(session.proxyUrl);
        this.known.set(session.id, session);
        this.contentVersions.set(session.id, 1);
        this.counters.created += 1;
        this.emit('sessionCreated', session);
        if (!lease) return session;
        session._leases += 1;
        this.heldLeases += 1;
        this.counters.leasesGranted += 1;
        return new SharedSessionLease(this, session, leaseId!);
    }

    private routeOf(proxyUrl: string | undefined): ProxyEntry {
        if (proxyUrl === undefined) return this.directRoute;
        let route = this.routes.get(proxyUrl);
        if (!route) {
            route = new ProxyEntry(proxyUrl, false);
            this.routes.set(proxyUrl, route);
        }
        return route;
    }

    // ------------------------------------------------------------------ seed API

    override getSession(): Promise<Session>;
    override getSession(sessionId: string): Promise<Session | undefined>;
    override async getSession(sessionId?: string): Promise<Session | undefined> {
        if (this.shut) throw new SessionPoolClosedError('get a session');
        if (!this.connection) await this.initialize();
        const connection = this.requireConnection();
        if (sessionId !== undefined) {
            const lookup = await connection.get(sessionId);
            const cached = this.known.get(sessionId);
            if (lookup.kind !== 'session') {
                if (cached && lookup.kind === 'retired') this.applyRemoteRetirement(cached, lookup.reason);
                return undefined;
            }
            const session = this.materialize(lookup.session, cached);
            return session.isUsable() ? session : undefined;
        }
        for (let round = 0; round < 5; round++) {
            const result = await connection.peek(this.jitter());
            if (result.kind === 'session') {
                const session = this.materialize(result.session, this.known.get(result.session.id));
                if (!session.retired) return session;
                continue;
            }
            if (result.kind === 'mint') {
                const minted = await this.mintInSlot(connection, result, false);
                if (minted) return minted;
            }
            break;
        }
        // Every slot is being created right now or no route takes a session: wait like acquire() does.
        const lease = await this.acquire();
        lease.release();
        return lease.session;
    }

    override async addSession(options: SessionOptions | Session = {}): Promise<Session> {
        if (this.shut) throw new SessionPoolClosedError('add a session');
        if (!this.connection) await this.initialize();
        const connection = this.requireConnection();
        if (!(options instanceof Session) && Object.keys(options).length === 0) {
            const reserved = await connection.reserve(null, this.jitter());
            if (reserved.kind === 'full') throw this.fullError();
            const minted = reserved.kind === 'mint' ? await this.mintInSlot(connection, reserved, false) : undefined;
            if (!minted) throw new SessionPoolCapacityError('Cannot add a session: no proxy accepts new sessions now (all benched or cooling down).');
            this.wakeWaiters();
            return minted;
        }
        const session = this.sessionToAdd(options);
        if (this.known.has(session.id)) throw new SessionPoolCapacityError(`A session with id "${session.id}" is already in the pool.`);
        const reserved = await connection.reserve(session.proxyUrl ?? '', this.jitter());
        if (reserved.kind !== 'mint') throw this.fullError();
        let committed = false;
        try {
            const result = await connection.commit(reserved.slot, toNewSharedSession(session), false);
            if (result.kind === 'idTaken') throw new SessionPoolCapacityError(`A session with id "${session.id}" is already in the pool.`);
            if (result.kind !== 'committed') throw new SessionPoolCapacityError(`Cannot add session "${session.id}": its slot in the pool expired, try again.`);
            committed = true;
        } finally {
            if (!committed) this.runInBackground('give back a session slot', () => connection.abort(reserved.slot));
        }
        this.adopt(session, undefined, false);
        this.wakeWaiters();
        return session;
    }

    private fullError(): SessionPoolCapacityError {
        return new SessionPoolCapacityError(`Cannot add a session: the shared pool is full (maxPoolSize ${this.maxPoolSize}). Retire sessions or raise maxPoolSize.`);
    }

    /**
     * Retires a session (by object or id). An id this worker has not seen is retired in the store in the
     * background: the call then returns true without knowing whether it was still alive.
     */
    override retireSession(sessionOrId: Session | string, reason: RetireReason = 'manual'): boolean {
        const session = typeof sessionOrId === 'string' ? this.known.get(sessionOrId) : sessionOrId;
        if (session) {
            if (session.retired) return false;
            session.retire(reason);
            return true;
        }
        const connection = this.connection;
        if (typeof sessionOrId !== 'string' || !connection || this.retiredIds.has(sessionOrId)) return false;
        const opId = randomUUID();
        const random = this.jitter();
        this.runInBackground(`retire session ${sessionOrId}`, () => connection.retire(sessionOrId, reason, random, opId), (here) => {
            if (here) this.countRetired(reason);
        });
        return true;
    }

    // ------------------------------------------------------------------ SessionOwner (called by sessions)

    /** @internal */
    override onSessionMarked(session: Session, outcome: 'good' | 'bad', blameProxy: boolean): void {
        if (this.applyingRemote > 0) return;
        let mark: string;
        if (outcome === 'good') {
            this.counters.markedGood += 1;
            const route = session._proxy as ProxyEntry | undefined;
            if (route) route.rateLimitStreak = 0; // a success ends the route's rate-limit streak (local estimate)
            mark = 'g';
        } else {
            this.counters.markedBad += 1;
            mark = blameProxy ? 'b' : 'h';
        }
        if (session._leases > 0) {
            // Sent with the release: one store call per lease.
            this.pendingMarks.set(session.id, (this.pendingMarks.get(session.id) ?? '') + mark);
            return;
        }
        const connection = this.connection;
        if (!connection) return;
        const update: SharedSessionUpdate = { marks: mark, random: this.jitter(), opId: randomUUID() };
        if (this.changedContent.has(session.id) && !session.retired) this.takeContent(session, update);
        this.runInBackground(`record a use of session ${session.id}`, () => connection.apply(session.id, update), (result) => this.afterUpdate(session, result));
    }

    /** @internal */
    override onSessionRetired(session: Session, reason: RetireReason): void {
        const id = session.id;
        if (this.known.get(id) === session) this.known.delete(id);
        if (this.retiredIds.size >= RETIRED_IDS_KEPT) this.retiredIds.clear();
        this.retiredIds.add(id);
        this.contentVersions.delete(id);
        this.changedContent.delete(id);
        const connection = this.connection;
        if (this.applyingRemote === 0 && connection) {
            // Retire-once in the store: counted by the worker whose call retired it; the others hear of it.
            const opId = randomUUID();
            const random = this.jitter();
            this.runInBackground(`retire session ${id}`, () => connection.retire(id, reason, random, opId), (here) => {
                if (here) this.countRetired(reason);
                this.wakeWaiters();
            });
        }
        this.log.debug(`Session ${id} retired (${reason})`);
        this.emit('sessionRetired', session, reason);
        this.rejectPinnedShared(id, `it was retired (${reason})`);
    }

    /** @internal */
    override onSessionCoolDown(session: Session, retryAfterMs: number | undefined, statusCode: number | undefined): void {
        if (session.retired) return;
        const now = Date.now();
        const route = (session._proxy as ProxyEntry | undefined) ?? this.directRoute;
        this.counters.rateLimited += 1;
        // The store computes the authoritative cooldown (its route's backoff streak); this is the local estimate
        // the caller sees at once, raised when the store answers.
        const asked = retryAfterMs ?? backoffMs(route.rateLimitStreak, this.settings.rateLimitBackoffMs, this.settings.rateLimitMaxBackoffMs, this.jitter);
        route.rateLimitStreak += 1;
        const until = now + Math.min(asked, this.settings.maxCooldownMs);
        if (until > route.cooldownUntilMs) route.cooldownUntilMs = until;
        if (route.cooldownUntilMs > session.cooldownUntilMs) session.cooldownUntilMs = route.cooldownUntilMs;
        this.log.debug(`Session ${session.id} cools down for ${session.cooldownUntilMs - now} ms${statusCode ? ` after ${statusCode}` : ''}`);
        this.emit('sessionCooledDown', session, session.cooldownUntilMs);
        const connection = this.connection;
        if (!connection) return;
        const opId = randomUUID();
        const random = this.jitter();
        this.runInBackground(`cool down session ${session.id}`, () => connection.coolDown(session.id, retryAfterMs, random, opId), (storeUntil) => {
            if (storeUntil !== undefined && storeUntil > session.cooldownUntilMs) session.cooldownUntilMs = storeUntil;
        });
    }

    /** @internal */
    override onSessionChanged(session?: Session): void {
        if (this.applyingRemote > 0 || !session || session.retired) return;
        this.changedContent.add(session.id);
        if (session._leases === 0) this.scheduleContentFlush();
    }

    /** @internal */
    override onCookieRejected(session: Session, raw: string, url: string, error: unknown): void {
        this.counters.malformedCookies += 1;
        this.log.debug(`Skipped a cookie for session ${session.id} from ${url}: ${(error as Error)?.message ?? String(error)}`, {
            cookie: raw.length > 120 ? `${raw.slice(0, 120)}…` : raw,
        });
    }

    /** Cookies or userData changed outside a lease (seed `getSession()` usage): written on the next tick. */
    private scheduleContentFlush(): void {
        if (this.contentFlushScheduled) return;
        this.contentFlushScheduled = true;
        setImmediate(() => this.flushContent());
    }

    private flushContent(): void {
        this.contentFlushScheduled = false;
        const connection = this.connection;
        if (!connection) return;
        for (const id of [...this.changedContent]) {
            const session = this.known.get(id);
            if (!session || session._leases > 0) continue; // a lease writes them at its release
            const update: SharedSessionUpdate = { marks: '', random: this.jitter(), opId: randomUUID() };
            this.takeContent(session, update);
            this.runInBackground(`save the cookies of session ${id}`, () => connection.apply(id, update), (result) => this.afterUpdate(session, result));
        }
    }

    private applyRemoteRetirement(session: Session, reason: RetireReason): void {
        if (session.retired) return;
        this.applyingRemote += 1;
        try {
            session.retire(reason);
        } finally {
            this.applyingRemote -= 1;
        }
    }

    private countRetired(reason: RetireReason): void {
        this.counters.retired += 1;
        this.retiredByReason[reason] += 1;
    }

    private onSharedProxyChange(url: string, state: 'benched' | 'probation', timesBenched: number, benchedUntilMs: number | undefined): void {
        const known = this.snapshot?.proxies.find((proxy) => proxy.url === url);
        const stats: ProxyStats = {
            url,
            state,
            activeSessions: known?.activeSessions ?? 0,
            sessionsCreated: known?.sessionsCreated ?? 0,
            successes: known?.successes ?? 0,
            blocks: known?.blocks ?? 0,
            errors: known?.errors ?? 0,
            rateLimits: known?.rateLimits ?? 0,
            timesBenched,
        };
        if (state === 'benched' && benchedUntilMs !== undefined) stats.benchedUntil = new Date(benchedUntilMs).toISOString();
        if (state === 'benched') {
            this.log.info(`Proxy ${redactProxyUrl(url)} benched until ${stats.benchedUntil ?? '?'} (shared pool)`);
            this.emit('proxyBenched', stats);
        } else {
            this.log.info(`Proxy ${redactProxyUrl(url)} back on probation (shared pool)`);
            this.emit('proxyRevived', stats);
            this.wakeWaiters();
        }
    }

    /**
     * Runs a store update in the background (release, marks, retirement, cooldown): the caller's API is
     * synchronous, like the local pool's. Retried when the store is unreachable — every update is idempotent —
     * and logged when it finally fails. teardown() waits for them.
     */
    private runInBackground<T>(label: string, operation: () => Promise<T>, onResult?: (result: T) => void): void {
        const run = async (): Promise<void> => {
            for (let attempt = 0; ; attempt++) {
                let result: T;
                try {
                    result = await operation();
                } catch (error) {
                    if (error instanceof SharedStoreUnavailableError && attempt < BACKGROUND_RETRY_DELAYS_MS.length) {
                        await new Promise((resolve) => setTimeout(resolve, BACKGROUND_RETRY_DELAYS_MS[attempt]));
                        continue;
                    }
                    this.log.error(`Could not ${label} in the shared pool ${this.describeStore()}: ${(error as Error).message}`);
                    return;
                }
                try {
                    onResult?.(result);
                } catch (error) {
                    this.log.error(`Handling the answer to "${label}" failed: ${(error as Error).message}`);
                }
                return;
            }
        };
        const promise = run();
        this.background.add(promise);
        void promise.finally(() => this.background.delete(promise));
    }

    private describeStore(): string {
        return this.connection?.description ?? this.sharedStore.describe(this.persistStateKey);
    }

    // ------------------------------------------------------------------ state

    /**
     * This worker's activity (sessionsCreated, sessionsRetired, retiredByReason, leasesGranted, markedGood,
     * markedBad, rateLimited, acquireTimeouts, malformedCookies, waitingAcquires, activeLeases): summed over the
     * workers they give the pool's totals. Pool-wide gauges (sessions, availableSessions, leasedSessions,
     * coolingSessions, proxiesBenched, proxies) come from a snapshot at most ~1 s old. `getSharedStats()`
     * gives everything pool-wide and fresh.
     */
    override getStats(): SessionPoolStats {
        this.refreshSnapshotSoon();
        const snapshot = this.snapshot;
        return {
            maxPoolSize: this.maxPoolSize,
            sessions: snapshot?.sessions ?? this.known.size,
            availableSessions: snapshot?.availableSessions ?? 0,
            leasedSessions: snapshot?.leasedSessions ?? 0,
            coolingSessions: snapshot?.coolingSessions ?? 0,
            sessionsCreated: this.counters.created,
            sessionsRetired: this.counters.retired,
            retiredByReason: { ...this.retiredByReason },
            activeLeases: this.heldLeases,
            leasesGranted: this.counters.leasesGranted,
            waitingAcquires: this.queuedCount,
            acquireTimeouts: this.counters.acquireTimeouts,
            markedGood: this.counters.markedGood,
            markedBad: this.counters.markedBad,
            rateLimited: this.counters.rateLimited,
            malformedCookies: this.counters.malformedCookies,
            cookiesEvicted: this.counters.cookiesEvicted,
            proxiesBenched: snapshot?.proxiesBenched ?? 0,
            learnedUsageLimit: undefined,
            proxies: snapshot?.proxies ?? [],
        };
    }

    /** Pool-wide stats, read from the store now (all workers). waitingAcquires, acquireTimeouts and malformedCookies are this worker's. */
    async getSharedStats(): Promise<SharedSessionPoolStats> {
        if (this.shut && this.snapshot) return this.toStats(this.snapshot);
        if (!this.connection) await this.initialize();
        const snapshot = await this.requireConnection().stats();
        this.snapshot = snapshot;
        this.snapshotAt = Date.now();
        return this.toStats(snapshot);
    }

    private toStats(snapshot: SharedPoolSnapshot): SharedSessionPoolStats {
        return {
            leasesExpired: snapshot.leasesExpired,
            maxPoolSize: this.maxPoolSize,
            sessions: snapshot.sessions,
            availableSessions: snapshot.availableSessions,
            leasedSessions: snapshot.leasedSessions,
            coolingSessions: snapshot.coolingSessions,
            sessionsCreated: snapshot.sessionsCreated,
            sessionsRetired: snapshot.sessionsRetired,
            retiredByReason: { ...snapshot.retiredByReason },
            activeLeases: snapshot.activeLeases,
            leasesGranted: snapshot.leasesGranted,
            waitingAcquires: this.queuedCount,
            acquireTimeouts: this.counters.acquireTimeouts,
            markedGood: snapshot.markedGood,
            markedBad: snapshot.markedBad,
            rateLimited: snapshot.rateLimited,
            malformedCookies: this.counters.malformedCookies,
            cookiesEvicted: this.counters.cookiesEvicted,
            proxiesBenched: snapshot.proxiesBenched,
            learnedUsageLimit: undefined,
            proxies: snapshot.proxies,
        };
    }

    private refreshSnapshotSoon(): void {
        const connection = this.connection;
        if (!connection || this.shut || this.snapshotLoading || Date.now() - this.snapshotAt < SNAPSHOT_MAX_AGE_MS) return;
        const loading = connection
            .stats()
            .then((snapshot) => {
                this.snapshot = snapshot;
                this.snapshotAt = Date.now();
            })
            .catch((error: unknown) => this.log.debug(`Reading the shared pool's stats failed: ${(error as Error).message}`))
            .finally(() => {
                this.snapshotLoading = undefined;
                this.background.delete(loading);
            });
        this.snapshotLoading = loading;
        this.background.add(loading);
    }

    /** The sessions this worker has seen that are still usable, and the last known proxy stats (the store holds the whole state). */
    override getState(): PersistedPoolState {
        const now = Date.now();
        const sessions: SessionState[] = [];
        for (const session of this.known.values()) if (session.isUsable(now)) sessions.push(session.getState());
        return {
            format: STATE_FORMAT,
            version: STATE_VERSION,
            savedAt: new Date(now).toISOString(),
            sessions,
            proxies: this.snapshot?.proxies ?? [],
        };
    }

    /** Does nothing and returns false: the shared store is the state, every change is already in it. */
    override async persistState(): Promise<boolean> {
        return false;
    }

    /** The sessions this worker has seen (its cache), not the whole shared pool. */
    override getSessions(): Session[] {
        return [...this.known.values()];
    }

    /**
     * Waits for the updates still on their way to the store (releases, marks, cookies), gives back the leases
     * this worker still holds, rejects its waiters and disconnects. Other workers carry on with the pool.
     */
    override async teardown(): Promise<void> {
        if (this.shut) return;
        if (this.connecting) await this.connecting.catch(() => undefined);
        if (this.contentFlushScheduled) this.flushContent();
        this.shut = true;
        if (this.sharedWakeTimer) clearTimeout(this.sharedWakeTimer);
        this.sharedWakeTimer = undefined;
        this.rejectAllWaiters(new SessionPoolClosedError('acquire a session'));
        while (this.background.size > 0) await Promise.allSettled([...this.background]);
        const connection = this.connection;
        if (!connection) return;
        try {
            this.snapshot = await connection.stats();
            this.snapshotAt = Date.now();
        } catch (error) {
            this.log.debug(`Reading the shared pool's stats at teardown failed: ${(error as Error).message}`);
        }
        this.connection = undefined;
        await connection.close();
    }
}

function firstOpen(queue: SharedWaiter[]): SharedWaiter | undefined {
    while (queue.length > 0 && queue[0]!.settled) queue.shift();
    return queue[0];
}

function toNewSharedSession(session: Session): NewSharedSession {
    const state = session.getState(); // the jar only when it holds cookies (no jar is created for it)
    return {
        id: session.id,
        proxyUrl: session.proxyUrl,
        createdAtMs: session.createdAtMs,
        expiresAtMs: session.expiresAtMs,
        usageCount: session.usageCount,
        errorScore: session.errorScore,
        errorCount: session.errorCount,
        maxAgeSecs: session.maxAgeSecs,
        maxErrorScore: session.maxErrorScore,
        errorScoreDecrement: session.errorScoreDecrement,
        maxUsageCount: session.maxUsageCount,
        cooldownUntilMs: session.cooldownUntilMs,
        cookieJar: state.cookieJar ? JSON.stringify(state.cookieJar) : undefined,
        userData: JSON.stringify(state.userData),
    };
}


// `new SessionPool({ store })` with a SharedSessionStore builds a SharedSessionPool (pool.ts cannot import
// this module: it extends SessionPool).
_registerSharedPoolFactory((options) => (isSharedSessionStore(options.store) ? new SharedSessionPool(options) : undefined));
