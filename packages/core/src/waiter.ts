import type { SessionLease } from './pool.js';

/** An `acquire()` waiting for a session: settled once, by a lease, a timeout, an abort or teardown. */
export interface AcquireWaiter {
    resolve(lease: SessionLease): void;
    reject(error: Error): void;
    timer: NodeJS.Timeout | undefined;
    /** Set for a pinned acquire. */
    sessionId: string | undefined;
    settled: boolean;
    startedAt: number;
    onAbort: (() => void) | undefined;
    signal: AbortSignal | undefined;
}

/**
 * Starts the waiter's timeout and follows its AbortSignal. `settle` is the pool's own bookkeeping (it must
 * call `disarmWaiter`). Returns false when the signal was already aborted: the waiter is then settled and rejected.
 */
export function armWaiter(
    waiter: AcquireWaiter,
    timeoutMs: number,
    onTimeout: (waiter: AcquireWaiter) => void,
    settle: (waiter: AcquireWaiter) => void,
): boolean {
    waiter.timer = setTimeout(() => onTimeout(waiter), timeoutMs);
    const { signal } = waiter;
    if (!signal) return true;
    if (signal.aborted) {
        settle(waiter);
        waiter.reject(abortReason(signal));
        return false;
    }
    waiter.onAbort = () => {
        settle(waiter);
        waiter.reject(abortReason(signal));
    };
    signal.addEventListener('abort', waiter.onAbort, { once: true });
    return true;
}

/** Marks the waiter settled and stops its timer and abort listener. */
export function disarmWaiter(waiter: AcquireWaiter): void {
    waiter.settled = true;
    if (waiter.timer) clearTimeout(waiter.timer);
    if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort);
}

/** The signal's reason (an AbortError by default). Not `instanceof Error`: that fails across realms (vm, jest). */
export function abortReason(signal: AbortSignal): Error {
    const reason: unknown = signal.reason;
    return typeof reason === 'object' && reason !== null ? (reason as Error) : new Error('acquire() aborted', { cause: reason });
}
