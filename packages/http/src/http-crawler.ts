import { InvalidOptionError } from '@sessionkit/core';
import { checkBoolean, checkDurationSecs, checkNumber, checkObject, durationMs } from '@sessionkit/core/spi';
import {
    BasicCrawler,
    NavigationError,
    type BasicCrawlerOptions,
    type CrawlerAdapter,
    type CrawlingContext,
    type NavigationResult,
} from '@sessionkit/crawler';
import type { Response } from 'got-scraping';
import { DEFAULT_MAX_RESPONSE_BYTES, ResponseTooLargeError } from './response-size-limit.js';
import { CookieHeaderError } from './errors.js';
import { type SendRequestOptions, sendSessionRequest } from './send-request.js';

export interface HttpCrawlingContext extends CrawlingContext {
    /** The got-scraping response of the navigation (set once navigated). */
    response: Response<string> | undefined;
    /** The response body as text ('' before navigation). */
    body: string;
    /** Content-Type without parameters, lowercased. */
    contentType: string | undefined;
    /** Another request as this session (same cookies, proxy and headers); it is not judged automatically. */
    sendRequest(overrides?: SendRequestOptions): Promise<Response<string>>;
}

export interface HttpCrawlerOptions<Context extends HttpCrawlingContext = HttpCrawlingContext> extends BasicCrawlerOptions<Context> {
    /** Timeout of one navigation (all redirect hops). Default 30. */
    navigationTimeoutSecs?: number;
    /** Generate browser-like headers (consistent per session). Default true. */
    useHeaderGenerator?: boolean;
    headerGeneratorOptions?: Record<string, unknown>;
    /** Extra got-scraping options for every navigation. */
    requestOptions?: SendRequestOptions;
    /**
     * Largest response body a navigation or `sendRequest` accepts, in bytes; a larger one fails the request (no
     * retries, nobody blamed) with ResponseTooLargeError, stopped at the limit instead of buffered. Default 10 MiB
     * (`DEFAULT_MAX_RESPONSE_BYTES`); `Infinity` for no limit.
     */
    maxResponseBytes?: number;
}

export const HTTP_CRAWLER_OPTION_KEYS = ['navigationTimeoutSecs', 'useHeaderGenerator', 'headerGeneratorOptions', 'requestOptions', 'maxResponseBytes'] as const;

/** The got-scraping side of the session lifecycle. Cookies travel through the session jar on every hop. */
export class HttpAdapter<Context extends HttpCrawlingContext> implements CrawlerAdapter<Context> {
    readonly name: string;

    constructor(
        name: string,
        private readonly settings: {
            timeoutMs: number;
            maxResponseBytes: number;
            persistCookiesPerSession: boolean;
            requestOptions: SendRequestOptions;
            afterNavigation: (context: Context) => void;
        },
    ) {
        this.name = name;
    }

    // Cookies go on per hop through the session jar, so "apply" has nothing to do up front.

    async navigate(context: Context): Promise<NavigationResult> {
        const { request } = context;
        let response: Response<string>;
        try {
            response = await sendSessionRequest({
                url: request.url,
                method: request.method,
                headers: request.headers,
                payload: request.payload,
                session: context.session,
                proxyInfo: context.proxyInfo,
                persistCookiesPerSession: this.settings.persistCookiesPerSession,
                timeoutMs: this.settings.timeoutMs,
                maxResponseBytes: this.settings.maxResponseBytes,
                overrides: this.settings.requestOptions,
            });
        } catch (error) {
            // The request's own Cookie header is wrong: nothing was sent, nobody on the network is to blame.
            if (error instanceof CookieHeaderError || error instanceof ResponseTooLargeError || error instanceof NavigationError) throw error;
            // got's messages ("Parse Error: Invalid status code", "connect ECONNREFUSED …") do not say which request.
            throw new NavigationError(request.method, request.url, this.settings.requestOptions.proxyUrl ?? context.proxyInfo?.url, error);
        }
        context.response = response;
        context.body = response.body;
        const contentType = response.headers['content-type'];
        context.contentType = contentType ? contentType.split(';')[0]!.trim().toLowerCase() : undefined;
        this.settings.afterNavigation(context);
        return { statusCode: response.statusCode, headers: response.headers, url: response.url };
    }
}

