import { Cookie, type CookieJar } from 'tough-cookie';
import {
    type CookieInput,
    type ResponseLike,
    type SerializedCookieJar,
    type SessionCookie,
    CachingCookieStore,
    cookieStringOf,
    setCookieUrlKey,
    createCookieJar,
    checkCookieInput,
    deserializeCookieJar,
    readResponseUrl,
    readSetCookieHeaders,
    toSessionCookie,
    toToughCookie,
} from './cookies.js';
import { checkDurationSecs } from './duration.js';
import { CorruptStateError, InvalidOptionError } from './errors.js';
import { generateSessionId } from './ids.js';
import {
    checkDate,
    checkKnownKeys,
    checkNumber,
    checkObject,
    checkStatusCodes,
    checkString,
    toEpochMs,
} from './validate.js';

/** Why a session left the pool. */
export type RetireReason =
    /** A blocked status code (401, 403 by default) was received. */
    | 'blocked'
    /** User code called `retire()` (e.g. a soft block detected in the page). */
    | 'manual'
    /** `errorScore` reached `maxErrorScore`. */
    | 'errorScore'
    /** `usageCount` reached `maxUsageCount`. */
    | 'maxUsageCount'
    /** Older than `maxAgeSecs`. */
    | 'expired'
    /** Its proxy was benched for being blocked, so its IP-bound identity is burned too. */
    | 'proxyBenched'
    /** The site answered 431 (request headers too large): the session's cookies outgrew what the site accepts. */
    | 'oversizedCookies';

export const RETIRE_REASONS: readonly RetireReason[] = ['blocked', 'manual', 'errorScore', 'maxUsageCount', 'expired', 'proxyBenched', 'oversizedCookies'];

