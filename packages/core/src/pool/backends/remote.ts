import { randomUUID } from 'node:crypto';
import { createCookieJar, deserializeCookieJar } from '../../cookies.js';
import { SessionPoolCapacityError, SessionPoolClosedError, SessionUnavailableError } from '../../errors.js';
import { generateSessionId } from '../../ids.js';
import { publicProxyStats, ProxyEntry, type ProxyInfo, type ProxyStats, redactProxyUrl } from '../../proxy.js';
import { backoffMs } from '../../retry-after.js';
import { type RetireReason, Session, type SessionOptions, type SessionState } from '../../session.js';
import type { BackendAcquireOptions, FetchedGauges, PoolBackend, PoolGauges, PoolHost } from '../backend.js';
import { SessionLease } from '../lease.js';
import { duplicateIdError } from '../minting.js';
import {
    type NewSharedSession,
    type SharedMintSlot,
    type SharedPoolConnection,
    type SharedPoolListener,
    type SharedPoolSettings,
    type SharedPoolSnapshot,
    type SharedSessionRecord,
    type SharedSessionStore,
    type SharedSessionUpdate,
    SharedStoreUnavailableError,
    type SharedUpdateResult,
    type SharedWaitInfo,
} from '../shared-store.js';
import { type WaitState, abortReason } from '../waiters.js';

type Attempt = SessionLease | { waitUntil: number | undefined } | { unavailable: string };

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

/**
 * A pool whose state lives in a SharedSessionStore, shared by every worker using the same store settings
 * (e.g. the same Redis `poolId`). Each worker keeps its Session objects as a cache of the store's records,
 * refreshed at every acquire. What a caller can see: `lease.release()` and the marks reach the store in the
 * background (teardown waits for them); `getStats()` gives this worker's activity and pool-wide gauges from a
 * snapshot at most 1 s old (`fetchStats()` is exact and pool-wide); `sessionRetired` fires once per session in
 * every worker that has used it; persistence does nothing (the store is the state).
 */
export class RemoteBackend implements PoolBackend {
    readonly persists = false;
    private readonly sharedSettings: SharedPoolSettings;
    private readonly jitter: () => number;

    private connection: SharedPoolConnection | undefined;
    private connecting: Promise<void> | undefined;

    /** Sessions this worker has seen, by id: the local cache of the shared state. */
    private readonly known = new Map<string, Session>();
    private readonly contentVersions = new Map<string, number>();
    /** The cookies of each session as of its content version (cookie key → JSON): what a write's changes are computed against. */
    private readonly cookieBase = new Map<string, Map<string, string>>();
    /** Marks made during a lease, sent with its release. */
    private readonly pendingMarks = new Map<string, string>();
    /** Sessions whose cookies or userData changed since they were last written. */
    private readonly changedContent = new Set<string>();
    /** Ids this worker saw retired (bounded): retireSession(id) answers false for them, like the in-process pool. */
    private readonly retiredIds = new Set<string>();
    private readonly routes = new Map<string, ProxyEntry>();
    private readonly directRoute = new ProxyEntry('direct', true);
    private readonly background = new Set<Promise<void>>();
    private applyingRemote = 0;
    private contentFlushScheduled = false;

    private drainRunning = false;
    private drainRequested = false;
    /** Bumped by every wake-up signal; an acquire that saw it change while it asked the store asks again. */
    private wakeEpoch = 0;
    private lastWait: SharedWaitInfo | undefined;

    private heldLeases = 0;
    /** Leases this worker holds, by session id (a session may be leased more than once: maxConcurrencyPerSession). */
    private readonly leaseCounts = new Map<string, number>();
    /** The pool's learned usage limit (learnUsageLimit), as the store last told this worker. */
    private learnedLimit: number | undefined;
    private snapshot: SharedPoolSnapshot | undefined;
    private snapshotAt = 0;
    private snapshotLoading: Promise<void> | undefined;