/**
 * Crawls with plain HTTP requests (got-scraping) and sessions: cookies sent and saved per redirect hop,
 * one proxy and one generated header set per session, automatic judging of 401/403/429.
 */
export class HttpCrawler<Context extends HttpCrawlingContext = HttpCrawlingContext> extends BasicCrawler<Context> {
    /** Also bounds `context.sendRequest()`: a hung extra request must not outlive its attempt's lease. */
    private readonly navigationTimeoutMs: number;
    private readonly maxResponseBytes: number;

    constructor(options: HttpCrawlerOptions<Context> = {}, name = 'HttpCrawler', extraOptionKeys: readonly string[] = []) {
        validateHttpOptions(options);
        const requestOptions: SendRequestOptions = { ...options.requestOptions };
        if (options.useHeaderGenerator !== undefined) requestOptions.useHeaderGenerator = options.useHeaderGenerator;
        if (options.headerGeneratorOptions) requestOptions.headerGeneratorOptions = options.headerGeneratorOptions;
        let self: HttpCrawler<Context> | undefined;
        const adapter = new HttpAdapter<Context>(name, {
            timeoutMs: durationMs(options.navigationTimeoutSecs ?? 30),
            maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
            persistCookiesPerSession: options.persistCookiesPerSession ?? true,
            requestOptions,
            afterNavigation: (context) => self!.afterNavigation(context),
        });
        super(options, adapter, [...HTTP_CRAWLER_OPTION_KEYS, ...extraOptionKeys]);
        self = this;
        this.navigationTimeoutMs = durationMs(options.navigationTimeoutSecs ?? 30);
        this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    }

    protected override extendContext(base: CrawlingContext): Context {
        const context = base as Context;
        context.response = undefined;
        context.body = '';
        context.contentType = undefined;
        context.sendRequest = (overrides: SendRequestOptions = {}) =>
            sendSessionRequest({
                url: overrides.url !== undefined ? String(overrides.url) : context.request.url,
                session: context.session,
                proxyInfo: context.proxyInfo,
                persistCookiesPerSession: this.persistCookiesPerSession,
                timeoutMs: this.navigationTimeoutMs,
                maxResponseBytes: this.maxResponseBytes,
                signal: context.signal,
                overrides,
            });
        return context;
    }

    /** Subclasses parse the body here (CheerioCrawler adds `$`). */
    protected afterNavigation(_context: Context): void {}
}

function validateHttpOptions<Context extends HttpCrawlingContext>(options: HttpCrawlerOptions<Context>): void {
    checkObject('(crawler options)', options);
    checkDurationSecs('navigationTimeoutSecs', options.navigationTimeoutSecs, { allowInfinity: true });
    checkBoolean('useHeaderGenerator', options.useHeaderGenerator);
    checkObject('headerGeneratorOptions', options.headerGeneratorOptions);
    checkObject('requestOptions', options.requestOptions);
    if (options.maxResponseBytes !== undefined && options.maxResponseBytes !== Number.POSITIVE_INFINITY) {
        checkNumber('maxResponseBytes', options.maxResponseBytes, { min: 1, integer: true });
    }
    const requestOptions = options.requestOptions as SendRequestOptions | undefined;
    if (requestOptions?.url !== undefined) {
        throw new InvalidOptionError('requestOptions.url', requestOptions.url, 'cannot be set for every request (use the request list)');
    }
    // got-scraping speaks to HTTP(S) proxies only: a socks:// proxy would fail every request sent through it.
    const sources: [string, { proxyUrls?: readonly string[] | undefined } | undefined][] = [
        ['proxyConfiguration.proxyUrls', options.proxyConfiguration],
        ['sessionPoolOptions.proxyConfiguration.proxyUrls', options.sessionPoolOptions?.proxyConfiguration],
        ['sessionPool.proxyConfiguration.proxyUrls', options.sessionPool?.proxyConfiguration],
    ];
    for (const [name, config] of sources) {
        const urls = config && typeof config === 'object' && Array.isArray(config.proxyUrls) ? config.proxyUrls : [];
        urls.forEach((url, index) => {
            if (typeof url === 'string' && URL.canParse(url) && !['http:', 'https:'].includes(new URL(url).protocol)) {
                throw new InvalidOptionError(`${name}[${index}]`, url, 'must be an http:// or https:// proxy for HttpCrawler and CheerioCrawler (got-scraping supports no other)');
            }
        });
    }
}