/** Health limits shared by every session of a pool (one object per pool, not per session). */
export interface SessionLimits {
    readonly maxAgeSecs: number;
    readonly maxErrorScore: number;
    readonly errorScoreDecrement: number;
    readonly maxUsageCount: number;
    readonly blockedStatusCodes: readonly number[];
    /** Codes that mean "slow down" rather than "banned": they cool the session down instead of retiring it. */
    readonly rateLimitStatusCodes: readonly number[];
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = Object.freeze({
    maxAgeSecs: 3000,
    maxErrorScore: 3,
    errorScoreDecrement: 0.5,
    maxUsageCount: 50,
    blockedStatusCodes: Object.freeze([401, 403]),
    // A standalone session and a pool agree: 429 means "slow down" (a cooldown), not "banned".
    rateLimitStatusCodes: Object.freeze([429]),
});

export interface SessionOptions {
    /** Generated when absent. Also used as the proxy session name. */
    id?: string;
    /** Cookies to start with; each needs a `domain`. */
    cookies?: CookieInput[];
    /** A serialized tough-cookie jar (as in `getState().cookieJar`) or a CookieJar. */
    cookieJar?: SerializedCookieJar | CookieJar;
    /** Seconds after `createdAt` when the session expires. Default 3000. */
    maxAgeSecs?: number;
    userData?: Record<string, unknown>;
    /** Error score at which the session is retired. Default 3. */
    maxErrorScore?: number;
    /** How much `markGood()` lowers the error score. Default 0.5. */
    errorScoreDecrement?: number;
    createdAt?: Date | string | number;
    expiresAt?: Date | string | number;
    /** Alias of `expiresAt` (older Apify SDK name). */
    expiredAt?: Date | string | number;
    usageCount?: number;
    errorScore?: number;
    errorCount?: number;
    /** Uses after which the session is retired. Default 50. */
    maxUsageCount?: number;
    /** Alias of `maxUsageCount` (older Apify SDK name). */
    maxSessionUsageCount?: number;
    /** Status codes that retire the session. Default [401, 403] (a pool's sessions use the pool's list). */
    blockedStatusCodes?: number[];
    /** Status codes that cool the session down instead. Default [429] (a pool's sessions use the pool's list). */
    rateLimitStatusCodes?: number[];
    /** The proxy this session is bound to. */
    proxyUrl?: string;
    /** Receives `sessionRetired` events (seed API); normally set by the pool. */
    sessionPool?: SessionOwner | { emit(event: string, ...args: unknown[]): unknown };
}

export const SESSION_OPTION_KEYS: ReadonlySet<string> = new Set([
    'id',
    'cookies',
    'cookieJar',
    'maxAgeSecs',
    'userData',
    'maxErrorScore',
    'errorScoreDecrement',
    'createdAt',
    'expiresAt',
    'expiredAt',
    'usageCount',
    'errorScore',
    'errorCount',
    'maxUsageCount',
    'maxSessionUsageCount',
    'blockedStatusCodes',
    'rateLimitStatusCodes',
    'proxyUrl',
    'sessionPool',
]);

/** Everything needed to rebuild a session; JSON-safe. */
export interface SessionState {
    id: string;
    cookieJar?: SerializedCookieJar;
    userData: Record<string, unknown>;
    maxAgeSecs: number;
    maxErrorScore: number;
    errorScoreDecrement: number;
    maxUsageCount: number;
    usageCount: number;
    errorScore: number;
    errorCount: number;
    /** ISO 8601. */
    createdAt: string;
    /** ISO 8601. */
    expiresAt: string;
    proxyUrl?: string;
    /** ISO 8601; present while the session is cooling down after a rate limit. */
    cooldownUntil?: string;
}

/** What the pool learns from its sessions. Implemented by SessionPool; exposed for custom pools. */
export interface SessionOwner {
    /** `blameProxy` is false when the failure cannot be the route's fault (e.g. a bug in the request handler). */
    onSessionMarked(session: Session, outcome: 'good' | 'bad', blameProxy: boolean): void;
    onSessionRetired(session: Session, reason: RetireReason): void;
    onSessionCoolDown(session: Session, retryAfterMs: number | undefined, statusCode: number | undefined): void;
    onSessionChanged(session: Session): void;
    onCookieRejected(session: Session, raw: string, url: string, error: unknown): void;
    /** Storing cookies pushed `count` old ones out (the per-session bound, MAX_COOKIES_PER_SESSION / _BYTES_). */
    onCookiesEvicted?(session: Session, count: number): void;
}

function isSessionOwner(value: unknown): value is SessionOwner {
    return typeof value === 'object' && value !== null && typeof (value as SessionOwner).onSessionRetired === 'function';
}

/** @internal Pool-created sessions skip option validation: the pool validated its options once. */
export interface PooledSessionInit {
    id: string;
    limits: SessionLimits;
    owner: SessionOwner;
    now: number;
    proxyUrl: string | undefined;
    userData: Record<string, unknown> | undefined;
}

/**
 * One simulated user: cookies, proxy, user data and health. Created standalone (`new Session()`) or,
 * normally, by a SessionPool.
 */
export class Session {
    readonly id: string;
    /** The limits in force; shared with the pool's other sessions. */
    readonly limits: SessionLimits;
    private _usageCount: number;
    private _errorScore: number;
    private _errorCount: number;
    /** Bumped by every markGood/markBad/retire/coolDown; lets middleware see whether user code judged the session. */
    markCount = 0;
    retireReason: RetireReason | undefined = undefined;
    /** Epoch ms. */
    readonly createdAtMs: number;
    /** Epoch ms. */
    readonly expiresAtMs: number;
    /** Epoch ms until which the session should not be used (rate limited); 0 when not cooling. */
    cooldownUntilMs = 0;
    readonly proxyUrl: string | undefined;
    private _userData: Record<string, unknown> | undefined;
    private _jar: CookieJar | undefined;
    private _retired = false;
    private readonly _owner: SessionOwner | undefined;
    private readonly _emitter: { emit(event: string, ...args: unknown[]): unknown } | undefined;
    /** @internal The pool backend's record of this session (its bookkeeping lives there, not here). */
    _entry: unknown = undefined;