    constructor(
        private readonly host: PoolHost,
        private readonly store: SharedSessionStore,
        private readonly persistStateKey: string,
    ) {
        const { settings } = host;
        const config = settings.proxyConfiguration;
        const limits = settings.sessionLimits;
        const rules = settings.proxyHealth;
        this.sharedSettings = Object.freeze({
            maxPoolSize: settings.maxPoolSize,
            maxConcurrencyPerSession: settings.maxConcurrencyPerSession,
            sessionLimits: Object.freeze({
                maxAgeSecs: limits.maxAgeSecs,
                maxErrorScore: limits.maxErrorScore,
                errorScoreDecrement: limits.errorScoreDecrement,
                maxUsageCount: limits.maxUsageCount,
            }),
            proxyBanThreshold: rules.banThreshold,
            proxyBenchMs: rules.benchBaseMs,
            proxyMaxBenchMs: rules.benchMaxMs,
            rateLimitBackoffMs: rules.rateLimitBaseMs,
            rateLimitMaxBackoffMs: rules.rateLimitMaxMs,
            maxCooldownMs: rules.maxCooldownMs,
            learnUsageLimit: settings.learnUsageLimit,
            proxyMode: !config ? 'direct' : config.proxyUrls ? 'list' : 'function',
            proxyUrls: config?.proxyUrls ?? [],
            sessionReuseStrategy: settings.sessionReuseStrategy,
        } satisfies SharedPoolSettings);
        this.jitter = settings.random;
    }

    /** @internal The connection to the store (tests drive it directly). */
    get storeConnection(): SharedPoolConnection | undefined {
        return this.connection;
    }

    describe(): string {
        return this.connection?.description ?? this.store.describe(this.persistStateKey);
    }

    // ------------------------------------------------------------------ connection

    /** Joins the shared pool (connects to the store). Idempotent; after a failure the next call tries again. */
    open(): Promise<void> {
        if (this.connection) return Promise.resolve();
        if (this.host.closed) return Promise.reject(new SessionPoolClosedError('initialize'));
        this.connecting ??= this.openConnection();
        return this.connecting;
    }

    private async openConnection(): Promise<void> {
        try {
            const connection = await this.store.openSharedPool(this.sharedSettings, this.listener(), this.host.log);
            if (this.host.closed) {
                await connection.close();
                throw new SessionPoolClosedError('initialize');
            }
            this.connection = connection;
            this.host.log.debug(`Joined the shared session pool ${connection.description} as worker ${connection.workerId}`);
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
            usageLimitLearned: (uses) => this.learnUsageLimit(uses),
            stateLost: () => this.forgetSessions(),
        };
    }

    /**
     * The shared pool lost every session: the local copies describe sessions that no longer exist. Leases in
     * hand stay counted until released (their releases are no-ops in the store).
     */
    private forgetSessions(): void {
        this.known.clear();
        this.contentVersions.clear();
        this.cookieBase.clear();
        this.changedContent.clear();
        this.snapshot = undefined;
        this.wakeWaiters();
    }

    private requireConnection(): SharedPoolConnection {
        if (!this.connection) throw new SessionPoolClosedError('use the shared pool (it is not connected)');
        return this.connection;
    }

    // ------------------------------------------------------------------ counts

    sessionCount(): number {
        this.refreshSnapshotSoon();
        return this.snapshot?.sessions ?? this.known.size;
    }

    usableSessionCount(): number {
        return this.sessionCount();
    }

    gauges(): PoolGauges {
        this.refreshSnapshotSoon();
        const snapshot = this.snapshot;
        return {
            sessions: snapshot?.sessions ?? this.known.size,
            availableSessions: snapshot?.availableSessions ?? 0,
            leasedSessions: snapshot?.leasedSessions ?? 0,
            coolingSessions: snapshot?.coolingSessions ?? 0,
            activeLeases: this.heldLeases,
            proxiesBenched: snapshot?.proxiesBenched ?? 0,
            sessionsRetired: snapshot?.sessionsRetired,
            learnedUsageLimit: this.learnedLimit,
        };
    }

