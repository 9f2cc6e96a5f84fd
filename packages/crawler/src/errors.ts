import { SessionkitError } from '@sessionkit/core';
import { redactProxyUrl, sanitizeError } from '@sessionkit/core/spi';

/** The session was blocked (401/403, or retired by the handler): retry with another session, spending no retry. */
export class SessionBlockedError extends SessionkitError {
    readonly statusCode: number | undefined;

    constructor(message: string, statusCode?: number) {
        super('ERR_SESSION_BLOCKED', message);
        this.statusCode = statusCode;
    }
}

/**
 * A proxy answered 407 (Proxy Authentication Required): its credentials are wrong or missing. The session bound to
 * it is retired and the request rotated to another session (another route once the proxy is benched). When every
 * configured proxy answers 407, the crawl stops early with this error, naming the proxies (passwords hidden).
 */
export class ProxyAuthenticationError extends SessionkitError {
    /** The proxies concerned, passwords redacted. */
    readonly proxyUrls: readonly string[];

    constructor(message: string, proxyUrls: readonly string[]) {
        super('ERR_PROXY_AUTHENTICATION', message);
        this.proxyUrls = proxyUrls.map((url) => redactProxyUrl(url));
    }
}

/** The site said "slow down" (429, 503 with Retry-After): the session and its proxy cool down, the request is retried later. */
export class RateLimitedError extends SessionkitError {
    /** The status code that said so; undefined when user code cooled the session down (`session.coolDown()`). */
    readonly statusCode: number | undefined;
    readonly retryAfterMs: number | undefined;

    constructor(statusCode: number | undefined, retryAfterMs: number | undefined, url: string) {
        const wait = retryAfterMs !== undefined ? `${statusCode !== undefined ? 'Retry-After' : 'for'} ${Math.round(retryAfterMs / 1000)} s` : '';
        const why = statusCode !== undefined ? `HTTP ${statusCode}` : 'the request handler cooled the session down';
        super('ERR_RATE_LIMITED', `Rate limited by ${safeOrigin(url)} (${why}${wait ? `, ${wait}` : ''}).`);
        this.statusCode = statusCode;
        this.retryAfterMs = retryAfterMs;
    }
}

/** An HTTP error status that is not about the session (5xx by default): the session gets an error point, the request a retry. */
export class HttpStatusError extends SessionkitError {
    readonly statusCode: number;

    constructor(statusCode: number, url: string) {
        super('ERR_HTTP_STATUS', `${url} answered HTTP ${statusCode}.`);
        this.statusCode = statusCode;
    }
}

/** The request handler ran longer than `requestHandlerTimeoutSecs`. */
export class RequestTimeoutError extends SessionkitError {
    constructor(what: string, seconds: number) {
        super('ERR_REQUEST_TIMEOUT', `${what} timed out after ${seconds} s.`);
    }
}

/** Throw it from a handler to fail the request at once, without retries. */
export class NonRetryableError extends SessionkitError {
    constructor(message: string, options?: { cause?: unknown }) {
        super('ERR_NON_RETRYABLE', message, options);
    }
}

function safeOrigin(url: string): string {
    try {
        return new URL(url).origin;
    } catch {
        return url;
    }
}

/**
 * A navigation got no HTTP response: connection refused, DNS, timeout, a malformed response, a proxy failure.
 * The message names the URL, the proxy (password hidden) and the underlying error; `cause` is a copy of the
 * client's own error (name, message, code, stack) without its request options, so printing it never shows a
 * proxy password. It counts against the session and its proxy.
 */
export class NavigationError extends SessionkitError {
    readonly url: string;
    /** The underlying error's code (ECONNREFUSED, ETIMEDOUT, HPE_INVALID_STATUS, …) when it has one. */
    readonly errorCode: string | undefined;