    constructor(options: SessionOptions = {}, pooled?: PooledSessionInit) {
        if (pooled) {
            this.id = pooled.id;
            this.limits = pooled.limits;
            this._owner = pooled.owner;
            this._emitter = undefined;
            this._usageCount = 0;
            this._errorScore = 0;
            this._errorCount = 0;
            this.createdAtMs = pooled.now;
            this.expiresAtMs = pooled.now + pooled.limits.maxAgeSecs * 1000;
            this.proxyUrl = pooled.proxyUrl;
            this._userData = pooled.userData;
            return;
        }
        validateSessionOptions(options);
        const base = isSessionOwner(options.sessionPool) ? (options.sessionPool as { sessionLimits?: SessionLimits }).sessionLimits : undefined;
        this.limits = resolveSessionLimits(options, base ?? DEFAULT_SESSION_LIMITS);
        this.id = options.id ?? generateSessionId();
        this._owner = isSessionOwner(options.sessionPool) ? options.sessionPool : undefined;
        this._emitter = !this._owner && options.sessionPool ? (options.sessionPool as { emit(event: string, ...args: unknown[]): unknown }) : undefined;
        this._usageCount = options.usageCount ?? 0;
        this._errorScore = options.errorScore ?? 0;
        this._errorCount = options.errorCount ?? 0;
        this.createdAtMs = toEpochMs(options.createdAt) ?? Date.now();
        this.expiresAtMs = toEpochMs(options.expiresAt ?? options.expiredAt) ?? this.createdAtMs + this.limits.maxAgeSecs * 1000;
        this.proxyUrl = options.proxyUrl;
        this._userData = options.userData;
        if (options.cookieJar) {
            this._jar = isCookieJar(options.cookieJar) ? options.cookieJar : deserializeCookieJar(options.cookieJar);
        }
        if (options.cookies) {
            for (const cookie of options.cookies) {
                if (!cookie.domain) throw new InvalidOptionError('cookies', options.cookies, 'must give every cookie a "domain"');
                const scheme = cookie.secure ? 'https' : 'http';
                this.setCookies([cookie], `${scheme}://${cookie.domain.replace(/^\./, '')}${cookie.path ?? '/'}`);
            }
        }
    }

    /** Rebuilds a session from `getState()` output. Throws CorruptStateError naming the bad field. */
    static fromState(state: SessionState, sessionPool?: SessionOptions['sessionPool']): Session {
        if (!state || typeof state !== 'object') throw new CorruptStateError(`Session state must be an object, got ${typeof state}.`);
        // getState() always writes these: an entry without them is not a session state (never invent an id or a history).
        for (const field of ['id', 'createdAt', 'expiresAt', 'usageCount', 'errorScore'] as const) {
            if (state[field] === undefined || state[field] === null) {
                throw new CorruptStateError(`Session state ${typeof state.id === 'string' ? `"${state.id}" ` : ''}is invalid: "${field}" is missing.`);
            }
        }
        try {
            const session = new Session({
                id: state.id,
                cookieJar: state.cookieJar,
                userData: state.userData,
                maxAgeSecs: state.maxAgeSecs,
                maxErrorScore: state.maxErrorScore,
                errorScoreDecrement: state.errorScoreDecrement,
                maxUsageCount: state.maxUsageCount,
                usageCount: state.usageCount,
                errorScore: state.errorScore,
                errorCount: state.errorCount ?? 0,
                createdAt: state.createdAt,
                expiresAt: state.expiresAt,
                ...(state.proxyUrl !== undefined ? { proxyUrl: state.proxyUrl } : {}),
                ...(sessionPool ? { sessionPool } : {}),
            });
            const cooldownUntil = state.cooldownUntil ? toEpochMs(state.cooldownUntil) : undefined;
            if (cooldownUntil) session.cooldownUntilMs = cooldownUntil;
            return session;
        } catch (error) {
            if (error instanceof CorruptStateError) throw error;
            throw new CorruptStateError(
                `Session state ${typeof state.id === 'string' ? `"${state.id}" ` : ''}is invalid: ${(error as Error).message}`,
                { cause: error },
            );
        }
    }

