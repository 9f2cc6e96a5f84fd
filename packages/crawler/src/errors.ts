import { SessionkitError } from '@sessionkit/core';

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
