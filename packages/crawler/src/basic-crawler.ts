import {
    InvalidOptionError,
    Log,
    type LogLevel,
    ProxyConfiguration,
    type ProxyConfigurationOptions,
    type Session,
    type SessionLease,
    SessionPool,
    type SessionPoolOptions,
    SessionPoolClosedError,
    SessionUnavailableError,
} from '@sessionkit/core';
import {
    checkBoolean,
    checkFunction,
    checkKnownKeys,
    checkNumber,
    checkObject,
    checkStatusCodes,
    checkDurationSecs,
    durationMs,
    redactProxyUrl,
} from '@sessionkit/core/spi';
import { NonRetryableError, PROXY_ERROR_POLICIES, ProxyAuthenticationError, type ProxyErrorPolicy } from './errors.js';
import { type Request, type RequestLike } from './request.js';
import { type AddRequestsResult, RequestQueue } from './request-queue.js';
import { type AttemptOutcome, type AttemptScope, SessionMiddleware, toError } from './session-middleware.js';
import { CrawlerStatistics, type CrawlerRunStatistics, formatRunStatistics } from './statistics.js';
import type { CrawlerAdapter, CrawlerHandle, CrawlingContext, FailedRequestHandler, NavigationHook, RequestHandler } from './types.js';

export interface BasicCrawlerOptions<Context extends CrawlingContext = CrawlingContext> {
    /** Runs for every request. */
    requestHandler?: RequestHandler<Context>;
    /** Alias of `requestHandler` (Apify SDK name). */
    handleRequestFunction?: RequestHandler<Context>;
    /** Runs once for a request that failed for good. */
    failedRequestHandler?: FailedRequestHandler;
    /** Alias of `failedRequestHandler` (Apify SDK name). */
    handleFailedRequestFunction?: FailedRequestHandler;
    /** Start URLs or request options. */
    requestList?: Iterable<RequestLike>;
    /** A queue shared with other code (e.g. to add requests while crawling). */
    requestQueue?: RequestQueue;
    /** Requests handled at once, exactly. Default 10. */
    maxConcurrency?: number;
    /** Retries of a request after errors (not counting session rotations and rate limits). Default 3. */
    maxRequestRetries?: number;
    /** Retries with a new session after blocks. Default 10. */
    maxSessionRotations?: number;
    /** Retries after rate limits. Default 20. */
    maxRateLimitRetries?: number;
    /** Stop after this many requests. */
    maxRequestsPerCrawl?: number;
    /** Default 60. */
    requestHandlerTimeoutSecs?: number;
    /** Default true. */
    useSessionPool?: boolean;
    sessionPoolOptions?: SessionPoolOptions;
    /** An existing pool (shared by several crawlers); `sessionPoolOptions` must then be absent. */
    sessionPool?: SessionPool;
    /** Cookies of the session go with each request and come back from each response. Default true. */
    persistCookiesPerSession?: boolean;
    proxyConfiguration?: ProxyConfiguration | ProxyConfigurationOptions;
    /** Shortcut for `sessionPoolOptions.blockedStatusCodes`. */
    blockedStatusCodes?: number[];
    /** Shortcut for `sessionPoolOptions.rateLimitStatusCodes`. */
    rateLimitStatusCodes?: number[];
    /** Codes besides 5xx that count as errors. */
    additionalHttpErrorStatusCodes?: number[];
    /** Codes that are never errors nor blocks for this crawler (content). */
    ignoreHttpErrorStatusCodes?: number[];
    /**
     * What a proxy connection error (the proxy refused or dropped the connection, or answered the tunnel
     * with an error) does to the session. `'markBad'` (default): an error point for the session and its
     * proxy, and the request spends a retry; the proxy is benched after `proxyBanThreshold` such errors.
     * `'rotateSession'` (Crawlee): the session is retired and the request retried with another one
     * (a session rotation). See "Differences from Crawlee" in @sessionkit/core's README for the figures.
     */
    onProxyError?: ProxyErrorPolicy;
    preNavigationHooks?: NavigationHook<Context>[];
    postNavigationHooks?: NavigationHook<Context>[];
    /** Seconds between progress lines; 0 turns them off. Default 30. */
    statusIntervalSecs?: number;
    log?: Log;
    /** 'off' for quiet tests. */
    logLevel?: LogLevel;
}