    /** Uses so far (markGood, markBad and a blocked retire() each count one). Read-only: judge the session to change it. */
    get usageCount(): number {
        return this._usageCount;
    }

    /**
     * Read-only, so that no assignment can leave a pooled session unusable without the pool hearing of it:
     * markBad() raises it, markGood() lowers it, retire() sets it to `maxErrorScore`.
     */
    get errorScore(): number {
        return this._errorScore;
    }

    /** Failed uses so far (markBad). Read-only. */
    get errorCount(): number {
        return this._errorCount;
    }

    get userData(): Record<string, unknown> {
        return (this._userData ??= {});
    }

    set userData(value: Record<string, unknown>) {
        this._userData = value;
        this._owner?.onSessionChanged(this);
    }

    get createdAt(): Date {
        return new Date(this.createdAtMs);
    }

    get expiresAt(): Date {
        return new Date(this.expiresAtMs);
    }

    get maxAgeSecs(): number {
        return this.limits.maxAgeSecs;
    }

    get maxErrorScore(): number {
        return this.limits.maxErrorScore;
    }

    get errorScoreDecrement(): number {
        return this.limits.errorScoreDecrement;
    }

    get maxUsageCount(): number {
        return this.limits.maxUsageCount;
    }

    /** The tough-cookie jar (created on first use). */
    get cookieJar(): CookieJar {
        return (this._jar ??= createCookieJar());
    }

    /** True once retired: terminal, a retired session never becomes usable again. */
    get retired(): boolean {
        return this._retired;
    }

    /** Blocked: retired, or the error score reached `maxErrorScore`. */
    isBlocked(): boolean {
        return this._retired || this.errorScore >= this.limits.maxErrorScore;
    }

    isExpired(now = Date.now()): boolean {
        return now >= this.expiresAtMs;
    }

    isMaxUsageCountReached(): boolean {
        return this.usageCount >= this.limits.maxUsageCount;
    }

    /** Not retired, not blocked, not expired and not used up. (A cooling session is usable, just not now.) */
    isUsable(now = Date.now()): boolean {
        return !this._retired && this._errorScore < this.limits.maxErrorScore && now < this.expiresAtMs && this._usageCount < this.limits.maxUsageCount;
    }

    isCoolingDown(now = Date.now()): boolean {
        return this.cooldownUntilMs > now;
    }

    /** After a successful use: counts the use and heals the error score. No effect on a retired session. */
    markGood(): void {
        if (this._retired) return;
        this._usageCount += 1;
        const healed = this._errorScore - this.limits.errorScoreDecrement;
        this._errorScore = healed > 0 ? healed : 0;
        this.markCount += 1;
        this._owner?.onSessionMarked(this, 'good', false);
        if (this.usageCount >= this.limits.maxUsageCount) this.retire('maxUsageCount');
    }

    /** Alias of `markGood()` (older Apify SDK name). */
    reclaim(): void {
        this.markGood();
    }

    /**
     * After a failed use that may not be the session's fault (timeouts, 5xx): counts an error point.
     * In a pool the failure also counts against the session's proxy, unless `blameProxy` is false
     * (the failure was in your own code, not on the network).
     */
    markBad({ blameProxy = true }: { blameProxy?: boolean } = {}): void {
        if (this._retired) return;
        this._usageCount += 1;
        this._errorCount += 1;
        this._errorScore += 1;
        this.markCount += 1;
        this._owner?.onSessionMarked(this, 'bad', blameProxy);
        if (this._errorScore >= this.limits.maxErrorScore) this.retire('errorScore');
        else if (this._usageCount >= this.limits.maxUsageCount) this.retire('maxUsageCount');
    }

    /** Alias of `markBad()` (older Apify SDK name). */
    fail(): void {
        this.markBad();
    }