    constructor(method: string, url: string, proxyUrl: string | undefined, cause: unknown) {
        // The client's own error holds its request options (the proxy URL with its password): keep a clean copy.
        const error = sanitizeError(cause);
        const { code } = error as { code?: unknown };
        const errorCode = typeof code === 'string' ? code : undefined;
        super(
            'ERR_NAVIGATION',
            `${method} ${url}${proxyUrl ? ` via proxy ${redactProxyUrl(proxyUrl)}` : ''} failed: ${error.message}${errorCode && !error.message.includes(errorCode) ? ` (${errorCode})` : ''}`,
            { cause: error },
        );
        this.url = url;
        this.errorCode = errorCode;
    }
}

/**
 * A failure that is nobody's fault on the site's side: the browser crashed, the crawler is shutting down, a
 * local resource ran out. The request is retried (spending a retry), the session and its proxy keep their
 * scores. Adapters throw it (or a subclass, or any error with `sessionFault = false`).
 */
export class NoFaultError extends SessionkitError {
    readonly sessionFault = false;

    constructor(message: string, options?: { cause?: unknown; code?: string }) {
        super(options?.code ?? 'ERR_NO_FAULT', message, options?.cause === undefined ? undefined : { cause: options.cause });
    }
}

/**
 * Adapters mark errors that are nobody's fault on the site's side (the browser crashed, the crawler is
 * shutting down) with `sessionFault = false`: the request is retried, the session keeps its score.
 */
export interface SessionFaultMarker {
    readonly sessionFault?: boolean;
}

const NETWORK_ERROR_CODES = new Set([
    'ECONNRESET',
    'ECONNREFUSED',
    'ECONNABORTED',
    'ETIMEDOUT',
    'ESOCKETTIMEDOUT',
    'EPIPE',
    'ENOTFOUND',
    'EAI_AGAIN',
    'EHOSTUNREACH',
    'ENETUNREACH',
    'ERR_SOCKET_CONNECTION_TIMEOUT',
    'UND_ERR_CONNECT_TIMEOUT',
    'UND_ERR_SOCKET',
]);

/** Who a failed attempt counts against: nobody, the session only (your code failed), or the session and its proxy. */
export type Blame = 'none' | 'session' | 'sessionAndProxy';

/**
 * Navigation, HTTP status and network errors count against the session and its proxy; an error thrown by
 * the handler's own code counts against the session only, so a bug in user code never benches healthy IPs.
 */
export function blameFor(error: Error, thrownByHandler: boolean): Blame {
    if ((error as SessionFaultMarker).sessionFault === false) return 'none';
    if (!thrownByHandler || error instanceof NavigationError || error instanceof HttpStatusError) return 'sessionAndProxy';
    for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
        const { code, name } = current as { code?: unknown; name?: string };
        if (typeof code === 'string' && NETWORK_ERROR_CODES.has(code)) return 'sessionAndProxy';
        if (name === 'RequestError' || name === 'TimeoutError') return 'sessionAndProxy';
    }
    return 'session';
}

/** What a proxy connection error does to the session: see `onProxyError` in BasicCrawlerOptions. */
export type ProxyErrorPolicy = 'markBad' | 'rotateSession';
export const PROXY_ERROR_POLICIES: readonly ProxyErrorPolicy[] = ['markBad', 'rotateSession'];

/** Error codes and texts that mean the proxy itself failed (Crawlee's ROTATE_PROXY_ERRORS). */
const PROXY_ERROR_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ERR_PROXY_CONNECTION_FAILED', 'ERR_TUNNEL_CONNECTION_FAILED']);
const PROXY_ERROR_TEXTS = ['ERR_PROXY_CONNECTION_FAILED', 'ERR_TUNNEL_CONNECTION_FAILED', 'Proxy responded with'];

/**
 * A navigation through a proxy failed at the proxy: it refused or dropped the connection, or answered the
 * tunnel with an error. (Through a proxy, a site that refuses connections shows up as the proxy's 502, not
 * as ECONNREFUSED.)
 */
export function isProxyConnectionError(error: Error): boolean {
    if (!(error instanceof NavigationError)) return false;
    for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
        const { code, message } = current as { code?: unknown; message: string };
        if (typeof code === 'string' && PROXY_ERROR_CODES.has(code)) return true;
        if (PROXY_ERROR_TEXTS.some((text) => message.includes(text))) return true;
    }
    return false;
}