    async fetchGauges(): Promise<FetchedGauges> {
        let snapshot = this.snapshot;
        if (!(this.host.closed && snapshot)) {
            if (!this.connection) await this.open();
            snapshot = await this.requireConnection().stats();
            this.snapshot = snapshot;
            this.snapshotAt = Date.now();
            if (snapshot.learnedUsageLimit !== undefined) this.learnUsageLimit(snapshot.learnedUsageLimit);
        }
        return {
            sessions: snapshot.sessions,
            availableSessions: snapshot.availableSessions,
            leasedSessions: snapshot.leasedSessions,
            coolingSessions: snapshot.coolingSessions,
            activeLeases: snapshot.activeLeases,
            proxiesBenched: snapshot.proxiesBenched,
            learnedUsageLimit: this.learnedLimit,
            leasesExpired: snapshot.leasesExpired,
            proxies: snapshot.proxies,
            counters: {
                created: snapshot.sessionsCreated,
                retired: snapshot.sessionsRetired,
                retiredByReason: { ...snapshot.retiredByReason },
                leasesGranted: snapshot.leasesGranted,
                markedGood: snapshot.markedGood,
                markedBad: snapshot.markedBad,
                rateLimited: snapshot.rateLimited,
            },
        };
    }

    private refreshSnapshotSoon(): void {
        const connection = this.connection;
        if (!connection || this.host.closed || this.snapshotLoading || Date.now() - this.snapshotAt < SNAPSHOT_MAX_AGE_MS) return;
        const loading = connection
            .stats()
            .then((snapshot) => {
                this.snapshot = snapshot;
                this.snapshotAt = Date.now();
            })
            .catch((error: unknown) => this.host.log.debug(`Reading the shared pool's stats failed: ${(error as Error).message}`))
            .finally(() => {
                this.snapshotLoading = undefined;
                this.background.delete(loading);
            });
        this.snapshotLoading = loading;
        this.background.add(loading);
    }

    /** The sessions this worker has seen (its cache), not the whole shared pool. */
    getSessions(): Session[] {
        return [...this.known.values()];
    }

    sessionStates(now: number): SessionState[] {
        const states: SessionState[] = [];
        for (const session of this.known.values()) if (session.isUsable(now)) states.push(session.getState());
        return states;
    }

    /** The last known proxy stats (the store holds the whole state). */
    proxyStates(): ProxyStats[] {
        return this.snapshot?.proxies ?? [];
    }

    restore(): number {
        return 0; // the store is the state: nothing is loaded into a shared pool
    }

    // ------------------------------------------------------------------ leases

