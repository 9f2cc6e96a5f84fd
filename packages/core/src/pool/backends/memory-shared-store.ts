import { randomUUID } from 'node:crypto';
import type { Log } from '../../log.js';
import { type ProxyEntry, ProxyHealth, type ProxyStats } from '../../proxy.js';
import { RETIRE_REASONS, type RetireReason } from '../../session.js';
import type { PersistedPoolState } from '../../store.js';
import { UsageLimitLearner } from '../../usage-limit.js';
import type {
    NewSharedSession,
    SharedAcquireResult,
    SharedCommitResult,
    SharedMintSlot,
    SharedPeekResult,
    SharedPoolConnection,
    SharedPoolListener,
    SharedPoolSettings,
    SharedPoolSnapshot,
    SharedReserveResult,
    SharedSessionLookup,
    SharedSessionRecord,
    SharedSessionStore,
    SharedSessionUpdate,
    SharedUpdateResult,
} from '../shared-store.js';

// A shared store in this process: the same protocol as @sessionkit/redis (every operation one atomic step,
// answered asynchronously, records serialised on the way in and out, so no worker shares an object with the
// store), with core's own rules (ProxyHealth, UsageLimitLearner) as the store's. It lets the shared backend's
// code path — the session cache, background writes, merged cookies — run without Redis: tests run the pool's
// behaviour spec on it. Several pools given one MemorySharedSessionStore are workers of one pool.

/** The record the protocol hands out, plus what only the store keeps (its content always, leases, the route). */
interface StoredSession extends Omit<SharedSessionRecord, 'hasContent'> {
    leases: number;
    writer: string;
    retired: RetireReason | undefined;
    retireOp: string | undefined;
    route: ProxyEntry;
    routeEpoch: number;
}

/** One pool shared by the pools (workers) opened on this store, in memory. For tests of the shared code path. */
export class MemorySharedSessionStore implements SharedSessionStore {
    private readonly sessions = new Map<string, StoredSession>();
    /** Free sessions by the time they can be leased (LRU: last release; or a cooldown end). */
    private readonly avail = new Map<string, number>();
    private readonly leases = new Map<string, string>();
    private readonly slots = new Map<string, string | undefined>();
    private readonly ops = new Set<string>();
    private readonly listeners = new Set<SharedPoolListener>();
    private readonly learner = new UsageLimitLearner();
    private health: ProxyHealth | undefined;
    private settings: SharedPoolSettings | undefined;
    private random = 0.5;
    private readonly counters = {
        created: 0,
        retired: 0,
        leasesGranted: 0,
        markedGood: 0,
        markedBad: 0,
        rateLimited: 0,
        proxiesBenched: 0,
        retiredByReason: Object.fromEntries(RETIRE_REASONS.map((reason) => [reason, 0])) as Record<RetireReason, number>,
    };

    describe(): string {
        return 'memory-shared';
    }

    async load(): Promise<PersistedPoolState | undefined> {
        return undefined;
    }

    async save(): Promise<void> {}

    async openSharedPool(settings: SharedPoolSettings, listener: SharedPoolListener, _log: Log): Promise<SharedPoolConnection> {
        await hop();
        this.settings ??= settings;
        this.health ??= new ProxyHealth(
            {
                banThreshold: settings.proxyBanThreshold,
                benchBaseMs: settings.proxyBenchMs,
                benchMaxMs: settings.proxyMaxBenchMs,
                rateLimitBaseMs: settings.rateLimitBackoffMs,
                rateLimitMaxMs: settings.rateLimitMaxBackoffMs,
                maxCooldownMs: settings.maxCooldownMs,
                random: () => this.random,
            },
            (entry, from, to) => {
                if (to === 'benched') {
                    this.counters.proxiesBenched += 1;
                    this.publish((l) => l.proxyChanged(entry.url, 'benched', entry.timesBenched, entry.benchedUntilMs));
                } else if (from === 'benched') {
                    this.publish((l) => l.proxyChanged(entry.url, 'probation', entry.timesBenched, undefined));
                }
            },
        );
        for (const url of settings.proxyUrls) this.health.entry(url);
        this.listeners.add(listener);
        if (settings.learnUsageLimit && this.learner.limit !== undefined) listener.usageLimitLearned(this.learner.limit);
        return new MemorySharedConnection(this, settings, listener);
    }

