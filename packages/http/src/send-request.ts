import type { Session, ProxyInfo } from '@sessionkit/core';
import { type OptionsInit, type Response, gotScraping } from 'got-scraping';
import { NavigationError } from '@sessionkit/crawler';
import { DEFAULT_MAX_RESPONSE_BYTES, ResponseTooLargeError, withResponseSizeLimit } from './response-size-limit.js';
import { type GotCookieJar, createSessionCookieJar, createUserCookieJar, takeCookieHeaders } from './session-cookie-jar.js';

/** got-scraping options a caller may add or override (url, method, headers, body, timeout, …). */
export type SendRequestOptions = OptionsInit & {
    proxyUrl?: string;
    sessionToken?: object;
    useHeaderGenerator?: boolean;
    headerGeneratorOptions?: Record<string, unknown>;
};

export interface SessionRequestInput {
    url: string;
    method?: string;
    headers?: Record<string, string>;
    payload?: string;
    session: Session | undefined;
    proxyInfo: ProxyInfo | undefined;
    /** Send the session's cookies and keep the ones the site sets. Default true. */
    persistCookiesPerSession?: boolean;
    timeoutMs?: number;
    /** Aborts the request (a crawling context's `signal`: the attempt is over). */
    signal?: AbortSignal;
    /** Larger bodies fail with ResponseTooLargeError without being buffered. Default 10 MiB; Infinity: no limit. */
    maxResponseBytes?: number;
    overrides?: SendRequestOptions;
}

const SENSITIVE_CROSS_ORIGIN_HEADERS = ['cookie', 'authorization', 'proxy-authorization'];

/**
 * Builds got-scraping options for one request made as a session: its cookies per redirect hop, its
 * proxy, and one consistent generated header set per session (`sessionToken` is the session object).
 */
export function buildSessionRequestOptions(input: SessionRequestInput): SendRequestOptions {
    const { url: _url, headers: overrideHeaders, hooks: overrideHooks, ...overrides } = input.overrides ?? {};
    const headers: Record<string, string> = { ...input.headers, ...(overrideHeaders as Record<string, string> | undefined) };
    // Every casing of Cookie, merged (a hook may set `cookie` and `Cookie`): got would send only one of them.
    const userCookies = takeCookieHeaders(headers);
    const persistCookies = input.persistCookiesPerSession ?? true;
    let cookieJar: GotCookieJar | undefined;
    if (input.session && persistCookies) cookieJar = createSessionCookieJar(input.session, input.url, userCookies);
    else if (userCookies && userCookies.size > 0) cookieJar = createUserCookieJar(input.url, userCookies);

    const options: SendRequestOptions = {
        method: (input.method ?? 'GET') as OptionsInit['method'],
        throwHttpErrors: false,
        followRedirect: true,
        ignoreInvalidCookies: true,
        retry: { limit: 0 },
        ...overrides,
        url: input.url,
        headers,
        hooks: {
            ...overrideHooks,
            beforeRedirect: [dropSensitiveHeadersAcrossOrigins, ...(overrideHooks?.beforeRedirect ?? [])],
        },
    };
    if (input.payload !== undefined && options.body === undefined && options.json === undefined && options.form === undefined) options.body = input.payload;
    if (cookieJar) options.cookieJar = cookieJar;
    if (input.timeoutMs !== undefined && input.timeoutMs !== Number.POSITIVE_INFINITY && options.timeout === undefined) options.timeout = { request: input.timeoutMs };
    if (input.signal && options.signal === undefined) options.signal = input.signal;
    const proxyUrl = overrides.proxyUrl ?? input.proxyInfo?.url;
    if (proxyUrl) options.proxyUrl = proxyUrl;
    if (input.session && options.sessionToken === undefined) options.sessionToken = input.session;
    return options;
}

/**
 * Before each redirect hop. got already drops cookie and authorization on a cross-origin hop; proxy-authorization
 * goes too. And the previous hop's Cookie header never carries over: got only replaces it when the jar has
 * cookies for the next URL, so a cookie scoped to the first hop's path (or host) would otherwise leak on.
 */
function dropSensitiveHeadersAcrossOrigins(
    updatedOptions: { url?: URL | string; headers: Record<string, string | string[] | undefined>; cookieJar?: unknown },
    response: { url: string },
): void {
    if (updatedOptions.cookieJar) delete updatedOptions.headers.cookie;
    const next = updatedOptions.url ? new URL(String(updatedOptions.url)) : undefined;
    if (!next || next.origin === new URL(response.url).origin) return;
    for (const name of SENSITIVE_CROSS_ORIGIN_HEADERS) delete updatedOptions.headers[name];
}

/** Performs the request with got-scraping; never throws on HTTP error statuses. A failed request throws NavigationError. */
export async function sendSessionRequest(input: SessionRequestInput): Promise<Response<string>> {
    const options = buildSessionRequestOptions(input);
    const request = gotScraping({ ...options, responseType: 'text' } as OptionsInit) as unknown as Parameters<typeof withResponseSizeLimit<Response<string>>>[0];
    try {
        return await withResponseSizeLimit(request, input.url, input.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES);
    } catch (error) {
        if (error instanceof ResponseTooLargeError) throw error;
        // got's error carries every request option, the proxy password included, into whatever prints it.
        throw new NavigationError(String(options.method ?? 'GET'), input.url, options.proxyUrl, error);
    }
}

/** The context fields `sendRequest` needs: any crawling context has them. */
export interface SendRequestContext {
    request: { url: string; method: string; headers: Record<string, string>; payload: string | undefined };
    session: Session | undefined;
    proxyInfo: ProxyInfo | undefined;
    /** When present (a crawling context), the request is aborted once the attempt is over. */
    signal?: AbortSignal;
}

/**
 * For BasicCrawler handlers (Crawlee docs "BasicCrawler" example): fetches `context.request` (or `overrides.url`)
 * with the session's cookies, proxy and headers, and saves the cookies it gets back. It does not judge
 * the response: call `session.retireOnBlockedStatusCodes(response.statusCode)` as in Crawlee's docs.
 */
export function sendRequest(context: SendRequestContext, overrides: SendRequestOptions = {}): Promise<Response<string>> {
    return sendSessionRequest({
        url: overrides.url !== undefined ? String(overrides.url) : context.request.url,
        method: (overrides.method as string | undefined) ?? context.request.method,
        headers: context.request.headers,
        payload: context.request.payload,
        session: context.session,
        proxyInfo: context.proxyInfo,
        ...(context.signal ? { signal: context.signal } : {}),
        overrides,
    });
}