export const BASIC_CRAWLER_OPTION_KEYS: readonly string[] = [
    'requestHandler',
    'handleRequestFunction',
    'failedRequestHandler',
    'handleFailedRequestFunction',
    'requestList',
    'requestQueue',
    'maxConcurrency',
    'maxRequestRetries',
    'maxSessionRotations',
    'maxRateLimitRetries',
    'maxRequestsPerCrawl',
    'requestHandlerTimeoutSecs',
    'useSessionPool',
    'sessionPoolOptions',
    'sessionPool',
    'persistCookiesPerSession',
    'proxyConfiguration',
    'blockedStatusCodes',
    'rateLimitStatusCodes',
    'additionalHttpErrorStatusCodes',
    'ignoreHttpErrorStatusCodes',
    'onProxyError',
    'preNavigationHooks',
    'postNavigationHooks',
    'statusIntervalSecs',
    'log',
    'logLevel',
];

/**
 * Runs requests through the session middleware with exact concurrency, retries and session rotation.
 * Without an adapter the handler does the fetching itself (seed "BasicCrawler" usage, `sendRequest`).
 */
export class BasicCrawler<Context extends CrawlingContext = CrawlingContext> implements CrawlerHandle {
    readonly log: Log;
    readonly requestQueue: RequestQueue;
    /** Counters of the current (or last) run; each run() starts new ones. */
    stats = new CrawlerStatistics();
    readonly persistCookiesPerSession: boolean;
    readonly proxyConfiguration: ProxyConfiguration | undefined;
    protected readonly adapter: CrawlerAdapter<Context> | undefined;
    protected readonly options: BasicCrawlerOptions<Context>;
    private pool: SessionPool | undefined;
    private readonly ownsPool: boolean;
    private readonly maxConcurrency: number;
    private readonly maxRequestRetries: number;
    private readonly maxSessionRotations: number;
    private readonly maxRateLimitRetries: number;
    private readonly maxRequestsPerCrawl: number;
    private readonly middleware: SessionMiddleware<Context>;
    private running = false;
    private active = 0;
    private started = 0;
    private onIdle: (() => void) | undefined;
    private readonly name: string;
    /** Proxies whose latest answer was 407; when it holds every configured proxy, the run stops. */
    private readonly refusingProxies = new Set<string>();
    /** Why the current run stops before its queue is empty. */
    private stopError: Error | undefined;

