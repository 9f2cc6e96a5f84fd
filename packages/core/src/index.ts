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
    openSessionPool,
    type SessionPoolStats,
    type SessionPoolEvents,
    type AcquireOptions,
    type ResponseVerdict,
} from './pool/session-pool.js';
export { type SessionPoolOptions, type SessionReuseStrategy, type CreateSessionFunctionOptions } from './pool/options.js';
export { SessionLease } from './pool/lease.js';
export { SharedStoreUnavailableError } from './pool/shared-store.js';
export { type SessionStore, type PersistedPoolState, MemorySessionStore, FileSessionStore, type FileSessionStoreOptions, STATE_FORMAT, STATE_VERSION } from './store.js';
export { parseRetryAfterMs, backoffMs } from './retry-after.js';
/**
 * @deprecated Option validators are for implementers: import them from `@sessionkit/core/spi`. Re-exported
 * here only until @sessionkit/puppeteer (being rewritten) imports them from there.
 */
export { checkBoolean, checkKnownKeys, checkNumber, checkObject, checkString } from './validate.js';
export { StateLockedError } from './errors.js';