    /**
     * Throws the session away: it is blocked for sure (403, a captcha page, …). Terminal and idempotent:
     * the retired event fires once, later calls do nothing. A block (`'manual'`, `'blocked'`) ends a use,
     * which counts in `usageCount` as in Crawlee; the pool's own retirements (expired, worn out, proxy
     * benched) happen between uses and count none.
     */
    retire(reason: RetireReason = 'manual'): void {
        if (this._retired) return;
        this._retired = true;
        this.retireReason = reason;
        if (reason === 'manual' || reason === 'blocked') this._usageCount += 1;
        if (this._errorScore < this.limits.maxErrorScore) this._errorScore = this.limits.maxErrorScore;
        this.markCount += 1;
        if (this._owner) this._owner.onSessionRetired(this, reason);
        else this._emitter?.emit('sessionRetired', this, reason);
    }

    /**
     * The site asked us to slow down (429, 503 with Retry-After): the session (and, in a pool, its proxy)
     * rests for `retryAfterMs`, or an exponential backoff with jitter when the site gave no hint.
     */
    coolDown(retryAfterMs?: number, statusCode?: number): void {
        if (this._retired) return;
        this.markCount += 1;
        if (this._owner) this._owner.onSessionCoolDown(this, retryAfterMs, statusCode);
        else this.cooldownUntilMs = Date.now() + (retryAfterMs ?? 1000);
    }

    /** Whether `statusCode` means this session is blocked, with per-call additions and exemptions. */
    isBlockedStatusCode(statusCode: number, { extra, ignore }: { extra?: readonly number[]; ignore?: readonly number[] } = {}): boolean {
        if (ignore && ignore.includes(statusCode)) return false;
        return this.limits.blockedStatusCodes.includes(statusCode) || (extra !== undefined && extra.includes(statusCode));
    }

    /**
     * Retires the session when `statusCode` is a blocked code (401/403 by default, plus `extraBlockedStatusCodes`).
     * A rate-limit code (429, unless listed as blocked) cools the session down instead.
     * Returns whether the session was retired.
     */
    retireOnBlockedStatusCodes(statusCode: number, extraBlockedStatusCodes?: readonly number[]): boolean {
        if (this.isBlockedStatusCode(statusCode, extraBlockedStatusCodes ? { extra: extraBlockedStatusCodes } : {})) {
            this.retire('blocked');
            return true;
        }
        if (this.limits.rateLimitStatusCodes.includes(statusCode)) this.coolDown(undefined, statusCode);
        return false;
    }

    // ------------------------------------------------------------------ cookies

    /**
     * Stores one Set-Cookie header value received from `url`. A malformed or foreign cookie is skipped
     * (counted by the pool, logged at debug) and never throws. Returns whether it was stored.
     */
    setCookie(rawSetCookie: string, url: string): boolean {
        const evictionsBefore = this.cookieEvictions();
        const stored = this.storeSetCookie(rawSetCookie, url);
        this.reportEvictions(evictionsBefore);
        return stored;
    }

    /** Cookies the bound evicted from this session's jar so far (for the pool's stats). */
    private cookieEvictions(): number {
        const store = this._jar?.store;
        return store instanceof CachingCookieStore ? store.evictions : 0;
    }

    private reportEvictions(before: number): void {
        const evicted = this.cookieEvictions() - before;
        if (evicted > 0) this._owner?.onCookiesEvicted?.(this, evicted);
    }

