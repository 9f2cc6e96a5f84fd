import type { Session, SessionLease, SessionPool } from '@sessionkit/core';
import { type Blame, HttpStatusError, ProxyAuthenticationError, type ProxyErrorPolicy, RateLimitedError, RequestTimeoutError, SessionBlockedError, blameFor, isProxyConnectionError } from './errors.js';
import { redactProxyUrl } from '@sessionkit/core/spi';
import type { Request } from './request.js';
import type { AttemptStage, CrawlerAdapter, CrawlingContext, NavigationHook, RequestHandler } from './types.js';

/** How one attempt ended, for the crawler to decide what happens to the request. */
export type AttemptOutcome = (
    | { kind: 'success' }
    /** The session was blocked: retry at once with another session. */
    | { kind: 'sessionBlocked'; error: Error }
    /** Rate limited: the session and its route cool down; retry later. */
    | { kind: 'rateLimited'; error: Error }
    /** Anything else: spend a retry. */
    | { kind: 'error'; error: Error }
) & {
    /** The session the attempt used (already released), for failedRequestHandler. */
    session?: Session | undefined;
};

export interface SessionMiddlewareOptions<Context extends CrawlingContext> {
    pool: SessionPool | undefined;
    adapter: CrawlerAdapter<Context> | undefined;
    requestHandler: RequestHandler<Context>;
    preNavigationHooks: NavigationHook<Context>[];
    postNavigationHooks: NavigationHook<Context>[];
    requestHandlerTimeoutMs: number;
    /** Status codes (besides 5xx) that count as errors. */
    additionalHttpErrorStatusCodes: readonly number[];
    /** Status codes that never count as errors or blocks (content, e.g. a 403 page you want). */
    ignoreHttpErrorStatusCodes: readonly number[];
    /** false: `adapter.saveCookies` is not called (the adapter reads `context.crawler.persistCookiesPerSession` for the rest). */
    persistCookiesPerSession: boolean;
    /** Builds the context for a request and its lease (the crawler's and the adapter's fields). */
    createContext(request: Request, lease: SessionLease | undefined, attempt: AttemptScope): Promise<Context> | Context;
    /** What a proxy connection error does to the session. Default 'markBad'. */
    onProxyError?: ProxyErrorPolicy;
    /** Called with every navigation status code (for stats), and the proxy it went through. */
    onNavigation?(statusCode: number, verdict: 'ok' | 'blocked' | 'rateLimited' | 'error', proxyUrl: string | undefined): void;
}

/**
 * The session lifecycle, one request attempt at a time. Every crawler type runs through it:
 *
 *  1. acquire   lease a session from the pool (pinned when `request.sessionId` is set)
 *  2. context   build the handler context (crawler + adapter fields), then adapter.prepare
 *  3. apply     adapter.applySession: cookies, headers, proxy onto the request
 *  4. navigate  pre-navigation hooks → adapter.navigate → post-navigation hooks
 *  5. judge     status code: blocked → retire + rotate; rate limit → cool down + retry later;
 *               407 through a proxy (its credentials) and 431 (the session's cookies grew too large for
 *               the site) → retire + rotate; 5xx (and additionalHttpErrorStatusCodes) → error
 *  6. handle    the user's requestHandler, bounded by requestHandlerTimeoutSecs
 *  7. mark      a session the handler retired (retire(): a block) rotates the request; one it cooled
 *               down (coolDown(), retireOnBlockedStatusCodes(429)) retries it later; otherwise
 *               markGood, unless the handler already judged the session (its verdict wins; never
 *               marked twice); on an error, markBad unless the session was already judged during
 *               the attempt (a session worn out by that markBad is an error, not a block)
 *  8. save      adapter.saveCookies (also after errors, while the session lives)
 *  9. release   adapter.cleanup, then the lease goes back to the pool
 */
const ATTEMPT_OVER = new Error('The attempt is over: its lease went back to the pool.');

/**
 * The lifetime of one attempt, as an AbortSignal made only when someone asks for it: most attempts never
 * do, and an AbortController plus an abort() per request costs more than the rest of the middleware.
 */
export class AttemptScope {
    private controller: AbortController | undefined;
    private over = false;

    get signal(): AbortSignal {
        if (!this.controller) {
            this.controller = new AbortController();
            if (this.over) this.controller.abort(ATTEMPT_OVER);
        }
        return this.controller.signal;
    }

    /** The handler timed out: whatever it still runs is told why. */
    abort(reason: Error): void {
        this.over = true;
        this.controller ??= new AbortController();
        if (!this.controller.signal.aborted) this.controller.abort(reason);
    }

    /** The lease went back to the pool. */
    end(): void {
        this.over = true;
        if (this.controller && !this.controller.signal.aborted) this.controller.abort(ATTEMPT_OVER);
    }
}