    constructor(options: BasicCrawlerOptions<Context> = {}, adapter?: CrawlerAdapter<Context>, extraOptionKeys: readonly string[] = []) {
        validateCrawlerOptions(options, new Set([...BASIC_CRAWLER_OPTION_KEYS, ...extraOptionKeys]), adapter === undefined);
        this.options = options;
        this.adapter = adapter;
        this.name = adapter?.name ?? 'BasicCrawler';
        this.log = options.log ?? new Log({ prefix: this.name, ...(options.logLevel ? { level: options.logLevel } : {}) });
        if (options.log && options.logLevel) this.log.level = options.logLevel;
        this.requestQueue = options.requestQueue ?? new RequestQueue();
        if (options.requestList !== undefined) this.requestQueue.addRequests(options.requestList, 'requestList');
        this.maxConcurrency = options.maxConcurrency ?? 10;
        this.maxRequestRetries = options.maxRequestRetries ?? 3;
        this.maxSessionRotations = options.maxSessionRotations ?? 10;
        this.maxRateLimitRetries = options.maxRateLimitRetries ?? 20;
        this.maxRequestsPerCrawl = options.maxRequestsPerCrawl ?? Number.POSITIVE_INFINITY;
        this.persistCookiesPerSession = options.persistCookiesPerSession ?? true;
        const proxyConfiguration = options.proxyConfiguration ?? options.sessionPoolOptions?.proxyConfiguration;
        this.proxyConfiguration =
            proxyConfiguration === undefined || proxyConfiguration instanceof ProxyConfiguration ? proxyConfiguration : new ProxyConfiguration(proxyConfiguration);

        const useSessionPool = options.useSessionPool ?? true;
        this.ownsPool = useSessionPool && !options.sessionPool;
        if (options.sessionPool) {
            this.pool = options.sessionPool;
        } else if (useSessionPool) {
            this.pool = new SessionPool(this.poolOptions());
        }
        const requestHandler = (options.requestHandler ?? options.handleRequestFunction)!;
        this.middleware = new SessionMiddleware<Context>({
            pool: this.pool,
            adapter,
            requestHandler,
            preNavigationHooks: options.preNavigationHooks ?? [],
            postNavigationHooks: options.postNavigationHooks ?? [],
            requestHandlerTimeoutMs: durationMs(options.requestHandlerTimeoutSecs ?? 60),
            additionalHttpErrorStatusCodes: options.additionalHttpErrorStatusCodes ?? [],
            ignoreHttpErrorStatusCodes: options.ignoreHttpErrorStatusCodes ?? [],
            onProxyError: options.onProxyError ?? 'markBad',
            persistCookiesPerSession: options.persistCookiesPerSession ?? true,
            createContext: (request, lease, attempt) => this.createContext(request, lease, attempt),
            onNavigation: (statusCode, verdict, proxyUrl) => {
                this.stats.recordNavigation(statusCode, verdict);
                if (proxyUrl !== undefined && (statusCode === 407 || this.refusingProxies.size > 0)) this.trackProxyRefusal(statusCode, proxyUrl);
            },
        });
        this.middleware.pool = this.pool;
    }

    /** Lets the adapter free what it holds for sessions that leave the pool. */
    /** While a run lasts, the adapter frees what it holds for sessions that leave the pool (a shared pool outlives the run). */
    private listenForRetirements(pool: SessionPool): () => void {
        const { adapter } = this;
        if (!adapter?.onSessionRetired) return () => {};
        const onRetired = adapter.onSessionRetired.bind(adapter);
        const listener = (session: Session) => {
            void Promise.resolve()
                .then(() => onRetired(session))
                .catch((error: unknown) => this.log.debug(`Freeing resources of session ${session.id} failed: ${toError(error).message}`));
        };
        pool.on('sessionRetired', listener);
        return () => pool.off('sessionRetired', listener);
    }

    /**
     * Wrong proxy credentials fail every request sent through that proxy; when all configured proxies answer 407
     * no rotation can help, so the run stops instead of spending every request's retries.
     */
    private trackProxyRefusal(statusCode: number, proxyUrl: string): void {
        if (statusCode !== 407) {
            this.refusingProxies.delete(proxyUrl);
            return;
        }
        this.refusingProxies.add(proxyUrl);
        const configured = this.pool?.proxyConfiguration?.proxyUrls ?? this.proxyConfiguration?.proxyUrls;
        if (this.stopError || !configured || !configured.every((url) => this.refusingProxies.has(url))) return;
        const names = configured.map((url) => redactProxyUrl(url)).join(', ');
        this.stopError = new ProxyAuthenticationError(
            `Every proxy answered HTTP 407 (Proxy Authentication Required): ${names}. Their credentials are wrong or missing; ` +
                `fix them in proxyConfiguration.proxyUrls. The crawl stopped early with ${this.requestQueue.pendingCount} requests not done.`,
            configured,
        );
        this.log.error(this.stopError.message);
    }

    private poolOptions(): SessionPoolOptions {
        const { options } = this;
        const poolOptions: SessionPoolOptions = { log: this.log.child('SessionPool'), ...options.sessionPoolOptions };
        if (this.proxyConfiguration) poolOptions.proxyConfiguration = this.proxyConfiguration;
        if (options.blockedStatusCodes) poolOptions.blockedStatusCodes = options.blockedStatusCodes;
        if (options.rateLimitStatusCodes) poolOptions.rateLimitStatusCodes = options.rateLimitStatusCodes;
        return poolOptions;
    }

