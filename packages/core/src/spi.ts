// `@sessionkit/core/spi`: what implementers of sessionkit's interfaces need — shared session stores
// (@sessionkit/redis), crawler adapters, custom backends — and users never call.

export type { PoolBackend, PoolHost, PoolCounters, PoolGauges, FetchedGauges, BackendAcquireOptions } from './pool/backend.js';
export type { LeaseOwner } from './pool/lease.js';
export type { PoolSettings } from './pool/options.js';
export { WaiterQueue, type Waiter, type WaitState } from './pool/waiters.js';
export {
    isSharedSessionStore,
    SharedStoreUnavailableError,
    type SharedSessionStore,
    type SharedPoolConnection,
    type SharedPoolListener,
    type SharedPoolSettings,
    type SharedPoolSnapshot,
    type SharedSessionRecord,
    type NewSharedSession,
    type SharedMintSlot,
    type SharedAcquireResult,
    type SharedPeekResult,
    type SharedReserveResult,
    type SharedCommitResult,
    type SharedSessionLookup,
    type SharedSessionUpdate,
    type SharedUpdateResult,
    type SharedWaitInfo,
} from './pool/shared-store.js';
export { redactProxyUrl, validateProxyUrl } from './proxy.js';
export {
    checkBoolean,
    checkDate,
    checkFunction,
    checkKnownKeys,
    checkNumber,
    checkObject,
    checkStatusCodes,
    checkString,
} from './validate.js';
export { MemorySharedSessionStore } from './pool/backends/memory-shared-store.js';
export { MAX_TIMER_SECS, checkDurationSecs, durationMs, type DurationRule } from './duration.js';
export { redactCredentials, sanitizeError } from './redact.js';
