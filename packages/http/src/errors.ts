import { SessionkitError, redactProxyUrl } from '@sessionkit/core';

/**
 * A navigation got no HTTP response: connection refused, DNS, timeout, a malformed response, a proxy failure.
 * The message names the URL, the proxy and the underlying error; `cause` is the client's own error.
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