    async acquire(options: BackendAcquireOptions): Promise<SessionLease> {
        if (!this.connection) await this.open();
        const pinned = options.sessionId;
        const waiters = this.host.waiters;
        let waitUntil: number | undefined;
        let woken = false;
        if (pinned !== undefined || !waiters.hasQueued) {
            const epoch = this.wakeEpoch;
            const outcome = await this.attempt(pinned);
            if (outcome instanceof SessionLease) {
                if (this.host.closed || options.signal?.aborted) {
                    outcome.release();
                    if (this.host.closed) throw new SessionPoolClosedError('acquire a session');
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
        if (this.host.closed) throw new SessionPoolClosedError('acquire a session'); // torn down while asking the store
        const waiting = waiters.add(pinned, options.timeoutMs, options.signal);
        if (woken) void this.drain();
        else this.scheduleWake(waitUntil ?? Number.POSITIVE_INFINITY);
        return waiting;
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
                const minted = await this.mintInSlot(connection, result, { lease: true });
                if (minted instanceof SessionLease) return minted;
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
    private async grant(connection: SharedPoolConnection, leaseId: string, record: SharedSessionRecord): Promise<SessionLease | undefined> {
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
        if (this.retiredIds.has(record.id)) {
            // Retired (here, or heard of on pub/sub) while this acquire was on its way: the reply must not bring the
            // session back as a new local copy, which would be leased and then announced retired a second time.
            this.giveBack(connection, leaseId, record.id);
            return undefined;
        }
        const session = this.materialize(current, cached);
        if (session.retired) {
            // Retired here while the store did not hear of it yet: give it back and say it again.
            this.giveBack(connection, leaseId, record.id);
            const reason = session.retireReason ?? 'manual';
            const opId = randomUUID();
            const random = this.jitter();
            this.runInBackground(`retire session ${record.id}`, () => connection.retire(record.id, reason, random, opId), (here) => {
                if (here) this.host.countRetired(reason);
            });
            return undefined;
        }
        return this.lease(session, leaseId);
    }

    private lease(session: Session, leaseId: string): SessionLease {
        this.leaseCounts.set(session.id, this.leasesOf(session) + 1);
        this.heldLeases += 1;
        this.host.counters.leasesGranted += 1;
        return new SessionLease(this, session, { leaseId });
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
                sessionPool: this.host.owner,
            });
            this.known.set(record.id, session);
        } else if (!this.pendingMarks.has(record.id)) {
            // Marks not yet sent are newer than the store's counters: keep the local ones then.
            session._setCounts(record.usageCount, record.errorScore, record.errorCount);
        }
        session.cooldownUntilMs = record.cooldownUntilMs > Date.now() ? record.cooldownUntilMs : 0;
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
            this.cookieBase.set(session.id, cookieIndex(record.cookieJar ? (JSON.parse(record.cookieJar) as SerializedJar) : undefined));
        } catch (error) {
            this.host.log.warning(`Session ${session.id} has unreadable cookies or userData in ${this.describe()}; keeping the local copy: ${(error as Error).message}`);
        } finally {
            this.applyingRemote -= 1;
        }
    }

    proxyInfoOf(lease: SessionLease): ProxyInfo | undefined {
        return this.routeOf(lease.session.proxyUrl).proxyInfo;
    }

    /** Leases this worker holds on the session. */
    private leasesOf(session: Session): number {
        return this.leaseCounts.get(session.id) ?? 0;
    }

    releaseLease(lease: SessionLease): void {
        const { session } = lease;
        const left = this.leasesOf(session) - 1;
        if (left > 0) this.leaseCounts.set(session.id, left);
        else this.leaseCounts.delete(session.id);
        this.heldLeases -= 1;
        const connection = this.connection;
        if (!connection) return; // torn down: the store gave the lease back when it closed
        const id = session.id;
        const marks = this.pendingMarks.get(id);
        if (marks !== undefined) this.pendingMarks.delete(id);
        const update: SharedSessionUpdate = { marks: marks ?? '', random: this.jitter(), opId: lease.leaseId! };
        if (this.changedContent.has(id) && !session.retired) this.takeContent(session, update);
        this.runInBackground(`release session ${id}`, () => connection.release(lease.leaseId!, id, update), (result) => this.afterUpdate(session, result));
    }

    /** The session's cookies and userData for an update, with the cookie changes since the version they were read at. */
    private takeContent(session: Session, update: SharedSessionUpdate): void {
        this.changedContent.delete(session.id);
        const jar = session.cookieJar.serializeSync() as SerializedJar;
        const current = cookieIndex(jar);
        const base = this.cookieBase.get(session.id);
        if (base) {
            const set: unknown[] = [];
            const remove: string[] = [];
            for (const [key, json] of current) if (base.get(key) !== json) set.push(JSON.parse(json));
            for (const key of base.keys()) if (!current.has(key)) remove.push(key);
            const { cookies: _cookies, ...header } = jar;
            update.cookieChanges = JSON.stringify({ jar: header, set, remove });
            update.baseVersion = this.contentVersions.get(session.id) ?? -1;
        }
        this.cookieBase.set(session.id, current);
        update.cookieJar = JSON.stringify(jar);
        update.userData = JSON.stringify(session.userData);
    }