export class SessionMiddleware<Context extends CrawlingContext> {
    /** The pool leases come from; the crawler swaps it when a new run gets a fresh pool. */
    pool: SessionPool | undefined;
    /** Requests whose navigation already failed once (weak: a finished request leaves with its entry). */
    private readonly failedNavigations = new WeakSet<Request>();

    constructor(private readonly options: SessionMiddlewareOptions<Context>) {
        this.pool = options.pool;
    }

    async run(request: Request): Promise<AttemptOutcome> {
        const { pool } = this;
        const { adapter } = this.options;
        let lease: SessionLease | undefined;
        let context: Context | undefined;
        let session: Session | undefined;
        let marksAtStart = 0;
        let cooldownAtStart = 0;
        let stage: AttemptStage = 'prepare';
        const attempt = new AttemptScope();
        try {
            // 1. acquire
            if (pool) {
                lease = await pool.acquire(request.sessionId !== undefined ? { sessionId: request.sessionId } : {});
                session = lease.session;
                marksAtStart = session.markCount;
                cooldownAtStart = session.cooldownUntilMs;
            }
            // 2. context
            context = await this.options.createContext(request, lease, attempt);
            if (adapter?.prepare) await adapter.prepare(context);
            // 3. apply
            stage = 'apply';
            if (session && adapter?.applySession) await adapter.applySession(context);
            // 4. navigate
            stage = 'navigate';
            if (adapter) {
                for (const hook of this.options.preNavigationHooks) await hook(context);
                context.navigation = await adapter.navigate(context);
                request.loadedUrl = context.navigation.url;
                for (const hook of this.options.postNavigationHooks) await hook(context);
                // 5. judge
                this.judgeNavigation(context, session);
            }
            // 6. handle
            stage = 'handler';
            await this.runHandler(context, attempt);
            stage = 'save';
            // 7. mark
            if (session) {
                // Only an explicit retire() (a block) rotates the request. A session that merely ran out of uses or
                // error points through the handler's own markGood()/markBad() served this request fine.
                if (isRetiredAsBlocked(session)) {
                    throw new SessionBlockedError(`The request handler retired session ${session.id}${describeStatus(context)}.`);
                }
                // The handler (or retireOnBlockedStatusCodes(429) in it) cooled the session down: the page it got
                // was a "slow down", so the request is retried later, like a 429 the crawler saw itself.
                const now = Date.now();
                if (session.cooldownUntilMs > now && session.cooldownUntilMs > cooldownAtStart) {
                    throw new RateLimitedError(undefined, session.cooldownUntilMs - now, context.request.url);
                }
                if (session.markCount === marksAtStart) session.markGood();
            }
            // 8. save
            if (session && !session.retired && adapter?.saveCookies && this.options.persistCookiesPerSession) await adapter.saveCookies(context);
            return { kind: 'success', session };
        } catch (caught) {
            const error = toError(caught);
            // Crawlee's policy: a dead proxy means the session's route is dead, so the session goes (a rotation).
            if (this.options.onProxyError === 'rotateSession' && session && !session.retired && context?.proxyInfo && isProxyConnectionError(error)) {
                session.retire('manual');
            }
            // Decided before our own markBad(): that one may retire the session for its error score, which is an
            // error of this request (spend a retry), not a block (rotate for free).
            const blocked = error instanceof SessionBlockedError || (session !== undefined && isRetiredAsBlocked(session));
            if (session && !session.retired) {
                if (context && adapter?.saveCookies && this.options.persistCookiesPerSession) {
                    const saving = context;
                    await Promise.resolve()
                        .then(() => adapter.saveCookies!(saving))
                        .catch((saveError: unknown) => saving.log.debug(`Saving cookies failed: ${toError(saveError).message}`));
                }
                if (!(error instanceof SessionBlockedError) && !(error instanceof RateLimitedError) && session.markCount === marksAtStart) {
                    const blame = await this.blame(request, error, context, stage);
                    if (blame !== 'none') session.markBad({ blameProxy: blame === 'sessionAndProxy' });
                }
            }
            if (blocked && !(error instanceof RateLimitedError)) return { kind: 'sessionBlocked', error, session };
            if (error instanceof RateLimitedError) return { kind: 'rateLimited', error, session };
            return { kind: 'error', error, session };
        } finally {
            // 9. release
            if (context && adapter?.cleanup) {
                try {
                    await adapter.cleanup(context);
                } catch (error) {
                    context.log.debug(`Adapter cleanup failed: ${toError(error).message}`);
                }
            }
            // Whatever still runs for this attempt (a timed-out handler) learns that the session is no longer its own.
            attempt.end();
            lease?.release();
        }
    }

