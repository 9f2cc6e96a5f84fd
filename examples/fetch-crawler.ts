import { InvalidOptionError } from '@sessionkit/core';
import { BasicCrawler, type BasicCrawlerOptions, type CrawlerAdapter, type CrawlingContext, type NavigationResult } from '@sessionkit/crawler';

/** What a FetchCrawler handler gets on top of the base context. */
export interface FetchCrawlingContext extends CrawlingContext {
    /** Headers of this attempt: the request's, plus what applySession adds. */
    headers: Record<string, string>;
    response: Response | undefined;
    body: string;
}

/** Talks to global fetch. The session middleware does the rest: lease, judge, mark, retry, release. */
class FetchAdapter implements CrawlerAdapter<FetchCrawlingContext> {
    readonly name = 'FetchCrawler';

    constructor(private readonly timeoutMs: number) {}

    // Stage 3: one stable identity per session (here a user agent kept in its userData).
    applySession({ session, headers }: FetchCrawlingContext): void {
        session!.userData.userAgent ??= `FetchCrawler/1.0 (+${session!.id})`;
        headers['user-agent'] = String(session!.userData.userAgent);
    }

    // Stage 4: follow redirects by hand, so every hop sends and saves its own cookies.
    async navigate(context: FetchCrawlingContext): Promise<NavigationResult> {
        const { request, session, headers } = context;
        // With persistCookiesPerSession: false the session's cookies are neither sent nor stored.
        const jar = context.crawler.persistCookiesPerSession ? session : undefined;
        let url = request.url;
        for (let hop = 0; hop <= 10; hop++) {
            const cookie = jar?.getCookieString(url);
            const response = await fetch(url, {
                method: hop === 0 ? request.method : 'GET',
                headers: cookie ? { ...headers, cookie } : headers,
                ...(hop === 0 && request.payload !== undefined ? { body: request.payload } : {}),
                redirect: 'manual',
                signal: AbortSignal.timeout(this.timeoutMs),
            });
            // Set-Cookie of this hop, with this hop's URL. A malformed one is skipped, never thrown.
            for (const setCookie of response.headers.getSetCookie()) jar?.setCookie(setCookie, url);
            const location = response.headers.get('location');
            if (!location || response.status < 300 || response.status >= 400) {
                context.response = response;
                context.body = await response.text();
                return { statusCode: response.status, headers: Object.fromEntries(response.headers), url };
            }
            await response.body?.cancel();
            const next = new URL(location, url);
            // The user's credentials never follow a redirect to another origin.
            if (next.origin !== new URL(url).origin) for (const name of ['authorization', 'cookie']) delete headers[name];
            url = next.href;
        }
        throw new Error(`${request.url} redirected more than 10 times`);
    }
}

export type FetchCrawlerOptions = BasicCrawlerOptions<FetchCrawlingContext> & { navigationTimeoutSecs?: number };

/** A crawler on global fetch, with sessions: cookies per hop, one user agent per session, no proxies. */
export class FetchCrawler extends BasicCrawler<FetchCrawlingContext> {
    constructor({ navigationTimeoutSecs = 30, ...options }: FetchCrawlerOptions) {
        if (options.proxyConfiguration) throw new InvalidOptionError('proxyConfiguration', options.proxyConfiguration, 'is not supported by FetchCrawler');
        super(options, new FetchAdapter(navigationTimeoutSecs * 1000));
    }

    // Stage 2: the adapter's fields of a fresh context.
    protected override extendContext(base: CrawlingContext): FetchCrawlingContext {
        const headers = Object.fromEntries(Object.entries(base.request.headers).map(([name, value]) => [name.toLowerCase(), value]));
        return Object.assign(base, { headers, response: undefined, body: '' });
    }
}