    get sessionPool(): SessionPool | undefined {
        return this.pool;
    }

    async addRequests(requests: Iterable<RequestLike>): Promise<AddRequestsResult> {
        const result = this.requestQueue.addRequests(requests);
        if (this.running) this.pump();
        return result;
    }

    /** Crawls until the queue is empty; returns the run's statistics. */
    async run(requests?: Iterable<RequestLike>): Promise<CrawlerRunStatistics> {
        if (this.running) throw new InvalidOptionError('run()', 'a second call', 'cannot be called while the crawler is running');
        if (requests) this.requestQueue.addRequests(requests);
        if (this.ownsPool && this.pool?.isTornDown) {
            // The pool of the previous run stays inspectable until now; this run starts from its persisted state.
            this.pool = new SessionPool(this.poolOptions());
            this.middleware.pool = this.pool;
        }
        this.running = true;
        this.started = 0;
        this.stopError = undefined;
        this.refusingProxies.clear();
        this.stats = new CrawlerStatistics();
        this.stats.startedAt = Date.now();
        let progressTimer: NodeJS.Timeout | undefined;
        const stopListening = this.pool ? this.listenForRetirements(this.pool) : undefined;
        try {
            if (this.pool) await this.pool.initialize();
            const intervalSecs = this.options.statusIntervalSecs ?? 30;
            if (intervalSecs > 0 && intervalSecs !== Number.POSITIVE_INFINITY) {
                progressTimer = setInterval(() => this.log.info(this.progressLine()), intervalSecs * 1000);
                progressTimer.unref();
            }
            await new Promise<void>((resolve) => {
                this.onIdle = resolve;
                this.pump();
            });
        } finally {
            if (progressTimer) clearInterval(progressTimer);
            this.stats.finishedAt = Date.now();
            this.running = false;
            if (this.adapter?.dispose) await this.adapter.dispose().catch((error: unknown) => this.log.warning(`Closing ${this.name} failed: ${toError(error).message}`));
            stopListening?.();
            if (this.ownsPool && this.pool) {
                await this.pool.teardown().catch((error: unknown) => this.log.warning(`Closing the session pool failed: ${toError(error).message}`));
            }
        }
        const statistics = this.stats.snapshot(this.name, this.pool);
        this.log.info(`Finished.\n${formatRunStatistics([statistics])}`);
        if (this.stopError) throw this.stopError;
        return statistics;
    }

    progressLine(): string {
        return this.stats.progressLine(this.pool, this.requestQueue.pendingCount, this.active);
    }

    private pump(): void {
        while (this.running && !this.stopError && this.active < this.maxConcurrency) {
            const request = this.requestQueue.fetchNext();
            if (!request) break;
            const firstAttempt = request.retryCount === 0 && request.sessionRotationCount === 0 && request.rateLimitRetryCount === 0;
            if (firstAttempt) {
                if (this.started >= this.maxRequestsPerCrawl) {
                    this.requestQueue.markHandled();
                    continue;
                }
                this.started += 1;
            }
            this.active += 1;
            void this.process(request).finally(() => {
                this.active -= 1;
                this.pump();
            });
        }
        if (this.active === 0 && (this.requestQueue.pendingCount === 0 || this.stopError) && this.onIdle) {
            const resolve = this.onIdle;
            this.onIdle = undefined;
            resolve();
        }
    }