    private storeSetCookie(rawSetCookie: string, url: string): boolean {
        const { store } = this.cookieJar;
        const urlKey = store instanceof CachingCookieStore && typeof rawSetCookie === 'string' && typeof url === 'string' ? setCookieUrlKey(url) : undefined;
        if (urlKey !== undefined && (store as CachingCookieStore).refreshRepeatedSetCookie(rawSetCookie, urlKey, Date.now())) {
            this._owner?.onSessionChanged(this);
            return true;
        }
        try {
            // Like browsers (RFC 6265bis 5.6): a cookie with neither name nor value ("=;") is ignored; "token" alone is kept.
            const parsed = typeof rawSetCookie === 'string' ? Cookie.parse(rawSetCookie, { loose: true }) : undefined;
            if (!parsed || (!parsed.key && !parsed.value)) {
                this._owner?.onCookieRejected(this, String(rawSetCookie), url, new Error(parsed ? 'cookie has neither name nor value' : 'cookie could not be parsed'));
                return false;
            }
            // Max-Age counts from receipt (RFC 6265 §5.2.2); tough-cookie would count it from the last access.
            const maxAgeMs = typeof parsed.maxAge === 'number' ? parsed.maxAge * 1000 : undefined;
            if (maxAgeMs !== undefined) {
                parsed.expires = new Date(maxAgeMs > 0 ? Date.now() + maxAgeMs : 0);
                parsed.maxAge = null;
            }
            const stored = this.cookieJar.setCookieSync(parsed, urlKey !== undefined ? (store as CachingCookieStore).parsedUrl(url) : url);
            if (stored === undefined) {
                this._owner?.onCookieRejected(this, rawSetCookie, url, new Error('cookie could not be stored'));
                return false;
            }
            if (urlKey !== undefined) (store as CachingCookieStore).rememberSetCookie(rawSetCookie, urlKey, stored, maxAgeMs);
            this._owner?.onSessionChanged(this);
            return true;
        } catch (error) {
            this._owner?.onCookieRejected(this, rawSetCookie, url, error);
            return false;
        }
    }

    /**
     * Saves cookies from a response's Set-Cookie headers: Node IncomingMessage, got response, puppeteer
     * HTTPResponse (`headers()` is a function) or `{ headers }`. `url` defaults to the response's URL.
     * Returns how many cookies were stored.
     */
    setCookiesFromResponse(response: ResponseLike, url?: string): number {
        if (response === null || typeof response !== 'object') {
            throw new InvalidOptionError('response', response, 'must be a response with headers (Node, got, fetch, puppeteer or { headers })');
        }
        const headers = readSetCookieHeaders(response);
        if (headers.length === 0) return 0;
        const cookieUrl = url ?? readResponseUrl(response);
        if (!cookieUrl) {
            throw new InvalidOptionError('url', url, 'is required when the response does not carry its URL (pass it as the second argument)');
        }
        let stored = 0;
        for (const header of headers) if (this.setCookie(header, cookieUrl)) stored += 1;
        return stored;
    }

    /** Stores cookie objects for `url`. Invalid ones are skipped like malformed Set-Cookie headers. Returns how many were stored. */
    setCookies(cookies: readonly CookieInput[], url: string): number {
        if (!Array.isArray(cookies)) throw new InvalidOptionError('cookies', cookies, 'must be an array of cookie objects { name, value, domain?, path?, … }');
        cookies.forEach((input, index) => checkCookieInput(`cookies[${index}]`, input));
        const evictionsBefore = this.cookieEvictions();
        let stored = 0;
        for (const input of cookies) {
            try {
                this.cookieJar.setCookieSync(toToughCookie(input), url);
                stored += 1;
            } catch (error) {
                this._owner?.onCookieRejected(this, `${input.name}=${input.value}`, url, error);
            }
        }
        if (stored > 0) this._owner?.onSessionChanged(this);
        this.reportEvictions(evictionsBefore);
        return stored;
    }

    /** Cookies that would be sent to `url`. */
    getCookies(url: string): SessionCookie[] {
        if (!this._jar) return [];
        return this._jar.getCookiesSync(url).map(toSessionCookie);
    }

    /** Every cookie of the session, for every domain. */
    getAllCookies(): SessionCookie[] {
        const serialized = this._jar?.serializeSync();
        if (!serialized) return [];
        const cookies: SessionCookie[] = [];
        for (const raw of serialized.cookies) {
            const cookie = Cookie.fromJSON(raw);
            if (cookie) cookies.push(toSessionCookie(cookie));
        }
        return cookies;
    }