    private afterUpdate(session: Session, result: SharedUpdateResult): void {
        // Merged with another lease's cookies: this copy lacks theirs, so the next lease reads the store's.
        if (result.version !== undefined) this.contentVersions.set(session.id, result.merged ? -1 : result.version);
        if (result.retired) {
            if (result.retiredHere) this.host.countRetired(result.retired);
            if (!session.retired) this.applyRemoteRetirement(session, result.retired);
        }
        if (result.leaseExpired) {
            this.host.log.warning(
                `The lease of session ${session.id} had expired before its release (no heartbeat reached ${this.describe()} for leaseTtlSecs), ` +
                    'so the session went back to the pool meanwhile: its marks were counted, its new cookies were not saved.',
            );
        }
        if (this.host.waiters.size > 0) this.wakeWaiters();
    }

    /** Pool-wide figures from the store's last "wait" answer. */
    waitState(): WaitState {
        const info = this.lastWait;
        return {
            sharedPool: this.describe(),
            maxPoolSize: this.host.settings.maxPoolSize,
            sessions: info?.sessions,
            leasedSessions: info?.leasedSessions ?? 0,
            activeLeases: info?.activeLeases ?? 0,
            coolingSessions: info?.coolingSessions ?? 0,
            nextReadyInMs: undefined,
            benchedProxies: info?.benchedProxies ?? 0,
            proxies: info?.proxies ?? 0,
        };
    }

    private wakeWaiters(): void {
        this.wakeEpoch += 1;
        if (this.host.waiters.size > 0 && !this.host.closed) void this.drain();
    }

    /** Serves queued acquires, one store call at a time, first come first served; pinned ones after. */
    private async drain(): Promise<void> {
        if (this.drainRunning) {
            this.drainRequested = true;
            return;
        }
        this.drainRunning = true;
        const waiters = this.host.waiters;
        let nextAt = Number.POSITIVE_INFINITY;
        try {
            do {
                this.drainRequested = false;
                nextAt = Number.POSITIVE_INFINITY;
                while (!this.host.closed && waiters.first()) {
                    const outcome = await this.attempt(undefined);
                    if (outcome instanceof SessionLease) {
                        const waiter = waiters.take();
                        if (!waiter || this.host.closed) {
                            outcome.release(); // everyone gave up meanwhile
                            break;
                        }
                        waiters.resolve(waiter, outcome);
                        continue;
                    }
                    if ('waitUntil' in outcome && outcome.waitUntil !== undefined) nextAt = Math.min(nextAt, outcome.waitUntil);
                    break;
                }
                for (const id of waiters.pinnedIds()) {
                    const waiter = waiters.firstPinned(id);
                    if (!waiter || this.host.closed) continue;
                    const outcome = await this.attempt(id);
                    if (outcome instanceof SessionLease) {
                        if (waiter.settled) outcome.release();
                        else waiters.resolve(waiter, outcome);
                    } else if ('unavailable' in outcome) {
                        waiters.rejectPinned(id, () => new SessionUnavailableError(id, outcome.unavailable));
                    } else if (outcome.waitUntil !== undefined) {
                        nextAt = Math.min(nextAt, outcome.waitUntil);
                    }
                }
            } while (this.drainRequested && !this.host.closed);
        } catch (error) {
            // The store failed after its own retries: every waiter would fail the same way now.
            waiters.rejectAll(() => error as Error);
        } finally {
            this.drainRunning = false;
        }
        this.scheduleWake(nextAt);
    }

    /** Wakes the queue at `at` (a cooldown or a lease expiry the store named), or after the poll interval at the latest. */
    private scheduleWake(at: number): void {
        const waiters = this.host.waiters;
        if (waiters.size === 0 || this.host.closed) {
            waiters.cancelWake();
            return;
        }
        waiters.scheduleWake(Math.min(at, Date.now() + WAIT_POLL_MS), () => void this.drain());
    }

    // ------------------------------------------------------------------ minting

