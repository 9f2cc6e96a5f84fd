import { InvalidOptionError } from '../errors.js';
import { Log, type LogLevel } from '../log.js';
import { ProxyConfiguration, type ProxyConfigurationOptions, type ProxyHealthOptions } from '../proxy.js';
import { DEFAULT_SESSION_LIMITS, type Session, type SessionLimits, type SessionOptions, resolveSessionLimits, validateSessionOptions } from '../session.js';
import type { SessionStore } from '../store.js';
import { checkBoolean, checkFunction, checkKnownKeys, checkNumber, checkObject, checkStatusCodes, checkString } from '../validate.js';
import { checkDurationSecs } from '../duration.js';
import type { SessionPool } from './session-pool.js';

export interface CreateSessionFunctionOptions {
    /** The pool's `sessionOptions` plus `sessionPool` and the chosen `proxyUrl`: pass them to `new Session()`. */
    sessionOptions: SessionOptions & { sessionPool: SessionPool; id: string };
}

/** How an acquire picks among the pool's sessions. */
export type SessionReuseStrategy = 'use-until-failure' | 'round-robin' | 'random';

export const SESSION_REUSE_STRATEGIES: readonly SessionReuseStrategy[] = Object.freeze(['use-until-failure', 'round-robin', 'random']);

export interface SessionPoolOptions {
    /** Most sessions alive at once. Default 1000. */
    maxPoolSize?: number;
    /** Options of every new session (limits, userData). */
    sessionOptions?: SessionOptions;
    /** Builds sessions yourself; must pass `sessionOptions` (it holds `sessionPool`) to `new Session()`. */
    createSessionFunction?: (pool: SessionPool, options: CreateSessionFunctionOptions) => Session | Promise<Session>;
    /** Codes that retire a session. Default [401, 403]. A code listed here and in `rateLimitStatusCodes` counts as blocked. */
    blockedStatusCodes?: number[];
    /** Codes that cool the session and its proxy down instead of retiring them. Default [429]. 503 with Retry-After always does. */
    rateLimitStatusCodes?: number[];
    /** Concurrent leases one session may hold. Default 1: a simulated user does one thing at a time. */
    maxConcurrencyPerSession?: number;
    /** How long `acquire()` waits for a free session before failing. Default 60. */
    acquireTimeoutSecs?: number;
    proxyConfiguration?: ProxyConfiguration | ProxyConfigurationOptions;
    /** Consecutive blocks/errors that bench a proxy. Default 3. */
    proxyBanThreshold?: number;
    /** First bench of a proxy; doubles each time, with jitter. Default 30. */
    proxyBenchSecs?: number;
    /** Longest bench. Default 600. */
    proxyMaxBenchSecs?: number;
    /** Backoff base for a rate limit without Retry-After. Default 1. */
    rateLimitBackoffSecs?: number;
    /** Longest rate-limit backoff. Default 60. */
    rateLimitMaxBackoffSecs?: number;
    /** Longest cooldown of a session and its proxy, even when Retry-After asks for more. Default 600. */
    maxCooldownSecs?: number;
    /**
     * Learn the site's per-visitor page budget: when sessions keep getting blocked after the same number of
     * uses, retire them (reason 'maxUsageCount') as they reach it instead of paying a blocked request each.
     * Default true. A shared pool learns one budget for all its workers.
     */
    learnUsageLimit?: boolean;
    /** true: load at start, save every `persistIntervalSecs` when changed and at teardown. 'explicit': load at start, save on `persistState()` only. false: never. Default true. */
    persist?: boolean | 'explicit';
    /** Key of the state in the store. Default 'SESSION_POOL_STATE'. */
    persistStateKey?: string;
    /** Default 60. */
    persistIntervalSecs?: number;
    /** Default: a FileSessionStore under ./storage/session-pools. A SharedSessionStore (e.g. @sessionkit/redis) shares the pool between processes. */
    store?: SessionStore;
    log?: Log;
    logLevel?: LogLevel;
    /**
     * 'use-until-failure' (default): reuse a free session before minting a new one, so few identities do the
     * work. 'round-robin' and 'random': mint up to `maxPoolSize` first, then hand the free sessions out in
     * turn (least recently used first) or at random, spreading requests over many identities as Crawlee does.
     * A shared store (e.g. Redis) applies the strategy pool-wide, in its atomic acquire.
     */
    sessionReuseStrategy?: SessionReuseStrategy;
    /** Random source for jitter and the 'random' reuse strategy (tests pass a seeded one). Default Math.random. */
    random?: () => number;
}