    // ------------------------------------------------------------------ operations (called by connections)

    /** @internal */
    acquire(worker: string, sessionId: string | undefined, random: number): SharedAcquireResult {
        const now = this.begin(random);
        if (sessionId !== undefined) {
            const stored = this.sessions.get(sessionId);
            if (!stored) return { kind: 'unavailable', reason: 'it is retired or was never in this pool' };
            if (stored.retired) return { kind: 'unavailable', reason: `it was retired (${stored.retired})` };
            const gone = this.checkAlive(stored, now);
            if (gone) return { kind: 'unavailable', reason: `it was retired (${gone})` };
            const until = Math.max(stored.cooldownUntilMs, stored.route.cooldownUntilMs);
            if (until > now) return this.wait(until, now);
            if (stored.leases >= this.maxConcurrency() || (stored.leases > 0 && !stored.warm)) return this.wait(undefined, now);
            return this.grant(worker, stored, now);
        }
        const first = this.fillsFirst() ? this.reserveSlot(null, now) : undefined;
        if (first) return first;
        const picked = this.pick(now);
        if (picked) return this.grant(worker, picked, now);
        return this.reserveSlot(null, now) ?? this.wait(undefined, now);
    }

    /** @internal */
    peek(worker: string, random: number): SharedPeekResult {
        const now = this.begin(random);
        const first = this.fillsFirst() ? this.reserveSlot(null, now) : undefined;
        if (first) return first;
        const picked = this.pick(now);
        if (picked) {
            this.rotate(picked.id, now);
            return { kind: 'session', session: this.record(worker, picked, false) };
        }
        const slot = this.reserveSlot(null, now);
        if (slot) return slot;
        for (const stored of this.sessions.values()) if (!stored.retired) return { kind: 'session', session: this.record(worker, stored, false) };
        return this.wait(undefined, now);
    }

    /** @internal */
    reserve(proxyUrl: string | null, random: number): SharedReserveResult {
        const now = this.begin(random);
        if (this.liveCount() + this.slots.size >= this.settings!.maxPoolSize) return { kind: 'full' };
        return this.reserveSlot(proxyUrl, now) ?? { kind: 'noRoute' };
    }

    /** @internal */
    commit(worker: string, slot: string, session: NewSharedSession, lease: boolean): SharedCommitResult {
        const now = this.begin(this.random);
        if (!this.slots.has(slot)) return { kind: 'expired' };
        if (this.sessions.has(session.id)) return { kind: 'idTaken' };
        let url = this.slots.get(slot);
        const health = this.health!;
        let route: ProxyEntry;
        if (url === '?') {
            url = session.proxyUrl;
            route = health.entry(url);
            if (!health.acceptsNewSession(route, now)) return { kind: 'proxyRejected' };
            route.activeSessions += 1;
        } else {
            route = health.entry(url);
        }
        this.slots.delete(slot);
        const stored: StoredSession = {
            ...clone(session),
            proxyUrl: url,
            leases: lease ? 1 : 0,
            warm: false,
            version: 1,
            writer: worker,
            retired: undefined,
            retireOp: undefined,
            route,
            routeEpoch: route.timesBenched,
        };
        this.sessions.set(stored.id, stored);
        route.sessionsCreated += 1;
        this.counters.created += 1;
        if (!lease) {
            this.avail.set(stored.id, Math.max(stored.cooldownUntilMs, now));
            this.wake();
            return { kind: 'committed', leaseId: undefined };
        }
        const token = randomUUID();
        this.leases.set(token, stored.id);
        this.counters.leasesGranted += 1;
        return { kind: 'committed', leaseId: token };
    }

