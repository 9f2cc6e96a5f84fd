import { InvalidOptionError } from '@sessionkit/core';

export interface RequestOptions<UserData extends Record<string, unknown> = Record<string, unknown>> {
    url: string;
    /** Dedupe key. Default: the URL normalised (fragment dropped). */
    uniqueKey?: string;
    method?: string;
    headers?: Record<string, string>;
    payload?: string;
    userData?: UserData;
    label?: string;
    /** Pin the request to one session (login flows, captcha solving): it waits for that session. */
    sessionId?: string;
    /** Fail on the first error, no retries. */
    noRetry?: boolean;
}

/** One URL to crawl, with what happened to it so far. */
export class Request<UserData extends Record<string, unknown> = Record<string, unknown>> {
    readonly url: string;
    readonly uniqueKey: string;
    method: string;
    headers: Record<string, string>;
    payload: string | undefined;
    userData: UserData;
    label: string | undefined;
    sessionId: string | undefined;
    noRetry: boolean;
    /** Failed attempts that spent a retry. */
    retryCount = 0;
    /** Attempts retried with another session because the session was blocked. */
    sessionRotationCount = 0;
    /** Attempts retried later because the site rate-limited us. */
    rateLimitRetryCount = 0;
    /** Messages of every failed attempt, oldest first. */
    readonly errorMessages: string[] = [];
    /** URL after redirects, once loaded. */
    loadedUrl: string | undefined;
    handledAt: Date | undefined;

    constructor(options: RequestOptions<UserData> | string) {
        const o: RequestOptions<UserData> = typeof options === 'string' ? { url: options } : options;
        if (!o || typeof o !== 'object' || typeof o.url !== 'string') {
            throw new InvalidOptionError('request.url', (o as { url?: unknown } | undefined)?.url ?? o, 'must be an absolute http(s) URL string');
        }
        let parsed: URL;
        try {
            parsed = new URL(o.url);
        } catch {
            throw new InvalidOptionError('request.url', o.url, 'must be an absolute http(s) URL');
        }
        if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
            throw new InvalidOptionError('request.url', o.url, 'must use http: or https:');
        }
        this.url = o.url;
        parsed.hash = '';
        this.uniqueKey = o.uniqueKey ?? parsed.toString();
        this.method = (o.method ?? 'GET').toUpperCase();
        this.headers = o.headers ?? {};
        this.payload = o.payload;
        this.userData = o.userData ?? ({} as UserData);
        this.label = o.label;
        this.sessionId = o.sessionId;
        this.noRetry = o.noRetry ?? false;
    }
}

export type RequestLike = string | RequestOptions | Request;

export function toRequest(input: RequestLike): Request {
    return input instanceof Request ? input : new Request(input);
}
