export { HttpCrawler, HttpAdapter, type HttpCrawlerOptions, type HttpCrawlingContext, HTTP_CRAWLER_OPTION_KEYS } from './http-crawler.js';
export {
    sendRequest,
    sendSessionRequest,
    buildSessionRequestOptions,
    type SendRequestOptions,
    type SendRequestContext,
    type SessionRequestInput,
} from './send-request.js';
export { createSessionCookieJar, mergeCookieHeaders, parseCookieHeader, takeCookieHeaders, type GotCookieJar } from './session-cookie-jar.js';
export { CookieHeaderError } from './errors.js';
export { NavigationError } from '@sessionkit/crawler';
export { DEFAULT_MAX_RESPONSE_BYTES, ResponseTooLargeError } from './response-size-limit.js';
export { ProxyAuthenticationError } from '@sessionkit/crawler';
