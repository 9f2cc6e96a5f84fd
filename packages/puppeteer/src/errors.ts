import { SessionkitError } from '@sessionkit/core';

/**
 * Typed errors of @sessionkit/puppeteer. Messages name the option and the bad value and say what to do.
 */

/**
 * Base class of every error thrown on purpose by @sessionkit/puppeteer. Like core's `SessionkitError`,
 * `code` is stable and machine-readable.
 */
export class SessionkitPuppeteerError extends SessionkitError {}

/** Where a Chromium executable path came from. */
export type ChromiumPathSource = 'executablePath option' | 'CHROME_PATH' | 'PUPPETEER_EXECUTABLE_PATH';

/** An explicitly configured Chromium path (option or env var) does not exist or is not an executable file. */
export class InvalidChromiumPathError extends SessionkitPuppeteerError {
    constructor(
        readonly source: ChromiumPathSource,
        readonly path: string,
        readonly reason: string,
    ) {
        const where = source === 'executablePath option' ? 'the executablePath option' : `env ${source}`;
        super(
            'ERR_INVALID_CHROMIUM_PATH',
            `Chromium executable from ${where} is not usable: "${path}" ${reason}. ` +
                `Fix ${where} to point at a Chromium/Chrome binary, or unset it to use a system installation ` +
                `(Debian/Ubuntu: apt-get update && apt-get install -y chromium).`,
        );
    }
}

/** No Chromium/Chrome executable was found anywhere. */
export class ChromiumNotFoundError extends SessionkitPuppeteerError {
    constructor(readonly tried: readonly string[]) {
        super(
            'ERR_CHROMIUM_NOT_FOUND',
            `No Chromium/Chrome executable found. Tried: ${tried.length > 0 ? tried.join(', ') : '(nothing)'}. ` +
                `Install one (Debian/Ubuntu: apt-get update && apt-get install -y chromium), ` +
                `or set CHROME_PATH (or the executablePath option) to the browser binary.`,
        );
    }
}

/** The browser behind a SessionContextPool is closed or crashed; no context can be created. */
export class BrowserDisconnectedError extends SessionkitPuppeteerError {
    /** The browser died: the request is retried, the session keeps its score. */
    readonly sessionFault = false;

    constructor(message: string, options?: { cause?: unknown }) {
        super('ERR_BROWSER_DISCONNECTED', message, options);
    }
}

/** Creating a browser context did not finish within `contextCreateTimeoutMillis`. */
export class ContextCreateTimeoutError extends SessionkitPuppeteerError {
    constructor(message: string) {
        super('ERR_CONTEXT_TIMEOUT', message);
    }
}

/** A session already has a context bound to a different proxy. */
export class ContextProxyMismatchError extends SessionkitPuppeteerError {
    constructor(message: string) {
        super('ERR_CONTEXT_PROXY_MISMATCH', message);
    }
}

/** A proxy URL cannot be used for a browser context. */
export class InvalidProxyUrlError extends SessionkitPuppeteerError {
    constructor(message: string) {
        super('ERR_INVALID_PROXY_URL', message);
    }
}

/** `page.goto()` failed (connection refused, DNS, proxy, timeout, …); `cause` holds puppeteer's error. */
export { NavigationError } from '@sessionkit/crawler';

/** A SessionContextPool was used after `close()`. */
export class ContextPoolClosedError extends SessionkitPuppeteerError {
    constructor(message: string) {
        super('ERR_CONTEXT_POOL_CLOSED', message);
    }
}