    private async process(request: Request): Promise<void> {
        this.stats.attempts += 1;
        let outcome: AttemptOutcome;
        try {
            outcome = await this.middleware.run(request);
        } catch (error) {
            outcome = { kind: 'error', error: toError(error) };
        }
        if (outcome.kind === 'success') {
            request.handledAt = new Date();
            this.stats.requestsFinished += 1;
            this.requestQueue.markHandled();
            return;
        }
        const { error } = outcome;
        request.errorMessages.push(error.message);
        // A pinned session that is gone (retired, unknown) never comes back: retrying cannot help.
        if (error instanceof SessionPoolClosedError || error instanceof SessionUnavailableError || error instanceof NonRetryableError || request.noRetry) {
            await this.fail(request, error, outcome.session);
            return;
        }
        if (outcome.kind === 'sessionBlocked') {
            if (request.sessionRotationCount >= this.maxSessionRotations) {
                await this.fail(request, new Error(`Gave up after ${this.maxSessionRotations} session rotations (every session was blocked). Last: ${error.message}`), outcome.session);
                return;
            }
            // Counted when the request really goes round again, like requestsRetried.
            request.sessionRotationCount += 1;
            this.stats.sessionRotations += 1;
            this.log.debug(`Retrying ${request.url} with another session: ${error.message}`);
        } else if (outcome.kind === 'rateLimited') {
            if (request.rateLimitRetryCount >= this.maxRateLimitRetries) {
                await this.fail(request, new Error(`Gave up after ${this.maxRateLimitRetries} rate-limited retries. Last: ${error.message}`), outcome.session);
                return;
            }
            request.rateLimitRetryCount += 1;
            this.stats.rateLimitRetries += 1;
            this.log.debug(`Rate limited on ${request.url}; will retry once the session cools down.`);
        } else {
            if (request.retryCount >= this.maxRequestRetries) {
                await this.fail(request, error, outcome.session);
                return;
            }
            request.retryCount += 1;
            this.stats.requestsRetried += 1;
            this.log.debug(`Retrying ${request.url} (${request.retryCount}/${this.maxRequestRetries}): ${error.message}`);
        }
        this.requestQueue.reclaim(request);
    }

    private async fail(request: Request, error: Error, session: Session | undefined): Promise<void> {
        this.stats.requestsFailed += 1;
        this.requestQueue.markHandled();
        const handler = this.options.failedRequestHandler ?? this.options.handleFailedRequestFunction;
        if (!handler) {
            this.log.warning(`Request ${request.url} failed after ${request.errorMessages.length} attempts: ${error.message}`);
            return;
        }
        try {
            await handler({ request, session, log: this.log, error }, error);
        } catch (handlerError) {
            this.log.error(`failedRequestHandler threw for ${request.url}: ${toError(handlerError).message}`);
        }
    }

    /** Builds the context of one attempt; adapters add their fields in `extendContext`. */
    protected async createContext(request: Request, lease: SessionLease | undefined, attempt: AttemptScope): Promise<Context> {
        // The pool shares one ProxyInfo per proxy; the context's names its session, as in Crawlee.
        const leased = lease?.proxyInfo;
        const proxyInfo = lease ? leased && { ...leased, sessionId: lease.session.id } : await this.proxyConfiguration?.newProxyInfo();
        const base: CrawlingContext = {
            request,
            session: lease?.session,
            proxyInfo,
            navigation: undefined,
            get signal() {
                return attempt.signal;
            },
            log: this.log,
            crawler: this,
            addRequests: (requests) => this.addRequests(requests),
        };
        return this.extendContext(base);
    }

    /** Adds the adapter's fields to a fresh context. */
    protected extendContext(base: CrawlingContext): Context {
        return base as Context;
    }
}