    /** The Cookie header value for `url` ("a=1; b=2"), or '' without cookies. */
    getCookieString(url: string): string {
        if (!this._jar) return '';
        return cookieStringOf(this._jar, url);
    }

    getState(): SessionState & { cookieJar: SerializedCookieJar } {
        const state: SessionState & { cookieJar: SerializedCookieJar } = {
            id: this.id,
            userData: this.userData,
            maxAgeSecs: this.limits.maxAgeSecs,
            maxErrorScore: this.limits.maxErrorScore,
            errorScoreDecrement: this.limits.errorScoreDecrement,
            maxUsageCount: this.limits.maxUsageCount,
            usageCount: this.usageCount,
            errorScore: this.errorScore,
            errorCount: this.errorCount,
            createdAt: new Date(this.createdAtMs).toISOString(),
            expiresAt: new Date(this.expiresAtMs).toISOString(),
            // Always present, as in Crawlee: state consumers read it unconditionally.
            cookieJar: (this._jar ?? EMPTY_JAR).serializeSync()!,
        };
        if (this.proxyUrl !== undefined) state.proxyUrl = this.proxyUrl;
        if (this.cooldownUntilMs > Date.now()) state.cooldownUntil = new Date(this.cooldownUntilMs).toISOString();
        return state;
    }

    /**
     * @internal Why the session cannot be used at `now`, or undefined when it can. The pool asks before every
     * hand-out, so a session made unusable by any path (restored or added worn out, expired) is retired, not leased.
     */
    _unusableReason(now: number): RetireReason | undefined {
        if (this._retired) return this.retireReason;
        if (now >= this.expiresAtMs) return 'expired';
        if (this._errorScore >= this.limits.maxErrorScore) return 'errorScore';
        if (this._usageCount >= this.limits.maxUsageCount) return 'maxUsageCount';
        return undefined;
    }

    /** @internal The shared pool copies the store's counters onto its local copy of a session. */
    _setCounts(usageCount: number, errorScore: number, errorCount: number): void {
        this._usageCount = usageCount;
        this._errorScore = errorScore;
        this._errorCount = errorCount;
    }

    /** @internal Whether `owner` (a pool) hears of this session's marks and retirement. */
    _isOwnedBy(owner: SessionOwner): boolean {
        return this._owner === owner;
    }