    /** @internal */
    abort(slot: string): void {
        if (!this.slots.has(slot)) return;
        const url = this.slots.get(slot);
        this.slots.delete(slot);
        if (url !== '?') this.health!.entry(url).activeSessions -= 1;
        this.wake();
    }

    /** @internal */
    release(worker: string, token: string, sessionId: string, update: SharedSessionUpdate): SharedUpdateResult {
        const now = this.begin(update.random);
        if (!this.leases.delete(token)) return { ...NO_UPDATE, duplicate: true, gone: false };
        const stored = this.sessions.get(sessionId);
        if (!stored) return { ...NO_UPDATE, duplicate: false, gone: true };
        let reason = this.applyMarks(stored, update.marks, now);
        if (stored.leases > 0) stored.leases -= 1;
        stored.warm = true;
        const merged = !stored.retired && this.writeContent(worker, stored, update);
        let here = false;
        if (!stored.retired) {
            reason ??= stored.expiresAtMs <= now ? 'expired' : this.isBurned(stored, now) ? 'proxyBenched' : undefined;
            if (reason) here = this.retire(stored, reason, '', now);
            else if (stored.leases < this.maxConcurrency()) {
                if (stored.cooldownUntilMs > now) this.avail.set(stored.id, stored.cooldownUntilMs);
                else if (!this.avail.has(stored.id)) this.avail.set(stored.id, now);
                this.wake();
            }
        }
        return { retired: stored.retired, retiredHere: here, leaseExpired: false, duplicate: false, gone: false, version: stored.version, merged };
    }

    /** @internal */
    apply(worker: string, sessionId: string, update: SharedSessionUpdate): SharedUpdateResult {
        const now = this.begin(update.random);
        if (this.ops.has(update.opId)) return { ...NO_UPDATE, duplicate: true, gone: false };
        this.ops.add(update.opId);
        const stored = this.sessions.get(sessionId);
        if (!stored) return { ...NO_UPDATE, duplicate: false, gone: true };
        let reason = this.applyMarks(stored, update.marks, now);
        const merged = !stored.retired && this.writeContent(worker, stored, update);
        let here = false;
        if (!stored.retired) {
            reason ??= stored.expiresAtMs <= now ? 'expired' : undefined;
            if (reason) here = this.retire(stored, reason, '', now);
        }
        return { retired: stored.retired, retiredHere: here, leaseExpired: false, duplicate: false, gone: false, version: stored.version, merged };
    }

    /** @internal */
    retireOnce(sessionId: string, reason: RetireReason, random: number, op: string): boolean {
        const now = this.begin(random);
        const stored = this.sessions.get(sessionId);
        if (!stored) return false;
        return this.retire(stored, reason, op, now);
    }

    /** @internal */
    coolDown(sessionId: string, retryAfterMs: number | undefined, random: number, op: string): number | undefined {
        const now = this.begin(random);
        const stored = this.sessions.get(sessionId);
        if (this.ops.has(op)) return stored?.cooldownUntilMs;
        this.ops.add(op);
        if (!stored || stored.retired) return undefined;
        const until = this.health!.recordRateLimit(stored.route, retryAfterMs, now);
        this.counters.rateLimited += 1;
        if (until > stored.cooldownUntilMs) stored.cooldownUntilMs = until;
        if (this.avail.has(stored.id)) this.avail.set(stored.id, stored.cooldownUntilMs);
        return stored.cooldownUntilMs;
    }

    /** @internal */
    get(worker: string, sessionId: string): SharedSessionLookup {
        const stored = this.sessions.get(sessionId);
        if (!stored) return { kind: 'unknown' };
        if (stored.retired) return { kind: 'retired', reason: stored.retired };
        return { kind: 'session', session: this.record(worker, stored, true) };
    }

