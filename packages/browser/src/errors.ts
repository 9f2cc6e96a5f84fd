import { SessionkitError } from '@sessionkit/core';
import { NoFaultError } from '@sessionkit/crawler';

/**
 * Typed errors of the browser layer (shared by every browser driver). Messages name the option and the bad
 * value and say what to do; `code` is stable and machine-readable.
 */
export class SessionkitBrowserError extends SessionkitError {}

/** Where a Chromium executable path came from. */
export type ChromiumPathSource = 'executablePath option' | 'CHROME_PATH' | 'PUPPETEER_EXECUTABLE_PATH';

/** The install hint every "no browser" error gives. */
export const CHROMIUM_INSTALL_HINT = 'Debian/Ubuntu: apt-get update && apt-get install -y chromium';

/** An explicitly configured Chromium path (option or env var) does not exist or is not an executable file. */
export class InvalidChromiumPathError extends SessionkitBrowserError {
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
                `(${CHROMIUM_INSTALL_HINT}).`,
        );
    }
}

/** No Chromium/Chrome executable was found anywhere. */
export class ChromiumNotFoundError extends SessionkitBrowserError {
    constructor(readonly tried: readonly string[]) {
        super(
            'ERR_CHROMIUM_NOT_FOUND',
            `No Chromium/Chrome executable found. Tried: ${tried.length > 0 ? tried.join(', ') : '(nothing)'}. ` +
                `Install one (${CHROMIUM_INSTALL_HINT}), ` +
                `or set CHROME_PATH (or the executablePath option) to the browser binary.`,
        );
    }
}

/** The browser is closed or crashed: nobody's fault, the request is retried in a new browser. */
export class BrowserDisconnectedError extends NoFaultError {
    constructor(message: string, options?: { cause?: unknown }) {
        super(message, { ...options, code: 'ERR_BROWSER_DISCONNECTED' });
    }
}

/** Creating (or closing) a browser context did not finish within `contextTimeoutMillis`. */
export class ContextCreateTimeoutError extends SessionkitBrowserError {
    constructor(message: string) {
        super('ERR_CONTEXT_TIMEOUT', message);
    }
}

/** A session already has a context bound to a different proxy. */
export class ContextProxyMismatchError extends SessionkitBrowserError {
    constructor(message: string) {
        super('ERR_CONTEXT_PROXY_MISMATCH', message);
    }
}

/** A proxy URL cannot be used for a browser context. */
export class InvalidProxyUrlError extends SessionkitBrowserError {
    constructor(message: string) {
        super('ERR_INVALID_PROXY_URL', message);
    }
}

/** A context pool (or a SessionResourcePool) was used after `close()`. */
export class ContextPoolClosedError extends SessionkitBrowserError {
    constructor(message: string) {
        super('ERR_CONTEXT_POOL_CLOSED', message);
    }
}
