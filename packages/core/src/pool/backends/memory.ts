import { SessionPoolCapacityError, SessionPoolClosedError, SessionUnavailableError } from '../../errors.js';
import { generateSessionId } from '../../ids.js';
import { publicProxyStats, type ProxyEntry, ProxyHealth, type ProxyHealthState, type ProxyInfo, type ProxyStats, redactProxyUrl } from '../../proxy.js';
import { type RetireReason, Session, type SessionOptions, type SessionState } from '../../session.js';
import { AvailableList, CoolingHeap, SessionEntry } from '../../structures.js';
import { UsageLimitLearner } from '../../usage-limit.js';
import type { BackendAcquireOptions, FetchedGauges, PoolBackend, PoolCounters, PoolGauges, PoolHost } from '../backend.js';
import { SessionLease } from '../lease.js';
import { duplicateIdError } from '../minting.js';
import type { WaitState, Waiter } from '../waiters.js';

/** `SessionEntry._slot` of a retired session: in no structure, never again. */
const GONE = 3;

/**
 * The in-process backend: sessions in an intrusive LRU list (free), a heap (cooling) or neither (leased),
 * proxy health and the learned usage limit in memory. Reusing a free session is O(1) and synchronous.
 */
export class MemoryBackend implements PoolBackend {
    readonly persists = true;
    /** The pool's sessions by id, with their bookkeeping (list links, leases, route). */
    private readonly sessions = new Map<string, SessionEntry>();
    private readonly usageLimit: UsageLimitLearner | undefined;
    private readonly proxyHealth: ProxyHealth;
    private readonly available = new AvailableList();
    private readonly cooling = new CoolingHeap();
    private creating = 0;
    /** After a mint found no route that takes new sessions, minting waits until then (never retries in a loop). */
    private mintRetryAt = 0;
    private leasedSessionCount = 0;
    private activeLeases = 0;
    private draining = false;
    private drainAgain = false;
    private lastExpirySweep = 0;
    // Read on every request: held here rather than looked up through the host each time.
    private readonly counters: PoolCounters;
    private readonly maxConcurrency: number;
    /** 'round-robin' and 'random': mint up to maxPoolSize before reusing a free session. */
    private readonly fillFirst: boolean;
    /** 'random': the random source picks among free sessions (else least recently used first). */
    private readonly pickRandom: (() => number) | undefined;

    constructor(private readonly host: PoolHost) {
        const { settings } = host;
        this.counters = host.counters;
        this.maxConcurrency = settings.maxConcurrencyPerSession;
        this.fillFirst = settings.sessionReuseStrategy !== 'use-until-failure';
        this.pickRandom = settings.sessionReuseStrategy === 'random' ? settings.random : undefined;
        this.usageLimit = settings.learnUsageLimit ? new UsageLimitLearner() : undefined;
        this.proxyHealth = new ProxyHealth({ ...settings.proxyHealth, random: settings.random }, (entry, from, to) => this.onProxyTransition(entry, from, to));
        // Proxies are known up front so stats list them even before their first session.
        for (const url of settings.proxyConfiguration?.proxyUrls ?? []) this.proxyHealth.entry(url);
    }

    describe(): string {
        return 'memory';
    }

    async open(): Promise<void> {}

    // ------------------------------------------------------------------ counts

    sessionCount(): number {
        return this.sessions.size;
    }

    usableSessionCount(): number {
        this.sweepExpired(Date.now());
        return this.sessions.size;
    }

    gauges(): PoolGauges {
        return {
            sessions: this.sessions.size,
            availableSessions: this.available.size,
            leasedSessions: this.leasedSessionCount,
            coolingSessions: this.cooling.size,
            activeLeases: this.activeLeases,
            learnedUsageLimit: this.usageLimit?.limit,
        };
    }

    async fetchGauges(): Promise<FetchedGauges> {
        return { ...this.gauges(), proxies: this.proxyStates(Date.now()), leasesExpired: 0 };
    }

    getSessions(): Session[] {
        return Array.from(this.sessions.values(), (entry) => entry.session);
    }