    /** @internal */
    stats(): SharedPoolSnapshot {
        const now = Date.now();
        let available = 0;
        let cooling = 0;
        for (const at of this.avail.values()) {
            if (at <= now) available += 1;
            else cooling += 1;
        }
        let leasedSessions = 0;
        for (const stored of this.sessions.values()) if (!stored.retired && stored.leases > 0) leasedSessions += 1;
        const health = this.health!;
        const proxies: ProxyStats[] = health.all().map((entry) => {
            health.isBenched(entry, now);
            return entry.stats(now);
        });
        return clone({
            sessions: this.liveCount(),
            availableSessions: available,
            coolingSessions: cooling,
            leasedSessions,
            activeLeases: this.leases.size,
            sessionsCreated: this.counters.created,
            sessionsRetired: this.counters.retired,
            retiredByReason: this.counters.retiredByReason,
            leasesGranted: this.counters.leasesGranted,
            leasesExpired: 0,
            markedGood: this.counters.markedGood,
            markedBad: this.counters.markedBad,
            rateLimited: this.counters.rateLimited,
            proxiesBenched: this.counters.proxiesBenched,
            learnedUsageLimit: this.settings?.learnUsageLimit ? this.learner.limit : undefined,
            proxies,
        });
    }

    /** @internal */
    detach(listener: SharedPoolListener): void {
        this.listeners.delete(listener);
    }

    // ------------------------------------------------------------------ rules

    private begin(random: number): number {
        this.random = random;
        return Date.now();
    }

    private maxConcurrency(): number {
        return this.settings!.maxConcurrencyPerSession;
    }

    private liveCount(): number {
        let live = 0;
        for (const stored of this.sessions.values()) if (!stored.retired) live += 1;
        return live;
    }

    private isBurned(stored: StoredSession, now: number): boolean {
        if (stored.route.isDirect) return false;
        return this.health!.isBenched(stored.route, now) || stored.route.timesBenched !== stored.routeEpoch;
    }

    /** Retires an expired or proxy-burned session; returns the reason, or undefined when it is alive. */
    private checkAlive(stored: StoredSession, now: number): RetireReason | undefined {
        const reason = stored.expiresAtMs <= now ? 'expired' : this.isBurned(stored, now) ? 'proxyBenched' : undefined;
        if (reason) this.retire(stored, reason, '', now);
        return reason;
    }

    /** 'round-robin' and 'random' mint up to maxPoolSize before reusing a free session. */
    private fillsFirst(): boolean {
        return this.settings!.sessionReuseStrategy !== 'use-until-failure';
    }

    /** Marks a free session as just used: to the back of the line (the map keeps insertion order for equal times). */
    private rotate(id: string, now: number): void {
        this.avail.delete(id);
        this.avail.set(id, now);
    }

    /**
     * A free session that can go now: the least recently used one, or under 'random' any (the call's random
     * number picks; later tries derive theirs from it). Retires expired and burned ones, parks cooling routes.
     */
    private pick(now: number): StoredSession | undefined {
        let random = this.random;
        for (;;) {
            let bestId: string | undefined;
            if (this.settings!.sessionReuseStrategy === 'random') {
                const ready: string[] = [];
                for (const [id, at] of this.avail) if (at <= now) ready.push(id);
                bestId = ready[Math.min(ready.length - 1, Math.floor(random * ready.length))];
                random = nextRandom(random);
            } else {
                let bestAt = Number.POSITIVE_INFINITY;
                for (const [id, at] of this.avail) {
                    if (at <= now && at < bestAt) {
                        bestId = id;
                        bestAt = at;
                    }
                }
            }
            if (bestId === undefined) return undefined;
            const stored = this.sessions.get(bestId)!;
            if (stored.retired || this.checkAlive(stored, now)) {
                this.avail.delete(bestId);
                continue;
            }
            if (stored.route.cooldownUntilMs > now) {
                stored.cooldownUntilMs = stored.route.cooldownUntilMs;
                this.avail.set(bestId, stored.cooldownUntilMs);
                continue;
            }
            if (stored.leases >= this.maxConcurrency()) {
                this.avail.delete(bestId);
                continue;
            }
            return stored;
        }
    }

