import { SessionPoolTimeoutError } from '../errors.js';
import type { SessionLease } from './lease.js';

/** An `acquire()` waiting for a session: settled once, by a lease, a timeout, an abort or teardown. */
export interface Waiter {
    readonly resolve: (lease: SessionLease) => void;
    readonly reject: (error: Error) => void;
    /** Set for a pinned acquire (`acquire({ sessionId })`). */
    readonly sessionId: string | undefined;
    readonly startedAt: number;
    readonly signal: AbortSignal | undefined;
    timer: NodeJS.Timeout | undefined;
    onAbort: (() => void) | undefined;
    settled: boolean;
}

/**
 * The acquires waiting for a session: first come first served, pinned ones by session id; each with its
 * timeout and AbortSignal. Settled waiters leave the queue lazily (O(1) per settle). Every backend serves
 * the same queue; what it takes to serve one waiter is the backend's business.
 */
export class WaiterQueue {
    private fifo: Waiter[] = [];
    private head = 0;
    private readonly pinnedById = new Map<string, Waiter[]>();
    /** Waiters not yet settled (queued or being served). */
    private open = 0;

    /** `timedOut` builds the error of a waiter whose time is up (the explanatory message). */
    constructor(private readonly timedOut: (waiter: Waiter) => Error) {}

    private wakeTimer: NodeJS.Timeout | undefined;
    private wakeAtMs = Number.POSITIVE_INFINITY;

    /**
     * Runs `wake` at epoch ms `at` — when a cooldown ends, a proxy comes back, or a shared store said to look
     * again. One timer: an earlier request replaces a later one, a later one is ignored.
     */
    scheduleWake(at: number, wake: () => void): void {
        if (!Number.isFinite(at)) return;
        if (this.wakeTimer && this.wakeAtMs <= at) return;
        if (this.wakeTimer) clearTimeout(this.wakeTimer);
        this.wakeAtMs = at;
        this.wakeTimer = setTimeout(() => {
            this.wakeTimer = undefined;
            this.wakeAtMs = Number.POSITIVE_INFINITY;
            wake();
        }, Math.max(1, at - Date.now() + 1));
    }

    cancelWake(): void {
        if (this.wakeTimer) clearTimeout(this.wakeTimer);
        this.wakeTimer = undefined;
        this.wakeAtMs = Number.POSITIVE_INFINITY;
    }

    /** Acquires waiting now. */
    get size(): number {
        return this.open;
    }

    /** Whether an unpinned waiter is queued. */
    get hasQueued(): boolean {
        return this.first() !== undefined;
    }

    get hasPinned(): boolean {
        return this.pinnedById.size > 0;
    }

    /**
     * Queues an acquire. The waiter is in the queue when this returns, unless its signal was aborted already
     * (the promise is then rejected).
     */
    add(sessionId: string | undefined, timeoutMs: number, signal: AbortSignal | undefined): Promise<SessionLease> {
        return new Promise<SessionLease>((resolve, reject) => {
            const waiter: Waiter = { resolve, reject, sessionId, startedAt: Date.now(), signal, timer: undefined, onAbort: undefined, settled: false };
            if (signal?.aborted) {
                waiter.settled = true;
                reject(abortReason(signal));
                return;
            }
            this.open += 1;
            waiter.timer = setTimeout(() => {
                if (waiter.settled) return;
                this.settle(waiter);
                waiter.reject(this.timedOut(waiter));
            }, timeoutMs);
            if (signal) {
                waiter.onAbort = () => {
                    if (waiter.settled) return;
                    this.settle(waiter);
                    waiter.reject(abortReason(signal));
                };
                signal.addEventListener('abort', waiter.onAbort, { once: true });
            }
            if (sessionId === undefined) {
                this.fifo.push(waiter);
                return;
            }
            const list = this.pinnedById.get(sessionId);
            if (list) list.push(waiter);
            else this.pinnedById.set(sessionId, [waiter]);
        });
    }

    /** The first unpinned waiter still waiting (settled ones are dropped on the way). */
    first(): Waiter | undefined {
        while (this.head < this.fifo.length) {
            const waiter = this.fifo[this.head]!;
            if (!waiter.settled) return waiter;
            this.head += 1;
        }
        return undefined;
    }

    /** Takes the first unpinned waiter out of the line (it is not settled: serve it, or `putBack` it). */
    take(): Waiter | undefined {
        const waiter = this.first();
        if (waiter) {
            this.head += 1;
            this.compact();
        }
        return waiter;
    }

    /** Back to the front of the line (its session could not be made after all). */
    putBack(waiter: Waiter): void {
        if (waiter.settled) return;
        if (this.head > 0) {
            this.head -= 1;
            this.fifo[this.head] = waiter;
        } else {
            this.fifo.unshift(waiter);
        }
    }

    /** The ids that pinned waiters wait for. */
    pinnedIds(): string[] {
        return [...this.pinnedById.keys()];
    }