    sessionStates(now: number): SessionState[] {
        const states: SessionState[] = [];
        for (const { session } of this.sessions.values()) if (session.isUsable(now)) states.push(session.getState());
        return states;
    }

    proxyStates(now: number): ProxyStats[] {
        return this.proxyHealth.all().map((entry) => {
            this.proxyHealth.isBenched(entry, now); // a bench whose time is up turns into probation
            return entry.stats(now);
        });
    }

    restore(sessions: Session[], proxies: ProxyStats[], now: number): number {
        for (const proxy of proxies) {
            if (typeof proxy?.url === 'string' && proxy.url !== 'direct') this.proxyHealth.restore(this.proxyHealth.entry(proxy.url), proxy, now);
        }
        const kept = sessions.slice(0, this.host.settings.maxPoolSize);
        for (const session of kept) this.register(session, this.proxyHealth.entry(session.proxyUrl), { created: false });
        return kept.length;
    }

    async close(): Promise<void> {
        this.host.waiters.cancelWake();
    }

    // ------------------------------------------------------------------ leases

    async acquire(options: BackendAcquireOptions): Promise<SessionLease> {
        if (options.sessionId !== undefined) return this.acquirePinned(options);
        const now = Date.now();
        if (!this.host.waiters.hasQueued) {
            this.promoteCooled(now);
            const entry = this.shouldMintFirst(now) ? undefined : this.pickAvailable(now);
            if (entry) return this.lease(entry);
            if (this.canMint() && this.mintableRouteExists(now)) {
                const minted = await this.mint(now, { hold: true });
                if (minted && !minted.session.retired) return this.lease(minted, { fresh: true });
            }
        }
        const waiting = this.host.waiters.add(undefined, options.timeoutMs, options.signal);
        this.drain();
        return waiting;
    }

    private async acquirePinned(options: BackendAcquireOptions): Promise<SessionLease> {
        const id = options.sessionId!;
        const entry = this.sessions.get(id);
        if (!entry) throw new SessionUnavailableError(id, 'it is retired or was never in this pool');
        const now = Date.now();
        if (this.isLeasable(entry, now)) return this.lease(entry);
        // Checking it may have retired it (expired, or its proxy was benched): nothing to wait for.
        if (entry.session.retired) throw new SessionUnavailableError(id, `it was retired (${entry.session.retireReason})`);
        const waiting = this.host.waiters.add(id, options.timeoutMs, options.signal);
        this.scheduleWake();
        return waiting;
    }

    private isLeasable(entry: SessionEntry, now: number): boolean {
        if (entry._slot === 2) {
            if (entry.session.cooldownUntilMs > now) return false;
            this.cooling.remove(entry);
            entry.session.cooldownUntilMs = 0;
            this.available.push(entry);
        }
        return entry._slot === 1 && this.checkRoute(entry, now);
    }

    /** The explanatory message of an acquire that timed out. */
    waitState(): WaitState {
        const now = Date.now();
        const nextCool = this.cooling.peek();
        return {
            sharedPool: undefined,
            maxPoolSize: this.host.settings.maxPoolSize,
            sessions: this.sessions.size,
            leasedSessions: this.leasedSessionCount,
            activeLeases: undefined,
            coolingSessions: this.cooling.size,
            nextReadyInMs: nextCool ? nextCool.session.cooldownUntilMs - now : undefined,
            benchedProxies: this.proxyHealth.all().filter((entry) => this.proxyHealth.isBenched(entry, now)).length,
            proxies: this.proxyHealth.all().length,
        };
    }

    /** `fresh`: a session just minted for this lease. */
    private lease(entry: SessionEntry, { fresh = false }: { fresh?: boolean } = {}): SessionLease {
        if (entry.leases === 0) this.leasedSessionCount += 1;
        entry.leases += 1;
        this.activeLeases += 1;
        this.counters.leasesGranted += 1;
        // A fresh session stays exclusive until its first use completes: its cookie has not arrived yet.
        if (fresh || !entry.warm || entry.leases >= this.maxConcurrency) {
            if (entry._slot === 1) this.available.remove(entry);
        } else if (entry._slot === 1) {
            this.available.rotate(entry);
        }
        return new SessionLease(this, entry.session, { entry });
    }