/** Every setting of a pool, resolved once from its options: the one place that holds the defaults. */
export interface PoolSettings {
    readonly maxPoolSize: number;
    readonly maxConcurrencyPerSession: number;
    readonly acquireTimeoutMs: number;
    /** The pool's `sessionOptions` (what minted sessions start from). */
    readonly sessionOptions: SessionOptions;
    /** Limits of the pool's sessions (one object shared by all of them). */
    readonly sessionLimits: SessionLimits;
    readonly createSessionFunction: SessionPoolOptions['createSessionFunction'];
    readonly proxyConfiguration: ProxyConfiguration | undefined;
    /** Proxy-health and cooldown rules (the `random` they use is `random` below). */
    readonly proxyHealth: Omit<ProxyHealthOptions, 'random'>;
    readonly learnUsageLimit: boolean;
    readonly persistMode: boolean | 'explicit';
    readonly persistStateKey: string;
    readonly persistIntervalMs: number;
    readonly sessionReuseStrategy: SessionReuseStrategy;
    readonly random: () => number;
}

const POOL_OPTION_KEYS: ReadonlySet<string> = new Set([
    'maxPoolSize',
    'sessionOptions',
    'createSessionFunction',
    'blockedStatusCodes',
    'rateLimitStatusCodes',
    'maxConcurrencyPerSession',
    'acquireTimeoutSecs',
    'proxyConfiguration',
    'proxyBanThreshold',
    'proxyBenchSecs',
    'proxyMaxBenchSecs',
    'rateLimitBackoffSecs',
    'rateLimitMaxBackoffSecs',
    'maxCooldownSecs',
    'learnUsageLimit',
    'persist',
    'persistStateKey',
    'persistIntervalSecs',
    'store',
    'log',
    'logLevel',
    'sessionReuseStrategy',
    'random',
]);

/** Validates the options (InvalidOptionError naming the option) and resolves every default. */
export function resolvePoolSettings(options: SessionPoolOptions): PoolSettings {
    validatePoolOptions(options);
    const sessionOptions = options.sessionOptions ?? {};
    const blocked = options.blockedStatusCodes ?? DEFAULT_SESSION_LIMITS.blockedStatusCodes;
    const rateLimit = (options.rateLimitStatusCodes ?? DEFAULT_SESSION_LIMITS.rateLimitStatusCodes).filter((code) => !blocked.includes(code));
    const proxyConfiguration = options.proxyConfiguration;
    return Object.freeze({
        maxPoolSize: options.maxPoolSize ?? 1000,
        maxConcurrencyPerSession: options.maxConcurrencyPerSession ?? 1,
        acquireTimeoutMs: (options.acquireTimeoutSecs ?? 60) * 1000,
        sessionOptions,
        sessionLimits: resolveSessionLimits(sessionOptions, {
            ...DEFAULT_SESSION_LIMITS,
            blockedStatusCodes: Object.freeze([...blocked]),
            rateLimitStatusCodes: Object.freeze(rateLimit),
        }),
        createSessionFunction: options.createSessionFunction,
        proxyConfiguration:
            proxyConfiguration === undefined || proxyConfiguration instanceof ProxyConfiguration
                ? proxyConfiguration
                : new ProxyConfiguration(proxyConfiguration),
        proxyHealth: Object.freeze({
            banThreshold: options.proxyBanThreshold ?? 3,
            benchBaseMs: (options.proxyBenchSecs ?? 30) * 1000,
            benchMaxMs: (options.proxyMaxBenchSecs ?? 600) * 1000,
            rateLimitBaseMs: (options.rateLimitBackoffSecs ?? 1) * 1000,
            rateLimitMaxMs: (options.rateLimitMaxBackoffSecs ?? 60) * 1000,
            maxCooldownMs: (options.maxCooldownSecs ?? 600) * 1000,
        }),
        learnUsageLimit: options.learnUsageLimit !== false,
        persistMode: options.persist ?? true,
        persistStateKey: options.persistStateKey ?? 'SESSION_POOL_STATE',
        persistIntervalMs: (options.persistIntervalSecs ?? 60) * 1000,
        sessionReuseStrategy: options.sessionReuseStrategy ?? 'use-until-failure',
        random: options.random ?? Math.random,
    });
}

/** The pool's log: the one given (at `logLevel` when both are given), else a new one. */
export function resolvePoolLog(options: SessionPoolOptions): Log {
    const log = options.log ?? new Log({ prefix: 'SessionPool', ...(options.logLevel ? { level: options.logLevel } : {}) });
    if (options.log && options.logLevel) log.level = options.logLevel;
    return log;
}