    /**
     * Creates a session for a reserved slot and registers it (held by this worker with `lease`). Gives the
     * slot back when no session could be registered in it.
     */
    private async mintInSlot(connection: SharedPoolConnection, slot: SharedMintSlot, options: { lease: true }): Promise<SessionLease | undefined>;
    private async mintInSlot(connection: SharedPoolConnection, slot: SharedMintSlot, options: { lease: false }): Promise<Session | undefined>;
    private async mintInSlot(connection: SharedPoolConnection, slot: SharedMintSlot, { lease }: { lease: boolean }): Promise<SessionLease | Session | undefined> {
        let done = false;
        try {
            const id = generateSessionId();
            for (let attempt = 0; attempt < 5; attempt++) {
                const proxyUrl = slot.askProxy ? await this.host.settings.proxyConfiguration!.newUrl(id) : slot.proxyUrl;
                const session = await this.host.buildSession(id, proxyUrl);
                if (this.host.closed) throw new SessionPoolClosedError('create a session');
                const result = await connection.commit(slot.slot, toNewSharedSession(session), { lease });
                if (result.kind === 'committed') {
                    done = true;
                    this.adopt(session);
                    return lease ? this.lease(session, result.leaseId!) : session;
                }
                if (result.kind === 'expired') done = true; // nothing left to give back
                if (result.kind !== 'proxyRejected' || !slot.askProxy) break;
            }
            return undefined;
        } finally {
            if (!done) this.runInBackground('give back a session slot', () => connection.abort(slot.slot));
        }
    }

