import type { Log, ProxyInfo, Session, SessionPool } from '@sessionkit/core';
import type { Blame } from './errors.js';
import type { Request, RequestLike } from './request.js';
import type { AddRequestsResult } from './request-queue.js';

/** What a navigation learned: the status, the headers and the URL after redirects. */
export interface NavigationResult {
    statusCode: number;
    headers: Record<string, string | string[] | undefined>;
    /** Final URL, after redirects. */
    url: string;
}

/** What the crawler offers to the code running inside a request. */
export interface CrawlerHandle {
    readonly log: Log;
    readonly sessionPool: SessionPool | undefined;
    /**
     * Whether the session's cookies go with each request and come back from each response. An adapter
     * that sends or stores cookies itself must honour it (`saveCookies` is not called when it is false).
     */
    readonly persistCookiesPerSession: boolean;
    addRequests(requests: Iterable<RequestLike>): Promise<AddRequestsResult>;
}

/** The object every handler receives. Adapters extend it (`body`, `$`, `page`, …). */
export interface CrawlingContext {
    request: Request;
    /** The leased session; undefined when `useSessionPool` is false. */
    session: Session | undefined;
    /** The proxy of this request (the session's proxy when sessions are on). */
    proxyInfo: ProxyInfo | undefined;
    /** Set by the middleware once the adapter has navigated. */
    navigation: NavigationResult | undefined;
    log: Log;
    crawler: CrawlerHandle;
    /** Shortcut for `crawler.addRequests`. */
    addRequests(requests: Iterable<RequestLike>): Promise<AddRequestsResult>;
    /**
     * Aborted when this attempt is over: the handler timed out, or the attempt ended and its lease went back
     * to the pool. Pass it to long work (sendRequest does) so a timed-out handler stops using the session.
     */
    signal: AbortSignal;
}

export type Awaitable<T> = T | Promise<T>;

/** The stage of an attempt an error came from (see {@link CrawlerAdapter.classifyError}). */
export type AttemptStage = 'prepare' | 'apply' | 'navigate' | 'handler' | 'save';

/**
 * The contract between the session middleware and a crawler type. The middleware owns the lifecycle
 * (lease, judge, mark, release); an adapter only knows how to talk to its client. See docs/adapters.md.
 */
export interface CrawlerAdapter<Context extends CrawlingContext = CrawlingContext> {
    /** Shown in logs and stats. */
    readonly name: string;
    /**
     * Stage "prepare": runs right after the context is built, with or without a session, before
     * `applySession` and the navigation hooks (e.g. open the attempt's page so hooks can use it).
     */
    prepare?(context: Context): Awaitable<void>;
    /** Stage "apply": put the session on the request (cookies, headers, proxy). Skipped without a session. */
    applySession?(context: Context): Awaitable<void>;
    /** Stage "navigate": perform the request. Store Set-Cookie of every hop in the session if the client sees them. */
    navigate(context: Context): Promise<NavigationResult>;
    /** Stage "save cookies": after the handler, copy cookies the client holds (a browser) back to the session. */
    saveCookies?(context: Context): Awaitable<void>;
    /** Always runs at the end of an attempt, success or not: close pages, free sockets. */
    cleanup?(context: Context): Awaitable<void>;
    /** A session left the pool: free what the adapter keeps for it (e.g. a browser context). */
    onSessionRetired?(session: Session): Awaitable<void>;
    /** The crawl is over: close browsers, agents. */
    dispose?(): Promise<void>;
    /**
     * Who a failed attempt counts against, for errors only the adapter can read (a browser that crashed
     * while the handler used its page is nobody's fault). Sees errors of every stage, the handler's included.
     * Return `undefined` for the default rules ({@link blameFor}). Blocks and rate limits never come here.
     */
    classifyError?(error: Error, context: Context, stage: AttemptStage): Awaitable<Blame | undefined>;
}

export type RequestHandler<Context extends CrawlingContext> = (context: Context) => Awaitable<void>;

export interface FailedRequestContext {
    request: Request;
    /** The session of the last attempt (already given back to the pool); undefined without sessions. */
    session: Session | undefined;
    log: Log;
    error: Error;
}

export type FailedRequestHandler = (context: FailedRequestContext, error: Error) => Awaitable<void>;

export type NavigationHook<Context extends CrawlingContext> = (context: Context) => Awaitable<void>;