    /** @internal Used by the pool to restore cookie jars without re-validating. */
    _setJar(jar: CookieJar): void {
        this._jar = jar;
    }
}

/** Serializes the state of a session that never stored a cookie, without giving it a jar of its own. */
const EMPTY_JAR = createCookieJar();

function isCookieJar(value: unknown): value is CookieJar {
    return typeof value === 'object' && value !== null && typeof (value as CookieJar).getCookieStringSync === 'function';
}

/** Validates a SessionOptions object (standalone sessions and the pool's `sessionOptions`). */
export function validateSessionOptions(options: unknown, prefix = ''): asserts options is SessionOptions {
    const name = (key: string) => (prefix ? `${prefix}.${key}` : key);
    checkObject(prefix || 'options', options);
    if (options === undefined) return;
    checkKnownKeys(prefix || '(of Session)', options, SESSION_OPTION_KEYS);
    const o = options as SessionOptions;
    checkString(name('id'), o.id);
    checkDurationSecs(name('maxAgeSecs'), o.maxAgeSecs);
    checkNumber(name('maxErrorScore'), o.maxErrorScore, { min: 0, exclusiveMin: true });
    checkNumber(name('errorScoreDecrement'), o.errorScoreDecrement, { min: 0 });
    checkNumber(name('maxUsageCount'), o.maxUsageCount, { min: 1, integer: true });
    checkNumber(name('maxSessionUsageCount'), o.maxSessionUsageCount, { min: 1, integer: true });
    checkNumber(name('usageCount'), o.usageCount, { min: 0, integer: true });
    checkNumber(name('errorScore'), o.errorScore, { min: 0 });
    checkNumber(name('errorCount'), o.errorCount, { min: 0, integer: true });
    checkDate(name('createdAt'), o.createdAt);
    checkDate(name('expiresAt'), o.expiresAt);
    checkDate(name('expiredAt'), o.expiredAt);
    checkStatusCodes(name('blockedStatusCodes'), o.blockedStatusCodes);
    checkStatusCodes(name('rateLimitStatusCodes'), o.rateLimitStatusCodes);
    checkObject(name('userData'), o.userData);
    if (o.sessionPool !== undefined && !isSessionOwner(o.sessionPool) && typeof (o.sessionPool as { emit?: unknown } | null)?.emit !== 'function') {
        // Caught here rather than as a TypeError inside retire(), long after the mistake.
        throw new InvalidOptionError(name('sessionPool'), o.sessionPool, 'must be a SessionPool or an EventEmitter (it receives "sessionRetired")');
    }
    if (o.cookies !== undefined && !Array.isArray(o.cookies)) throw new InvalidOptionError(name('cookies'), o.cookies, 'must be an array of cookies');
    if (o.cookieJar !== undefined && (typeof o.cookieJar !== 'object' || o.cookieJar === null)) {
        throw new InvalidOptionError(name('cookieJar'), o.cookieJar, 'must be a serialized cookie jar or a CookieJar');
    }
    if (o.proxyUrl !== undefined) {
        checkString(name('proxyUrl'), o.proxyUrl);
        if (!URL.canParse(o.proxyUrl)) throw new InvalidOptionError(name('proxyUrl'), o.proxyUrl, 'must be a valid URL');
    }
    if (o.maxUsageCount !== undefined && o.maxSessionUsageCount !== undefined && o.maxUsageCount !== o.maxSessionUsageCount) {
        throw new InvalidOptionError(name('maxSessionUsageCount'), o.maxSessionUsageCount, `is an alias of maxUsageCount (${o.maxUsageCount}); give only one`);
    }
}

/** Limits from options over a base; returns `base` itself when nothing differs, so pools share one object. */
export function resolveSessionLimits(options: SessionOptions, base: SessionLimits): SessionLimits {
    const maxUsageCount = options.maxUsageCount ?? options.maxSessionUsageCount;
    if (
        (options.maxAgeSecs === undefined || options.maxAgeSecs === base.maxAgeSecs) &&
        (options.maxErrorScore === undefined || options.maxErrorScore === base.maxErrorScore) &&
        (options.errorScoreDecrement === undefined || options.errorScoreDecrement === base.errorScoreDecrement) &&
        (maxUsageCount === undefined || maxUsageCount === base.maxUsageCount) &&
        (options.blockedStatusCodes === undefined || sameCodes(options.blockedStatusCodes, base.blockedStatusCodes)) &&
        (options.rateLimitStatusCodes === undefined || sameCodes(options.rateLimitStatusCodes, base.rateLimitStatusCodes))
    ) {
        // Sessions restored from state usually carry the pool's own limits: share the pool's object.
        return base;
    }
    return Object.freeze({
        maxAgeSecs: options.maxAgeSecs ?? base.maxAgeSecs,
        maxErrorScore: options.maxErrorScore ?? base.maxErrorScore,
        errorScoreDecrement: options.errorScoreDecrement ?? base.errorScoreDecrement,
        maxUsageCount: maxUsageCount ?? base.maxUsageCount,
        blockedStatusCodes: Object.freeze([...(options.blockedStatusCodes ?? base.blockedStatusCodes)]),
        rateLimitStatusCodes: Object.freeze([...(options.rateLimitStatusCodes ?? base.rateLimitStatusCodes)]),
    });
}

function sameCodes(a: readonly number[], b: readonly number[]): boolean {
    return a.length === b.length && a.every((code, index) => code === b[index]);
}
