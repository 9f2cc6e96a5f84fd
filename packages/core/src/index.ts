export * from './errors.js';
export { Log, type LogLevel, type LogSink } from './log.js';
export * from './cookies.js';
export {
    Session,
    type SessionOptions,
    type SessionState,
    type SessionLimits,
    type SessionOwner,
    type RetireReason,
    RETIRE_REASONS,
    DEFAULT_SESSION_LIMITS,
} from './session.js';
export {
    ProxyConfiguration,
    type ProxyConfigurationOptions,
    type ProxyInfo,
    type ProxyStats,
    type ProxyHealthState,
    toProxyInfo,
} from './proxy.js';
export {
    SessionPool,
    SessionLease,
    openSessionPool,
    redactProxyUrl,
    type SessionPoolOptions,
    type SessionPoolStats,
    type SessionPoolEvents,
    type AcquireOptions,
    type ResponseVerdict,
    type CreateSessionFunctionOptions,
} from './pool.js';
export {
    SharedSessionPool,
    SharedSessionLease,
    SharedStoreUnavailableError,
    isSharedSessionStore,
    type SharedSessionStore,
    type SharedPoolConnection,
    type SharedPoolListener,
    type SharedPoolSettings,
    type SharedPoolSnapshot,
    type SharedSessionPoolStats,
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
} from './shared.js';
export { type SessionStore, type PersistedPoolState, MemorySessionStore, FileSessionStore, type FileSessionStoreOptions, STATE_FORMAT, STATE_VERSION } from './store.js';
export { parseRetryAfterMs, backoffMs } from './retry-after.js';
export {
    checkBoolean,
    checkFunction,
    checkKnownKeys,
    checkNumber,
    checkObject,
    checkStatusCodes,
    checkString,
} from './validate.js';
export { MAX_TIMER_SECS, checkDurationSecs, durationMs, setTimerMs, type DurationRule } from './duration.js';
export { redactCredentials, sanitizeError } from './redact.js';
