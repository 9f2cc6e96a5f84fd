import type { Log } from '../log.js';
import type { ProxyStats } from '../proxy.js';
import type { RetireReason, Session, SessionOptions, SessionOwner, SessionState } from '../session.js';
import type { LeaseOwner, SessionLease } from './lease.js';
import type { PoolSettings } from './options.js';
import type { SessionPoolEvents } from './session-pool.js';
import type { WaitState, WaiterQueue } from './waiters.js';

// The seam between the one SessionPool and where its sessions live. The pool owns the public API, the
// options, the events, the activity counters, the waiter queue, minting (createSessionFunction) and
// persistence; a backend owns the sessions' bookkeeping (which is free, leased, cooling), proxy health and
// serving the waiter queue. In-process: MemoryBackend (synchronous data structures, no promise on the reuse
// path). Shared by many processes: RemoteBackend over a SharedPoolConnection (e.g. @sessionkit/redis).
//
// A pick strategy (which free session an acquire gets) belongs to the backend: MemoryBackend's pick is
// `pickAvailable` (least recently used first), the Redis scripts' is the `avail` sorted set.

/** What a backend can use of the pool it serves. */
export interface PoolHost {
    readonly settings: PoolSettings;
    readonly log: Log;
    /** Activity counters of this pool (a shared pool: of this worker). */
    readonly counters: PoolCounters;
    readonly waiters: WaiterQueue;
    /** The sessions' owner (the pool): sessions built for it report their marks and retirement to it. */
    readonly owner: SessionOwner;
    readonly closed: boolean;
    emit<K extends keyof SessionPoolEvents>(event: K, ...args: SessionPoolEvents[K]): boolean;
    /** A new session for the pool (createSessionFunction, or the pool's own limits). */
    buildSession(id: string, proxyUrl: string | undefined, now?: number): Promise<Session>;
    /** The session `addSession(options)` adds (validated). */
    sessionToAdd(options: SessionOptions | Session): Session;
    /** Counts a retirement (once per session across all workers). */
    countRetired(reason: RetireReason): void;
    /** Something persisted changed (the pool saves its state when dirty). */
    markDirty(): void;
}

export interface PoolCounters {
    created: number;
    retired: number;
    leasesGranted: number;
    acquireTimeouts: number;
    markedGood: number;
    markedBad: number;
    rateLimited: number;
    malformedCookies: number;
    cookiesEvicted: number;
    proxiesBenched: number;
    retiredByReason: Record<RetireReason, number>;
}

/** The pool's state as the backend sees it (for stats). */
export interface PoolGauges {
    sessions: number;
    availableSessions: number;
    leasedSessions: number;
    coolingSessions: number;
    activeLeases: number;
    /** Pool-wide figures a shared backend knows better than this worker's activity counters. */
    proxiesBenched?: number;
    sessionsRetired?: number | undefined;
    learnedUsageLimit: number | undefined;
}

/** Fresh pool-wide figures (`fetchStats()`). */
export interface FetchedGauges extends PoolGauges {
    proxies: ProxyStats[];
    /** Leases of dead (or disconnected) workers that expired and were taken back. */
    leasesExpired: number;
    /** Pool-wide activity (all workers of a shared pool); undefined: the pool's own counters are the totals. */
    counters?: Omit<PoolCounters, 'acquireTimeouts' | 'malformedCookies' | 'cookiesEvicted' | 'proxiesBenched'>;
}

export interface BackendAcquireOptions {
    timeoutMs: number;
    sessionId: string | undefined;
    signal: AbortSignal | undefined;
}

/** Where a pool's sessions live. Every method is called by the one SessionPool, never by users. */
export interface PoolBackend extends SessionOwner, LeaseOwner {
    /** Whether the pool's persistence (load, save to its SessionStore) applies: a shared store is the state itself. */
    readonly persists: boolean;
    /** Where the sessions live, for messages. */
    describe(): string;
    /** Connects (a shared backend). Idempotent; after a failure the next call tries again. */
    open(): Promise<void>;
    acquire(options: BackendAcquireOptions): Promise<SessionLease>;
    getSession(sessionId: string | undefined): Promise<Session | undefined>;
    addSession(options: SessionOptions | Session): Promise<Session>;
    retireSession(sessionOrId: Session | string, reason: RetireReason): boolean;
    /** Sessions alive (a shared backend: the ones this worker has seen). */
    sessionCount(): number;
    usableSessionCount(): number;
    gauges(): PoolGauges;
    /** Fresh pool-wide figures (a shared backend reads the store). */
    fetchGauges(): Promise<FetchedGauges>;
    /** Why nothing was free (for the message of an acquire that timed out). */
    waitState(): WaitState;
    getSessions(): Session[];
    sessionStates(now: number): SessionState[];
    proxyStates(now: number): ProxyStats[];
    /** Adopts restored sessions and proxy health (persistence); returns how many sessions it kept. */
    restore(sessions: Session[], proxies: ProxyStats[], now: number): number;
    close(): Promise<void>;
}