    private grant(worker: string, stored: StoredSession, now: number): SharedAcquireResult {
        stored.leases += 1;
        // A fresh session stays exclusive until its first use completes; a warm one is shared up to the limit, LRU-rotated.
        if (!stored.warm || stored.leases >= this.maxConcurrency()) this.avail.delete(stored.id);
        else this.rotate(stored.id, now);
        const token = randomUUID();
        this.leases.set(token, stored.id);
        this.counters.leasesGranted += 1;
        return { kind: 'leased', leaseId: token, session: this.record(worker, stored, false) };
    }

    /** A slot for a new session under maxPoolSize: on `proxyUrl` ('' direct), or on a route picked here. */
    private reserveSlot(proxyUrl: string | null, now: number): SharedMintSlot | undefined {
        const settings = this.settings!;
        if (this.liveCount() + this.slots.size >= settings.maxPoolSize) return undefined;
        const health = this.health!;
        let url: string | undefined;
        if (proxyUrl !== null) {
            url = proxyUrl === '' ? undefined : proxyUrl;
            health.entry(url).activeSessions += 1;
        } else if (settings.proxyMode === 'function') {
            url = '?';
        } else if (settings.proxyMode === 'direct') {
            if (health.direct.cooldownUntilMs > now) return undefined;
            health.direct.activeSessions += 1;
        } else {
            const route = health.pick(settings.proxyUrls, now);
            if (!route) return undefined;
            route.activeSessions += 1;
            url = route.url;
        }
        const slot = randomUUID();
        this.slots.set(slot, url);
        return { kind: 'mint', slot, proxyUrl: url === '?' ? undefined : url, askProxy: url === '?' };
    }

    private wait(until: number | undefined, now: number): { kind: 'wait'; untilMs: number | undefined; info: SharedSnapshotInfo } {
        let at = until;
        const consider = (value: number) => {
            if (at === undefined || value < at) at = value;
        };
        for (const value of this.avail.values()) consider(value);
        const settings = this.settings!;
        const health = this.health!;
        if (this.liveCount() + this.slots.size < settings.maxPoolSize) {
            if (settings.proxyMode === 'list') consider(health.nextAvailableAt(settings.proxyUrls, now));
            else if (settings.proxyMode === 'direct') consider(Math.max(now, health.direct.cooldownUntilMs));
            else consider(now);
        }
        if (at !== undefined && at < now + 20) at = now + 20;
        const stats = this.stats();
        return {
            kind: 'wait',
            untilMs: at,
            info: {
                sessions: stats.sessions,
                leasedSessions: stats.leasedSessions,
                activeLeases: stats.activeLeases,
                coolingSessions: stats.coolingSessions,
                benchedProxies: stats.proxies.filter((proxy) => proxy.state === 'benched').length,
                proxies: settings.proxyUrls.length,
            },
        };
    }

    /** Replays marks as deltas; returns the threshold the session crossed (none when it is retired already). */
    private applyMarks(stored: StoredSession, marks: string, now: number): RetireReason | undefined {
        if (marks === '') return undefined;
        const health = this.health!;
        for (const mark of marks) {
            stored.usageCount += 1;
            if (mark === 'g') {
                stored.errorScore = Math.max(0, stored.errorScore - stored.errorScoreDecrement);
                this.counters.markedGood += 1;
                health.recordSuccess(stored.route);
            } else {
                stored.errorScore += 1;
                stored.errorCount += 1;
                this.counters.markedBad += 1;
                if (mark === 'b' && !stored.route.isDirect) health.recordFailure(stored.route, 'error', now);
            }
        }
        if (stored.retired) return undefined;
        if (stored.errorScore >= stored.maxErrorScore) return 'errorScore';
        if (stored.usageCount >= stored.maxUsageCount) return 'maxUsageCount';
        const learned = this.settings!.learnUsageLimit ? this.learner.limit : undefined;
        if (learned !== undefined && stored.usageCount >= learned) return 'maxUsageCount';
        return undefined;
    }