    proxyInfoOf(lease: SessionLease): ProxyInfo | undefined {
        return (lease._entry as SessionEntry).route.proxyInfo;
    }

    releaseLease(lease: SessionLease): void {
        const entry = lease._entry as SessionEntry;
        const { session } = entry;
        entry.leases -= 1;
        this.activeLeases -= 1;
        if (entry.leases === 0) this.leasedSessionCount -= 1;
        entry.warm = true;
        if (session.retired) {
            this.drain();
            return;
        }
        const now = Date.now();
        const unusable = session._unusableReason(now);
        if (unusable) {
            session.retire(unusable);
            return;
        }
        if (this.isRouteBurned(entry, now)) {
            session.retire('proxyBenched');
            return;
        }
        if (session.cooldownUntilMs > now) {
            if (entry._slot === 1) this.available.remove(entry);
            if (entry._slot !== 2) this.cooling.push(entry);
        } else if (entry._slot === 0 && entry.leases < this.maxConcurrency) {
            this.available.push(entry);
        }
        this.servePinned(entry, now);
        this.drain();
    }

    private servePinned(entry: SessionEntry, now: number): void {
        const waiters = this.host.waiters;
        const waiter = waiters.firstPinned(entry.session.id);
        if (!waiter || !this.isLeasable(entry, now)) return;
        waiters.resolve(waiter, this.lease(entry));
    }

    /** Serves queued acquires while sessions are free or can be minted. Re-entrant calls are folded into one loop. */
    private drain(): void {
        if (this.draining) {
            this.drainAgain = true;
            return;
        }
        this.draining = true;
        const waiters = this.host.waiters;
        try {
            do {
                this.drainAgain = false;
                const now = Date.now();
                this.promoteCooled(now);
                for (let waiter = waiters.first(); waiter; waiter = waiters.first()) {
                    const entry = this.shouldMintFirst(now) ? undefined : this.pickAvailable(now);
                    if (entry) {
                        waiters.take();
                        waiters.resolve(waiter, this.lease(entry));
                        continue;
                    }
                    if (this.canMint() && this.mintableRouteExists(now)) {
                        waiters.take();
                        void this.mintForWaiter(waiter, now);
                        continue;
                    }
                    break;
                }
            } while (this.drainAgain);
        } finally {
            this.draining = false;
        }
        this.scheduleWake();
    }

    private async mintForWaiter(waiter: Waiter, now: number): Promise<void> {
        const waiters = this.host.waiters;
        try {
            const entry = await this.mint(now, { hold: true });
            if (waiter.settled) {
                // The waiter gave up while the session was being made: keep the session for the next one.
                if (entry && !entry.session.retired) this.shelve(entry);
                this.drain();
                return;
            }
            if (entry && !entry.session.retired) {
                waiters.resolve(waiter, this.lease(entry, { fresh: true }));
                return;
            }
            // No route accepted a session after all: back to the front of the line (mint() deferred minting,
            // so this drain does not try again at once).
            waiters.putBack(waiter);
            this.drain();
        } catch (error) {
            waiters.reject(waiter, error as Error);
        }
    }

    /** Wakes the queue when the next cooling session or benched proxy becomes available. */
    private scheduleWake(): void {
        const waiters = this.host.waiters;
        const hasQueued = waiters.hasQueued;
        if ((!hasQueued && !waiters.hasPinned) || this.host.closed) {
            waiters.cancelWake();
            return;
        }
        const now = Date.now();
        let at = this.cooling.peek()?.session.cooldownUntilMs ?? Number.POSITIVE_INFINITY;
        // Queued acquires (not pinned ones) can also be served by a new session once a route takes one again.
        if (hasQueued && this.canMint()) at = Math.min(at, this.nextMintableAt(now));
        waiters.scheduleWake(at, () => {
            const wakeNow = Date.now();
            this.promoteCooled(wakeNow);
            for (const id of waiters.pinnedIds()) {
                const entry = this.sessions.get(id);
                if (entry) this.servePinned(entry, wakeNow);
            }
            this.drain();
        });
    }

