import { SessionkitError } from '@sessionkit/core';
import { redactProxyUrl } from '@sessionkit/core/spi';

/** The session was blocked (401/403, or retired by the handler): retry with another session, spending no retry. */
export class SessionBlockedError extends SessionkitError {
    readonly statusCode: number | undefined;

    constructor(message: string, statusCode?: number) {
        super('ERR_SESSION_BLOCKED', message);
        this.statusCode = statusCode;
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
 * The message names the URL, the proxy (password hidden) and the underlying error; `cause` is the client's
 * own error. It counts against the session and its proxy.
 */
export class NavigationError extends SessionkitError {
    readonly url: string;
    /** The underlying error's code (ECONNREFUSED, ETIMEDOUT, HPE_INVALID_STATUS, …) when it has one. */
    readonly errorCode: string | undefined;

    constructor(method: string, url: string, proxyUrl: string | undefined, cause: unknown) {
        const error = cause instanceof Error ? cause : new Error(String(cause));
        const { code } = error as { code?: unknown };
        const errorCode = typeof code === 'string' ? code : undefined;
        super(
            'ERR_NAVIGATION',
            `${method} ${url}${proxyUrl ? ` via proxy ${redactProxyUrl(proxyUrl)}` : ''} failed: ${error.message}${errorCode && !error.message.includes(errorCode) ? ` (${errorCode})` : ''}`,
            { cause },
        );
        this.url = url;
        this.errorCode = errorCode;
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