    /** Writes the cookies and userData of an update; returns whether the cookies were merged with another lease's. */
    private writeContent(worker: string, stored: StoredSession, update: SharedSessionUpdate): boolean {
        if (update.cookieJar === undefined) return false;
        let merged = false;
        if (update.cookieChanges === undefined || update.baseVersion === stored.version) {
            stored.cookieJar = update.cookieJar;
            stored.writer = worker;
        } else {
            stored.cookieJar = mergeCookies(stored.cookieJar, update.cookieChanges);
            stored.writer = '';
            merged = true;
        }
        stored.userData = update.userData;
        stored.version += 1;
        return merged;
    }

    private retire(stored: StoredSession, reason: RetireReason, op: string, now: number): boolean {
        if (stored.retired) return op !== '' && stored.retireOp === op;
        stored.retired = reason;
        stored.retireOp = op;
        stored.cookieJar = undefined;
        this.avail.delete(stored.id);
        stored.route.activeSessions -= 1;
        if (reason === 'blocked' || reason === 'manual') {
            if (!stored.route.isDirect) this.health!.recordFailure(stored.route, 'block', now);
        }
        if (reason === 'blocked' && this.settings!.learnUsageLimit && this.learner.recordBlock(stored.usageCount)) {
            const limit = this.learner.limit!;
            this.publish((listener) => listener.usageLimitLearned(limit));
        }
        this.counters.retired += 1;
        this.counters.retiredByReason[reason] += 1;
        this.publish((listener) => listener.sessionRetired(stored.id, reason));
        return true;
    }

    private record(worker: string, stored: StoredSession, force: boolean): SharedSessionRecord {
        const withContent = force || stored.writer !== worker;
        return clone({
            id: stored.id,
            proxyUrl: stored.proxyUrl,
            createdAtMs: stored.createdAtMs,
            expiresAtMs: stored.expiresAtMs,
            usageCount: stored.usageCount,
            errorScore: stored.errorScore,
            errorCount: stored.errorCount,
            maxAgeSecs: stored.maxAgeSecs,
            maxErrorScore: stored.maxErrorScore,
            errorScoreDecrement: stored.errorScoreDecrement,
            maxUsageCount: stored.maxUsageCount,
            cooldownUntilMs: stored.cooldownUntilMs,
            warm: stored.warm,
            version: stored.version,
            hasContent: withContent,
            cookieJar: withContent ? stored.cookieJar : undefined,
            userData: withContent ? stored.userData : undefined,
        });
    }

    private wake(): void {
        this.publish((listener) => listener.wake());
    }

    /** Messages reach the workers asynchronously, like pub/sub. */
    private publish(send: (listener: SharedPoolListener) => void): void {
        const listeners = [...this.listeners];
        setImmediate(() => {
            for (const listener of listeners) send(listener);
        });
    }
}

type SharedSnapshotInfo = Extract<SharedAcquireResult, { kind: 'wait' }>['info'];

const NO_UPDATE: Omit<SharedUpdateResult, 'duplicate' | 'gone'> = { retired: undefined, retiredHere: false, leaseExpired: false, version: undefined, merged: false };

/** One worker's connection: every call crosses an asynchronous hop and a serialisation, as over a network. */
class MemorySharedConnection implements SharedPoolConnection {
    readonly workerId = randomUUID();
    readonly description = 'memory-shared';
    private readonly held = new Map<string, string>();
    private readonly ownSlots = new Set<string>();
    private closed = false;

    constructor(
        private readonly store: MemorySharedSessionStore,
        _settings: SharedPoolSettings,
        private readonly listener: SharedPoolListener,
    ) {}

    async acquire(sessionId: string | undefined, random: number): Promise<SharedAcquireResult> {
        await hop();
        const result = this.store.acquire(this.workerId, sessionId, random);
        if (result.kind === 'leased') this.held.set(result.leaseId, result.session.id);
        if (result.kind === 'mint') this.ownSlots.add(result.slot);
        return result;
    }