function validateCrawlerOptions<Context extends CrawlingContext>(options: BasicCrawlerOptions<Context>, known: ReadonlySet<string>, handlerDoesFetching: boolean): void {
    checkObject('(crawler options)', options);
    checkKnownKeys('(of the crawler)', options as unknown as Record<string, unknown>, known);
    const handler = options.requestHandler ?? options.handleRequestFunction;
    if (handler === undefined) throw new InvalidOptionError('requestHandler', undefined, 'is required (a function that receives the crawling context)');
    checkFunction('requestHandler', options.requestHandler);
    checkFunction('handleRequestFunction', options.handleRequestFunction);
    checkFunction('failedRequestHandler', options.failedRequestHandler);
    checkFunction('handleFailedRequestFunction', options.handleFailedRequestFunction);
    checkNumber('maxConcurrency', options.maxConcurrency, { min: 1, integer: true });
    checkNumber('maxRequestRetries', options.maxRequestRetries, { min: 0, integer: true });
    checkNumber('maxSessionRotations', options.maxSessionRotations, { min: 0, integer: true });
    checkNumber('maxRateLimitRetries', options.maxRateLimitRetries, { min: 0, integer: true });
    checkNumber('maxRequestsPerCrawl', options.maxRequestsPerCrawl, { min: 1, integer: true });
    checkDurationSecs('requestHandlerTimeoutSecs', options.requestHandlerTimeoutSecs, { allowInfinity: true });
    checkDurationSecs('statusIntervalSecs', options.statusIntervalSecs, { allowZero: true, allowInfinity: true });
    checkBoolean('useSessionPool', options.useSessionPool);
    checkBoolean('persistCookiesPerSession', options.persistCookiesPerSession);
    checkObject('sessionPoolOptions', options.sessionPoolOptions);
    checkStatusCodes('blockedStatusCodes', options.blockedStatusCodes);
    checkStatusCodes('rateLimitStatusCodes', options.rateLimitStatusCodes);
    checkStatusCodes('additionalHttpErrorStatusCodes', options.additionalHttpErrorStatusCodes);
    checkStatusCodes('ignoreHttpErrorStatusCodes', options.ignoreHttpErrorStatusCodes);
    if (options.onProxyError !== undefined && !PROXY_ERROR_POLICIES.includes(options.onProxyError)) {
        throw new InvalidOptionError('onProxyError', options.onProxyError, `must be one of ${PROXY_ERROR_POLICIES.map((p) => `"${p}"`).join(', ')}`);
    }
    for (const hooks of ['preNavigationHooks', 'postNavigationHooks'] as const) {
        const list = options[hooks];
        if (list !== undefined && (!Array.isArray(list) || list.some((hook) => typeof hook !== 'function'))) {
            throw new InvalidOptionError(hooks, list, 'must be an array of functions');
        }
        if (list?.length && handlerDoesFetching) throw new InvalidOptionError(hooks, list, 'need a crawler that navigates (HttpCrawler, CheerioCrawler, PuppeteerCrawler)');
    }
    if (options.sessionPool !== undefined) {
        if (!(options.sessionPool instanceof SessionPool)) throw new InvalidOptionError('sessionPool', options.sessionPool, 'must be a SessionPool');
        if (options.sessionPoolOptions) throw new InvalidOptionError('sessionPoolOptions', options.sessionPoolOptions, 'cannot be combined with an existing sessionPool');
        if (options.useSessionPool === false) throw new InvalidOptionError('useSessionPool', false, 'contradicts the sessionPool given');
        // A shared pool judges and routes with its own settings: per-crawler ones would be silently ignored.
        for (const key of ['proxyConfiguration', 'blockedStatusCodes', 'rateLimitStatusCodes'] as const) {
            if (options[key] !== undefined) {
                throw new InvalidOptionError(key, options[key], `cannot be combined with an existing sessionPool (set it in that pool's options instead)`);
            }
        }
    }
    if (options.useSessionPool === false) {
        for (const key of ['blockedStatusCodes', 'rateLimitStatusCodes'] as const) {
            if (options[key] !== undefined) throw new InvalidOptionError(key, options[key], 'has no effect with useSessionPool: false (only sessions are judged by status code)');
        }
    }
    const poolOptions = options.sessionPoolOptions as SessionPoolOptions | undefined;
    for (const key of ['blockedStatusCodes', 'rateLimitStatusCodes'] as const) {
        if (options[key] !== undefined && poolOptions?.[key] !== undefined) {
            throw new InvalidOptionError(`sessionPoolOptions.${key}`, poolOptions[key], `duplicates ${key}; give it once`);
        }
    }
    if (options.useSessionPool === false && options.sessionPoolOptions) {
        throw new InvalidOptionError('sessionPoolOptions', options.sessionPoolOptions, 'has no effect with useSessionPool: false');
    }
    const poolProxy = (options.sessionPoolOptions as SessionPoolOptions | undefined)?.proxyConfiguration;
    if (options.proxyConfiguration && poolProxy) {
        throw new InvalidOptionError('sessionPoolOptions.proxyConfiguration', poolProxy, 'duplicates proxyConfiguration; give it once');
    }
}