    /** The adapter's verdict when it has one, else the default rules (handler errors blame the session only). */
    private async blame(request: Request, error: Error, context: Context | undefined, stage: AttemptStage): Promise<Blame> {
        const { adapter } = this.options;
        if (context && adapter?.classifyError) {
            try {
                const verdict = await adapter.classifyError(error, context, stage);
                if (verdict !== undefined) return verdict;
            } catch (classifyError) {
                context.log.debug(`classifyError failed: ${toError(classifyError).message}`);
            }
        }
        return this.blameTargetFaults(request, error, blameFor(error, stage === 'handler'), stage === 'handler');
    }

    /**
     * A URL that hangs, loops redirects or answers garbage fails whatever route it takes: the fault is the
     * target's. Only a request's first failed navigation counts against its session and proxy (unless the proxy
     * itself failed to connect); its later ones blame nobody, so a few bad URLs cannot bench healthy proxies or
     * burn healthy sessions, while a dead proxy still fails many different requests on their first attempts and
     * is benched as before.
     */
    private blameTargetFaults(request: Request, error: Error, blame: Blame, inHandler: boolean): Blame {
        // A proxy that refuses or drops the connection is the route's fault however often it happens.
        if (inHandler || blame !== 'sessionAndProxy' || isProxyConnectionError(error)) return blame;
        if (this.failedNavigations.has(request)) return 'none';
        this.failedNavigations.add(request);
        return blame;
    }

    private judgeNavigation(context: Context, session: Session | undefined): void {
        const { statusCode, headers, url } = context.navigation!;
        const { pool } = this;
        const proxyUrl = context.proxyInfo?.url;
        const report = (verdict: 'ok' | 'blocked' | 'rateLimited' | 'error') => this.options.onNavigation?.(statusCode, verdict, proxyUrl);
        if (this.options.ignoreHttpErrorStatusCodes.includes(statusCode)) {
            report('ok');
            return;
        }
        // The proxy, not the site, refused: the session is bound to a route that cannot work. Retiring it as blocked
        // counts against the proxy, which is benched after proxyBanThreshold such answers.
        if (statusCode === 407 && proxyUrl !== undefined) {
            report('blocked');
            session?.retire('blocked');
            throw new ProxyAuthenticationError(`Proxy ${redactProxyUrl(proxyUrl)} answered HTTP 407 (Proxy Authentication Required) for ${url}: its credentials are wrong or missing.`, [proxyUrl]);
        }
        // Request headers too large: what grows per session is its Cookie header, so the session is the culprit.
        if (statusCode === 431) {
            report('blocked');
            session?.retire('oversizedCookies');
            throw new SessionBlockedError(`${url} answered HTTP 431 (Request Header Fields Too Large): session ${session?.id ?? '(none)'} carries too many cookies.`, statusCode);
        }
        const verdict = pool ? pool.classifyResponse(statusCode, headers) : { kind: 'ok' as const };
        if (verdict.kind === 'blocked') {
            report('blocked');
            session?.retire('blocked');
            throw new SessionBlockedError(`${url} answered HTTP ${statusCode}: session ${session?.id ?? '(none)'} is blocked.`, statusCode);
        }
        if (verdict.kind === 'rateLimited') {
            report('rateLimited');
            session?.coolDown(verdict.retryAfterMs, statusCode);
            throw new RateLimitedError(statusCode, verdict.retryAfterMs, url);
        }
        if (statusCode >= 500 || this.options.additionalHttpErrorStatusCodes.includes(statusCode)) {
            report('error');
            throw new HttpStatusError(statusCode, url);
        }
        report('ok');
    }

    private async runHandler(context: Context, attempt: AttemptScope): Promise<void> {
        const timeoutMs = this.options.requestHandlerTimeoutMs;
        if (timeoutMs === Number.POSITIVE_INFINITY) {
            await this.options.requestHandler(context);
            return;
        }
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
                const error = new RequestTimeoutError('The request handler', timeoutMs / 1000);
                attempt.abort(error);
                reject(error);
            }, timeoutMs);
        });
        try {
            await Promise.race([Promise.resolve().then(() => this.options.requestHandler(context)), timeout]);
        } finally {
            clearTimeout(timer);
        }
    }
}

/** Retired because it was blocked (a blocked status code, or `retire()` by user code), not worn out. */
function isRetiredAsBlocked(session: Session): boolean {
    return session.retired && (session.retireReason === 'blocked' || session.retireReason === 'manual' || session.retireReason === 'oversizedCookies');
}

function describeStatus(context: CrawlingContext): string {
    return context.navigation ? ` (page answered HTTP ${context.navigation.statusCode})` : '';
}

export function toError(value: unknown): Error {
    if (value instanceof Error) return value;
    return new Error(typeof value === 'string' ? value : `Non-error thrown: ${JSON.stringify(value)}`);
}