    async peek(random: number): Promise<SharedPeekResult> {
        await hop();
        const result = this.store.peek(this.workerId, random);
        if (result.kind === 'mint') this.ownSlots.add(result.slot);
        return result;
    }

    async reserve(proxyUrl: string | null, random: number): Promise<SharedReserveResult> {
        await hop();
        const result = this.store.reserve(proxyUrl, random);
        if (result.kind === 'mint') this.ownSlots.add(result.slot);
        return result;
    }

    async commit(slot: string, session: NewSharedSession, { lease }: { lease: boolean }): Promise<SharedCommitResult> {
        await hop();
        const result = this.store.commit(this.workerId, slot, clone(session), lease);
        if (result.kind === 'committed' || result.kind === 'expired') this.ownSlots.delete(slot);
        if (result.kind === 'committed' && result.leaseId) this.held.set(result.leaseId, session.id);
        return result;
    }

    async abort(slot: string): Promise<void> {
        await hop();
        this.ownSlots.delete(slot);
        this.store.abort(slot);
    }

    async release(leaseId: string, sessionId: string, update: SharedSessionUpdate): Promise<SharedUpdateResult> {
        this.held.delete(leaseId);
        await hop();
        return this.store.release(this.workerId, leaseId, sessionId, clone(update));
    }

    async apply(sessionId: string, update: SharedSessionUpdate): Promise<SharedUpdateResult> {
        await hop();
        return this.store.apply(this.workerId, sessionId, clone(update));
    }

    async retire(sessionId: string, reason: RetireReason, random: number, opId: string): Promise<boolean> {
        await hop();
        return this.store.retireOnce(sessionId, reason, random, opId);
    }

    async coolDown(sessionId: string, retryAfterMs: number | undefined, random: number, opId: string): Promise<number | undefined> {
        await hop();
        return this.store.coolDown(sessionId, retryAfterMs, random, opId);
    }

    async get(sessionId: string): Promise<SharedSessionLookup> {
        await hop();
        return this.store.get(this.workerId, sessionId);
    }

    async stats(): Promise<SharedPoolSnapshot> {
        await hop();
        return this.store.stats();
    }

    async close(): Promise<void> {
        if (this.closed) return;
        this.closed = true;
        await hop();
        for (const [token, sessionId] of this.held) this.store.release(this.workerId, token, sessionId, { marks: '', random: 0.5, opId: token });
        for (const slot of this.ownSlots) this.store.abort(slot);
        this.held.clear();
        this.ownSlots.clear();
        this.store.detach(this.listener);
    }
}

/** The asynchronous hop of a network round trip. */
function hop(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve));
}

/** A copy through JSON, as a record crossing a network would be. */
function clone<T>(value: T): T {
    return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

function cookieKey(cookie: Record<string, unknown>): string {
    return `${String(cookie.domain ?? '')};${String(cookie.path ?? '')};${String(cookie.key ?? '')}`;
}

/** Merges a lease's cookie changes ({ jar, set, remove }) into the stored jar (the Redis scripts' rule). */
function mergeCookies(stored: string | undefined, changesJson: string): string | undefined {
    const changes = JSON.parse(changesJson) as { jar: Record<string, unknown>; set: Record<string, unknown>[]; remove: string[] };
    const jar = stored ? (JSON.parse(stored) as Record<string, unknown>) : { ...changes.jar };
    const cookies = new Map<string, Record<string, unknown>>();
    for (const cookie of Array.isArray(jar.cookies) ? (jar.cookies as Record<string, unknown>[]) : []) cookies.set(cookieKey(cookie), cookie);
    for (const cookie of changes.set) cookies.set(cookieKey(cookie), cookie);
    for (const key of changes.remove) cookies.delete(key);
    if (cookies.size === 0) return undefined;
    jar.cookies = [...cookies.values()];
    return JSON.stringify(jar);
}

/** The next number in [0, 1) of a 'random' pick that had to try again (the same step as the Redis scripts). */
function nextRandom(random: number): number {
    return (random * 9301 + 0.4929) % 1;
}