const PER_SESSION_OPTION_KEYS = ['cookies', 'cookieJar', 'createdAt', 'expiresAt', 'expiredAt', 'usageCount', 'errorScore', 'errorCount', 'proxyUrl', 'sessionPool'];

function validatePoolOptions(options: SessionPoolOptions): void {
    checkObject('SessionPool options', options);
    checkKnownKeys('(of SessionPool)', options as Record<string, unknown>, POOL_OPTION_KEYS);
    checkNumber('maxPoolSize', options.maxPoolSize, { min: 1, integer: true });
    checkNumber('maxConcurrencyPerSession', options.maxConcurrencyPerSession, { min: 1, integer: true });
    checkDurationSecs('acquireTimeoutSecs', options.acquireTimeoutSecs);
    checkNumber('proxyBanThreshold', options.proxyBanThreshold, { min: 1, integer: true });
    checkDurationSecs('proxyBenchSecs', options.proxyBenchSecs, { allowZero: true });
    checkDurationSecs('proxyMaxBenchSecs', options.proxyMaxBenchSecs, { allowZero: true });
    checkDurationSecs('rateLimitBackoffSecs', options.rateLimitBackoffSecs, { allowZero: true });
    checkDurationSecs('rateLimitMaxBackoffSecs', options.rateLimitMaxBackoffSecs, { allowZero: true });
    checkDurationSecs('maxCooldownSecs', options.maxCooldownSecs, { allowZero: true });
    checkBoolean('learnUsageLimit', options.learnUsageLimit);
    checkDurationSecs('persistIntervalSecs', options.persistIntervalSecs);
    checkStatusCodes('blockedStatusCodes', options.blockedStatusCodes);
    checkStatusCodes('rateLimitStatusCodes', options.rateLimitStatusCodes);
    checkFunction('createSessionFunction', options.createSessionFunction);
    checkFunction('random', options.random);
    checkString('persistStateKey', options.persistStateKey);
    if (options.persist !== undefined && options.persist !== 'explicit') checkBoolean('persist', options.persist);
    if (options.sessionOptions !== undefined) {
        validateSessionOptions(options.sessionOptions, 'sessionOptions');
        if (options.sessionOptions.id !== undefined) {
            throw new InvalidOptionError('sessionOptions.id', options.sessionOptions.id, 'cannot be shared by every session of a pool');
        }
        // The pool mints sessions from the limits and userData only; anything about one particular session
        // would be silently dropped, so it is refused (a createSessionFunction may use it, though).
        if (!options.createSessionFunction) {
            for (const key of PER_SESSION_OPTION_KEYS) {
                const value = (options.sessionOptions as Record<string, unknown>)[key];
                if (value !== undefined) {
                    throw new InvalidOptionError(
                        `sessionOptions.${key}`,
                        value,
                        'describes one session, not every session of a pool (use addSession() for one session, or a createSessionFunction)',
                    );
                }
            }
        }
    }
    if (options.store !== undefined) {
        const store = options.store as Partial<SessionStore>;
        if (!store || typeof store.load !== 'function' || typeof store.save !== 'function' || typeof store.describe !== 'function') {
            throw new InvalidOptionError('store', options.store, 'must implement SessionStore (load, save, describe)');
        }
    }
    if (options.proxyConfiguration !== undefined && !(options.proxyConfiguration instanceof ProxyConfiguration)) {
        checkObject('proxyConfiguration', options.proxyConfiguration);
    }
    if (options.sessionReuseStrategy !== undefined && !SESSION_REUSE_STRATEGIES.includes(options.sessionReuseStrategy)) {
        throw new InvalidOptionError('sessionReuseStrategy', options.sessionReuseStrategy, `must be one of ${SESSION_REUSE_STRATEGIES.join(', ')}`);
    }
    if (options.logLevel !== undefined && !['debug', 'info', 'warning', 'error', 'off'].includes(options.logLevel)) {
        throw new InvalidOptionError('logLevel', options.logLevel, 'must be one of debug, info, warning, error, off');
    }
    if (
        options.proxyBenchSecs !== undefined &&
        options.proxyMaxBenchSecs !== undefined &&
        options.proxyMaxBenchSecs < options.proxyBenchSecs
    ) {
        throw new InvalidOptionError('proxyMaxBenchSecs', options.proxyMaxBenchSecs, `must be >= proxyBenchSecs (${options.proxyBenchSecs})`);
    }
}