    private adopt(session: Session): void {
        this.known.set(session.id, session);
        this.contentVersions.set(session.id, 1);
        this.cookieBase.set(session.id, cookieIndex(session.cookieJar.serializeSync() as SerializedJar));
        this.host.counters.created += 1;
        this.host.emit('sessionCreated', session);
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

    async getSession(sessionId: string | undefined): Promise<Session | undefined> {
        if (!this.connection) await this.open();
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
                const minted = await this.mintInSlot(connection, result, { lease: false });
                if (minted) return minted;
            }
            break;
        }
        // Every slot is being created right now or no route takes a session: wait like acquire() does.
        const lease = await this.acquire({ timeoutMs: this.host.settings.acquireTimeoutMs, sessionId: undefined, signal: undefined });
        lease.release();
        return lease.session;
    }

    async addSession(options: SessionOptions | Session): Promise<Session> {
        if (!this.connection) await this.open();
        const connection = this.requireConnection();
        if (!(options instanceof Session) && Object.keys(options).length === 0) {
            const reserved = await connection.reserve(null, this.jitter());
            if (reserved.kind === 'full') throw this.fullError();
            const minted = reserved.kind === 'mint' ? await this.mintInSlot(connection, reserved, { lease: false }) : undefined;
            if (!minted) throw new SessionPoolCapacityError('Cannot add a session: no proxy accepts new sessions now (all benched or cooling down).');
            this.wakeWaiters();
            return minted;
        }
        const session = this.host.sessionToAdd(options);
        if (this.known.has(session.id)) throw duplicateIdError(session.id);
        const reserved = await connection.reserve(session.proxyUrl ?? '', this.jitter());
        if (reserved.kind !== 'mint') throw this.fullError();
        let committed = false;
        try {
            const result = await connection.commit(reserved.slot, toNewSharedSession(session), { lease: false });
            if (result.kind === 'idTaken') throw duplicateIdError(session.id);
            if (result.kind !== 'committed') throw new SessionPoolCapacityError(`Cannot add session "${session.id}": its slot in the pool expired, try again.`);
            committed = true;
        } finally {
            if (!committed) this.runInBackground('give back a session slot', () => connection.abort(reserved.slot));
        }
        this.adopt(session);
        this.wakeWaiters();
        return session;
    }

    private fullError(): SessionPoolCapacityError {
        return new SessionPoolCapacityError(
            `Cannot add a session: the shared pool is full (maxPoolSize ${this.host.settings.maxPoolSize}). Retire sessions or raise maxPoolSize.`,
        );
    }

    /**
     * Retires a session (by object or id). An id this worker has not seen is retired in the store in the
     * background: the call then returns true without knowing whether it was still alive.
     */
    retireSession(sessionOrId: Session | string, reason: RetireReason): boolean {
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
            if (here) this.host.countRetired(reason);
        });
        return true;
    }

    // ------------------------------------------------------------------ SessionOwner (called by sessions through the pool)

    onSessionMarked(session: Session, outcome: 'good' | 'bad', blameProxy: boolean): void {
        if (this.applyingRemote > 0) return;
        let mark: string;
        if (outcome === 'good') {
            this.host.counters.markedGood += 1;
            this.routeOf(session.proxyUrl).rateLimitStreak = 0; // a success ends the route's rate-limit streak (local estimate)
            mark = 'g';
        } else {
            this.host.counters.markedBad += 1;
            mark = blameProxy ? 'b' : 'h';
        }
        // The store retires at the learned limit too (with the marks); retiring here spares the next request.
        if (this.learnedLimit !== undefined && session.usageCount >= this.learnedLimit && !session.retired) session.retire('maxUsageCount');
        if (this.leasesOf(session) > 0) {
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

    onSessionRetired(session: Session, reason: RetireReason): void {
        const id = session.id;
        if (this.known.get(id) === session) this.known.delete(id);
        if (this.retiredIds.size >= RETIRED_IDS_KEPT) this.retiredIds.clear();
        this.retiredIds.add(id);
        this.contentVersions.delete(id);
        this.cookieBase.delete(id);
        this.changedContent.delete(id);
        const connection = this.connection;
        if (this.applyingRemote === 0 && connection) {
            // The lease's marks go first: the store learns the usage limit from the usage count at a block.
            const marks = this.pendingMarks.get(id);
            if (marks) {
                this.pendingMarks.delete(id);
                const update: SharedSessionUpdate = { marks, random: this.jitter(), opId: randomUUID() };
                this.runInBackground(`record the uses of session ${id}`, () => connection.apply(id, update), (result) => this.afterUpdate(session, result));
            }
            // Retire-once in the store: counted by the worker whose call retired it; the others hear of it.
            const opId = randomUUID();
            const random = this.jitter();
            this.runInBackground(`retire session ${id}`, () => connection.retire(id, reason, random, opId), (here) => {
                if (here) this.host.countRetired(reason);
                this.wakeWaiters();
            });
        }
        this.host.log.debug(`Session ${id} retired (${reason})`);
        this.host.emit('sessionRetired', session, reason);
        this.host.waiters.rejectPinned(id, () => new SessionUnavailableError(id, `it was retired (${reason})`));
    }

    onSessionCoolDown(session: Session, retryAfterMs: number | undefined, statusCode: number | undefined): void {
        if (session.retired) return;
        const now = Date.now();
        const route = this.routeOf(session.proxyUrl);
        const rules = this.host.settings.proxyHealth;
        this.host.counters.rateLimited += 1;
        // The store computes the authoritative cooldown (its route's backoff streak); this is the local estimate
        // the caller sees at once, raised when the store answers.
        const asked = retryAfterMs ?? backoffMs(route.rateLimitStreak, rules.rateLimitBaseMs, rules.rateLimitMaxMs, this.jitter);
        route.rateLimitStreak += 1;
        const until = now + Math.min(asked, rules.maxCooldownMs);
        if (until > route.cooldownUntilMs) route.cooldownUntilMs = until;
        if (route.cooldownUntilMs > session.cooldownUntilMs) session.cooldownUntilMs = route.cooldownUntilMs;
        this.host.log.debug(`Session ${session.id} cools down for ${session.cooldownUntilMs - now} ms${statusCode ? ` after ${statusCode}` : ''}`);
        this.host.emit('sessionCooledDown', session, session.cooldownUntilMs);
        const connection = this.connection;
        if (!connection) return;
        const opId = randomUUID();
        const random = this.jitter();
        this.runInBackground(`cool down session ${session.id}`, () => connection.coolDown(session.id, retryAfterMs, random, opId), (storeUntil) => {
            if (storeUntil !== undefined && storeUntil > session.cooldownUntilMs) session.cooldownUntilMs = storeUntil;
        });
    }

    onSessionChanged(session?: Session): void {
        if (this.applyingRemote > 0 || !session || session.retired) return;
        this.changedContent.add(session.id);
        if (this.leasesOf(session) === 0) this.scheduleContentFlush();
    }

    onCookieRejected(): void {}

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
            if (!session || this.leasesOf(session) > 0) continue; // a lease writes them at its release
            const update: SharedSessionUpdate = { marks: '', random: this.jitter(), opId: randomUUID() };
            this.takeContent(session, update);
            this.runInBackground(`save the cookies of session ${id}`, () => connection.apply(id, update), (result) => this.afterUpdate(session, result));
        }
    }

    private learnUsageLimit(uses: number): void {
        if (!this.host.settings.learnUsageLimit || uses === this.learnedLimit) return;
        this.learnedLimit = uses;
        this.host.log.info(`Sessions keep getting blocked after ${uses} uses: retiring them at ${uses} uses from now on (learnUsageLimit, shared pool).`);
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
            this.host.log.info(`Proxy ${redactProxyUrl(url)} benched until ${stats.benchedUntil ?? '?'} (shared pool)`);
            this.host.emit('proxyBenched', publicProxyStats(stats));
        } else {
            this.host.log.info(`Proxy ${redactProxyUrl(url)} back on probation (shared pool)`);
            this.host.emit('proxyRevived', publicProxyStats(stats));
            this.wakeWaiters();
        }
    }

    /**
     * Runs a store update in the background (release, marks, retirement, cooldown): the caller's API is
     * synchronous, like the in-process pool's. Retried when the store is unreachable — every update is
     * idempotent — and logged when it finally fails. close() waits for them.
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
                    this.host.log.error(`Could not ${label} in the shared pool ${this.describe()}: ${(error as Error).message}`);
                    return;
                }
                try {
                    onResult?.(result);
                } catch (error) {
                    this.host.log.error(`Handling the answer to "${label}" failed: ${(error as Error).message}`);
                }
                return;
            }
        };
        const promise = run();
        this.background.add(promise);
        void promise.finally(() => this.background.delete(promise));
    }

    /**
     * Waits for the updates still on their way to the store (releases, marks, cookies), gives back the leases
     * this worker still holds and disconnects. Other workers carry on with the pool. (The pool has rejected
     * its waiters already.)
     */
    async close(): Promise<void> {
        if (this.connecting) await this.connecting.catch(() => undefined);
        if (this.contentFlushScheduled) this.flushContent();
        this.host.waiters.cancelWake();
        while (this.background.size > 0) await Promise.allSettled([...this.background]);
        const connection = this.connection;
        if (!connection) return;
        try {
            this.snapshot = await connection.stats();
            this.snapshotAt = Date.now();
        } catch (error) {
            this.host.log.debug(`Reading the shared pool's stats at teardown failed: ${(error as Error).message}`);
        }
        this.connection = undefined;
        await connection.close();
    }
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

interface SerializedJar {
    cookies?: Record<string, unknown>[];
    [field: string]: unknown;
}

/** Cookie key ("domain;path;name", as the store's merge keys them) → the cookie's JSON without its access time. */
function cookieIndex(jar: SerializedJar | undefined): Map<string, string> {
    const index = new Map<string, string>();
    for (const cookie of Array.isArray(jar?.cookies) ? jar.cookies : []) {
        const { lastAccessed: _lastAccessed, ...rest } = cookie;
        index.set(`${String(cookie.domain ?? '')};${String(cookie.path ?? '')};${String(cookie.key ?? '')}`, JSON.stringify(rest));
    }
    return index;
}