    /** The first waiter pinned to `sessionId` still waiting. */
    firstPinned(sessionId: string): Waiter | undefined {
        const list = this.pinnedById.get(sessionId);
        if (!list) return undefined;
        while (list.length > 0 && list[0]!.settled) list.shift();
        if (list.length === 0) {
            this.pinnedById.delete(sessionId);
            return undefined;
        }
        return list[0];
    }

    /** Settles the waiter with a lease. */
    resolve(waiter: Waiter, lease: SessionLease): void {
        this.settle(waiter);
        waiter.resolve(lease);
    }

    /** Settles the waiter with an error. */
    reject(waiter: Waiter, error: Error): void {
        if (waiter.settled) return;
        this.settle(waiter);
        waiter.reject(error);
    }

    /** Rejects the waiters pinned to `sessionId` (it was retired). */
    rejectPinned(sessionId: string, error: () => Error): void {
        const list = this.pinnedById.get(sessionId);
        if (!list) return;
        this.pinnedById.delete(sessionId);
        for (const waiter of list) this.reject(waiter, error());
    }

    /** Rejects every waiter (teardown, or a store failing for all of them). */
    rejectAll(error: () => Error): void {
        this.cancelWake();
        const all = [...this.fifo.slice(this.head), ...[...this.pinnedById.values()].flat()];
        this.fifo = [];
        this.head = 0;
        this.pinnedById.clear();
        for (const waiter of all) this.reject(waiter, error());
    }

    private settle(waiter: Waiter): void {
        if (waiter.settled) return;
        waiter.settled = true;
        this.open -= 1;
        if (waiter.timer) clearTimeout(waiter.timer);
        if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
        if (waiter.sessionId !== undefined) {
            const list = this.pinnedById.get(waiter.sessionId);
            if (list && list[0] === waiter) {
                list.shift();
                if (list.length === 0) this.pinnedById.delete(waiter.sessionId);
            }
        }
    }

    private compact(): void {
        if (this.head > 1024 && this.head * 2 > this.fifo.length) {
            this.fifo = this.fifo.slice(this.head);
            this.head = 0;
        }
    }
}

/** The signal's reason (an AbortError by default). Not `instanceof Error`: that fails across realms (vm, jest). */
export function abortReason(signal: AbortSignal): Error {
    const reason: unknown = signal.reason;
    return typeof reason === 'object' && reason !== null ? (reason as Error) : new Error('acquire() aborted', { cause: reason });
}

/** What a backend knows about why nothing was free, for the message of an acquire that timed out. */
export interface WaitState {
    /** A shared pool: where it lives (its figures are pool-wide, all workers). */
    sharedPool: string | undefined;
    maxPoolSize: number;
    /** Undefined: the backend has no figures (a shared pool that was never asked to wait). */
    sessions: number | undefined;
    leasedSessions: number;
    /** Leases across all workers (shared pools). */
    activeLeases: number | undefined;
    coolingSessions: number;
    /** When the next cooling session is ready (in-process). */
    nextReadyInMs: number | undefined;
    benchedProxies: number;
    proxies: number;
}

/** The SessionPoolTimeoutError of a waiter whose time is up: how long it waited, and why nothing was free. */
export function timeoutError(waiter: Waiter, state: WaitState, now = Date.now()): SessionPoolTimeoutError {
    const waited = Math.round((now - waiter.startedAt) / 100) / 10;
    const where = state.sharedPool !== undefined ? ` of the shared pool ${state.sharedPool}` : '';
    if (waiter.sessionId !== undefined) {
        return new SessionPoolTimeoutError(`Timed out after ${waited} s waiting for session "${waiter.sessionId}"${where} to be free (it is leased or cooling down).`);
    }
    const proxies = state.proxies ? `, ${state.benchedProxies} of ${state.proxies} proxies benched` : '';
    const figures =
        state.sessions === undefined
            ? `maxPoolSize ${state.maxPoolSize}`
            : `${state.leasedSessions} of ${state.sessions} sessions leased` +
              `${state.activeLeases !== undefined ? ` (${state.activeLeases} leases, all workers)` : ''}, ${state.coolingSessions} cooling down` +
              `${state.nextReadyInMs !== undefined ? ` (next ready in ${Math.max(0, Math.ceil(state.nextReadyInMs / 1000))} s)` : ''}, ` +
              `maxPoolSize ${state.maxPoolSize}${proxies}`;
    const advice = state.sharedPool !== undefined ? 'lower the concurrency of the workers sharing the pool' : "lower the crawler's concurrency";
    return new SessionPoolTimeoutError(
        `Timed out after ${waited} s waiting for a free session${state.sharedPool !== undefined ? ` in the shared pool ${state.sharedPool}` : ''}: ${figures}. ` +
            `Raise maxPoolSize, maxConcurrencyPerSession or acquireTimeoutSecs, or ${advice}.`,
    );
}
