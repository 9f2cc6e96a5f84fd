/** The browser layer's errors, under the names @sessionkit/puppeteer has always exported. */
export {
    SessionkitBrowserError as SessionkitPuppeteerError,
    type ChromiumPathSource,
    InvalidChromiumPathError,
    ChromiumNotFoundError,
    BrowserDisconnectedError,
    ContextCreateTimeoutError,
    ContextProxyMismatchError,
    InvalidProxyUrlError,
    ContextPoolClosedError,
} from '@sessionkit/browser';

/** `page.goto()` failed (connection refused, DNS, proxy, timeout, …); `cause` holds puppeteer's error. */
export { NavigationError } from '@sessionkit/crawler';