    // ------------------------------------------------------------------ picking and minting

    /** Moves sessions whose cooldown is over back to the available list. */
    private promoteCooled(now: number): void {
        let top = this.cooling.peek();
        while (top && top.session.cooldownUntilMs <= now) {
            this.cooling.pop();
            top.session.cooldownUntilMs = 0;
            if (top.leases < this.maxConcurrency) this.available.push(top);
            top = this.cooling.peek();
        }
    }

    /** Under 'round-robin' and 'random', while the pool is not full and a route takes a new session. */
    private shouldMintFirst(now: number): boolean {
        return this.fillFirst && this.canMint() && this.mintableRouteExists(now);
    }

    /**
     * A session that can be handed out now: the least recently used one, or under 'random' any; drops expired
     * and proxy-benched ones on the way (a check that fails takes the entry off the list, so the loops end).
     */
    private pickAvailable(now: number): SessionEntry | undefined {
        const random = this.pickRandom;
        if (random) {
            const { available } = this;
            while (available.size > 0) {
                const candidate = available.at(Math.min(available.size - 1, Math.floor(random() * available.size)));
                if (this.checkRoute(candidate, now)) return candidate;
            }
            return undefined;
        }
        let entry = this.available.head;
        while (entry) {
            const next = entry._next;
            if (this.checkRoute(entry, now)) return entry;
            entry = next && next._slot === 1 ? next : this.available.head;
        }
        return undefined;
    }

    /** Whether a listed session can go now; if not, retires or parks it. */
    private checkRoute(entry: SessionEntry, now: number): boolean {
        const { session, route } = entry;
        // Whatever made it unusable (age, error score, usage, or a caller's addSession({ errorScore })): never handed out.
        const unusable = session._unusableReason(now);
        if (unusable) {
            session.retire(unusable);
            return false;
        }
        if (this.isRouteBurned(entry, now)) {
            session.retire('proxyBenched');
            return false;
        }
        if (route.cooldownUntilMs > now) {
            // The whole route (IP) is rate limited: park the session until the route's cooldown ends.
            this.available.remove(entry);
            session.cooldownUntilMs = route.cooldownUntilMs;
            this.cooling.push(entry);
            return false;
        }
        return true;
    }

    private canMint(): boolean {
        return this.sessions.size + this.creating < this.host.settings.maxPoolSize;
    }

    /** The proxy was benched since the session was bound to it (even if the bench is over): its identity is burned. */
    private isRouteBurned(entry: SessionEntry, now: number): boolean {
        const { route } = entry;
        return this.proxyHealth.isBenched(route, now) || route.timesBenched !== entry.routeEpoch;
    }

    /** When some route should take a new session again, by the clock (pool capacity aside). */
    private nextMintableAt(now: number): number {
        const config = this.host.settings.proxyConfiguration;
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
        const config = this.host.settings.proxyConfiguration;
        const urls = config ? (config.proxyUrls ?? this.proxyHealth.all().map((entry) => entry.url)) : undefined;
        const next = urls && urls.length === 0 ? now : this.proxyHealth.nextAvailableAt(urls, now);
        this.mintRetryAt = Math.min(now + 1000, Math.max(now + 50, next));
    }

    /**
     * Creates a session on a healthy route. With `hold` the session is not listed as available: the caller
     * leases it (a fresh session must not be picked by anyone else first). Returns undefined when no route
     * accepts new sessions now.
     */
    private async mint(now: number, { hold }: { hold: boolean }): Promise<SessionEntry | undefined> {
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
            const session = await this.host.buildSession(id, route.proxyUrl, now);
            if (this.host.closed) throw new SessionPoolClosedError('create a session');
            const entry = this.register(session, route, { created: true, hold, reserved: true });
            registered = true;
            return entry;
        } finally {
            this.creating -= 1;
            if (route && !registered) route.activeSessions -= 1;
        }
    }

    /** Picks the route of a new session and counts the session on it at once (before any await), so concurrent mints see it. */
    private async chooseRoute(sessionId: string, now: number): Promise<ProxyEntry | undefined> {
        const config = this.host.settings.proxyConfiguration;
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

    /**
     * `created`: a new session (counted, announced). `hold`: the caller leases it right away (not listed as
     * free). `reserved`: `chooseRoute` already counted it on its route.
     */
    private register(session: Session, route: ProxyEntry, { created, hold = false, reserved = false }: { created: boolean; hold?: boolean; reserved?: boolean }): SessionEntry {
        if (this.sessions.has(session.id)) throw duplicateIdError(session.id);
        const entry = new SessionEntry(session, route);
        session._entry = entry;
        this.sessions.set(session.id, entry);
        if (!reserved) route.activeSessions += 1;
        if (created) {
            route.sessionsCreated += 1;
            this.counters.created += 1;
        }
        if (!hold) this.shelve(entry);
        this.host.markDirty();
        if (created) this.host.emit('sessionCreated', session);
        return entry;
    }

    /** Lists an idle session that is in no list: as available, or as cooling while its cooldown lasts. */
    private shelve(entry: SessionEntry): void {
        if (entry._slot !== 0 || entry.leases > 0 || entry.session.retired) return;
        if (entry.session.cooldownUntilMs > Date.now()) this.cooling.push(entry);
        else this.available.push(entry);
    }

    /** Retires expired sessions from the oldest end; pool sessions expire in creation order. */
    private sweepExpired(now: number): void {
        if (now - this.lastExpirySweep < 1000) return;
        this.lastExpirySweep = now;
        for (const { session } of this.sessions.values()) {
            if (!session.isExpired(now)) break;
            session.retire('expired');
        }
    }

    // ------------------------------------------------------------------ seed API

    async getSession(sessionId: string | undefined): Promise<Session | undefined> {
        const now = Date.now();
        if (sessionId !== undefined) {
            const session = this.sessions.get(sessionId)?.session;
            return session && session.isUsable(now) ? session : undefined;
        }
        this.sweepExpired(now);
        this.promoteCooled(now);
        const idle = this.shouldMintFirst(now) ? undefined : this.pickAvailable(now);
        if (idle) {
            this.available.rotate(idle);
            return idle.session;
        }
        if (this.canMint() && this.mintableRouteExists(now)) {
            const minted = await this.mint(now, { hold: false });
            if (minted && !minted.session.retired) return minted.session;
        }
        for (const { session } of this.sessions.values()) if (session.isUsable(now)) return session;
        // Every slot is taken by sessions being created right now; wait for one like acquire() does.
        const lease = await this.acquire({ timeoutMs: this.host.settings.acquireTimeoutMs, sessionId: undefined, signal: undefined });
        lease.release();
        return lease.session;
    }

    async addSession(options: SessionOptions | Session): Promise<Session> {
        if (!this.canMint()) {
            throw new SessionPoolCapacityError(`Cannot add a session: the pool is full (maxPoolSize ${this.host.settings.maxPoolSize}). Retire sessions or raise maxPoolSize.`);
        }
        if (!(options instanceof Session) && Object.keys(options).length === 0) {
            // The common case: a session exactly like the pool mints, on a healthy proxy, without re-validation.
            const minted = await this.mint(Date.now(), { hold: false });
            if (!minted) {
                throw new SessionPoolCapacityError('Cannot add a session: no proxy accepts new sessions now (all benched or cooling down).');
            }
            this.drain();
            return minted.session;
        }
        const session = this.host.sessionToAdd(options);
        this.register(session, this.proxyHealth.entry(session.proxyUrl), { created: true });
        this.drain();
        return session;
    }

    retireSession(sessionOrId: Session | string, reason: RetireReason): boolean {
        const session = typeof sessionOrId === 'string' ? this.sessions.get(sessionOrId)?.session : sessionOrId;
        if (!session || session.retired) return false;
        session.retire(reason);
        return true;
    }

    // ------------------------------------------------------------------ SessionOwner (called by sessions through the pool)

    onSessionMarked(session: Session, outcome: 'good' | 'bad', blameProxy: boolean): void {
        this.host.markDirty();
        const route = this.entryOf(session)?.route;
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

    onSessionRetired(session: Session, reason: RetireReason): void {
        const entry = this.entryOf(session);
        if (!entry) {
            // Built with { sessionPool: pool } but never added: the pool is only its event emitter.
            if (!this.sessions.has(session.id)) this.host.emit('sessionRetired', session, reason);
            return;
        }
        this.sessions.delete(session.id);
        if (entry._slot === 1) this.available.remove(entry);
        else if (entry._slot === 2) this.cooling.remove(entry);
        entry._slot = GONE;
        const { route } = entry;
        route.activeSessions -= 1;
        if (reason === 'blocked' || reason === 'manual') this.proxyHealth.recordFailure(route, 'block', Date.now());
        // retire('blocked') counted the blocked use: the budget is the uses before it.
        if (reason === 'blocked' && this.usageLimit?.recordBlock(session.usageCount - 1)) {
            this.host.log.info(
                `Sessions keep getting blocked after ${this.usageLimit.limit} uses: retiring them at ${this.usageLimit.limit} uses from now on (learnUsageLimit).`,
            );
        }
        this.host.countRetired(reason);
        this.host.markDirty();
        this.mintRetryAt = 0; // a slot is free (and maybe a probation proxy's one session)
        this.host.log.debug(`Session ${session.id} retired (${reason})`);
        this.host.emit('sessionRetired', session, reason);
        this.host.waiters.rejectPinned(session.id, () => new SessionUnavailableError(session.id, `it was retired (${reason})`));
        this.drain();
    }

    onSessionCoolDown(session: Session, retryAfterMs: number | undefined, statusCode: number | undefined): void {
        if (session.retired) return;
        const now = Date.now();
        const entry = this.entryOf(session);
        const route = entry?.route;
        this.counters.rateLimited += 1;
        const until = route
            ? this.proxyHealth.recordRateLimit(route, retryAfterMs, now)
            : now + (retryAfterMs ?? (this.host.settings.sessionLimits.maxAgeSecs > 0 ? 1000 : 0));
        if (until > session.cooldownUntilMs) session.cooldownUntilMs = until;
        if (entry?._slot === 1) {
            this.available.remove(entry);
            this.cooling.push(entry);
        } else if (entry?._slot === 2) {
            this.cooling.update(entry);
        }
        this.host.markDirty();
        this.host.log.debug(`Session ${session.id} cools down for ${until - now} ms${statusCode ? ` after ${statusCode}` : ''}`);
        this.host.emit('sessionCooledDown', session, session.cooldownUntilMs);
        this.scheduleWake();
    }

    /** The entry of a session of this pool (undefined for a retired one, or a Session the pool never took). */
    private entryOf(session: Session): SessionEntry | undefined {
        // A session belongs to one pool: an entry on it is this backend's (no lookup on the hot path).
        const entry = session._entry as SessionEntry | undefined;
        return entry !== undefined && entry._slot !== GONE ? entry : undefined;
    }

    onSessionChanged(): void {
        this.host.markDirty();
    }

    onCookieRejected(): void {}

    private onProxyTransition(entry: ProxyEntry, from: ProxyHealthState, to: ProxyHealthState): void {
        this.host.markDirty();
        if (to !== 'benched') this.mintRetryAt = 0;
        const stats = entry.stats(Date.now());
        if (to === 'benched') {
            this.counters.proxiesBenched += 1;
            this.host.log.info(`Proxy ${redactProxyUrl(entry.url)} benched until ${stats.benchedUntil} (${entry.blocks} blocks, ${entry.errors} errors)`);
            this.host.emit('proxyBenched', publicProxyStats(stats));
        } else if (from === 'benched') {
            this.host.log.info(`Proxy ${redactProxyUrl(entry.url)} back on probation`);
            this.host.emit('proxyRevived', publicProxyStats(stats));
        }
    }
}
