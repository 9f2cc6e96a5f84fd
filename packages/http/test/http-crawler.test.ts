import { afterEach, describe, expect, it } from '@jest/globals';

import type { Session } from '@sessionkit/core';
import { CookieHeaderError, HttpCrawler, type HttpCrawlerOptions, type HttpCrawlingContext } from '@sessionkit/http';

import { type TestServer, readCookie, startServer, startVisitorSite } from './helpers.js';

const servers: TestServer[] = [];
afterEach(async () => {
    for (const server of servers.splice(0)) await server.close();
});

async function track<T extends TestServer>(server: Promise<T>): Promise<T> {
    const started = await server;
    servers.push(started);
    return started;
}

/** An HttpCrawler with the test defaults: quiet, no state on disk. */
function crawler(options: Partial<HttpCrawlerOptions> & { sessionPoolOptions?: HttpCrawlerOptions['sessionPoolOptions'] }): HttpCrawler {
    return new HttpCrawler({
        statusIntervalSecs: 0,
        logLevel: 'off',
        requestHandler: () => {},
        ...options,
        sessionPoolOptions: { persist: false, ...options.sessionPoolOptions },
    });
}

describe('cookies', () => {
    it("sends the session's cookie with its second request", async () => {
        const site = await track(startVisitorSite());
        const bodies: string[] = [];
        const stats = await crawler({
            sessionPoolOptions: { maxPoolSize: 1 },
            maxConcurrency: 1,
            requestHandler: ({ body }) => {
                bodies.push(body.replace(/^.*<body>|<\/body>.*$/g, ''));
            },
        }).run([site.url('/one'), site.url('/two')]);
        expect(stats.requestsFinished).toBe(2);
        expect(site.hits[0]!.headers.cookie).toBeUndefined();
        expect(site.hits[1]!.headers.cookie).toBe('visitor=v1; token=t1');
        expect(bodies).toEqual(['visitor=v1 ip=127.0.0.1', 'visitor=v1 ip=127.0.0.1']);
        expect(site.minted()).toBe(1);
    });

    it('keeps the Set-Cookie of a redirect hop and sends it on the next hop and later requests', async () => {
        const site = await track(
            startServer((req, res, url) => {
                if (url.pathname === '/login') {
                    res.statusCode = 302;
                    res.setHeader('set-cookie', 'auth=yes; Path=/; HttpOnly');
                    res.setHeader('location', '/account');
                    res.end();
                    return;
                }
                res.end(readCookie(req.headers.cookie, 'auth') === 'yes' ? 'logged in' : 'anonymous');
            }),
        );
        const seen: [string, string, string][] = [];
        const stats = await crawler({
            sessionPoolOptions: { maxPoolSize: 1 },
            maxConcurrency: 1,
            requestHandler: ({ request, body }) => {
                seen.push([request.url, request.loadedUrl!, body]);
            },
        }).run([site.url('/login'), site.url('/later')]);
        expect(stats.requestsFinished).toBe(2);
        expect(site.hits.map((hit) => [hit.path, hit.headers.cookie])).toEqual([
            ['/login', undefined],
            ['/account', 'auth=yes'],
            ['/later', 'auth=yes'],
        ]);
        expect(seen).toEqual([
            [site.url('/login'), site.url('/account'), 'logged in'],
            [site.url('/later'), site.url('/later'), 'logged in'],
        ]);
    });

    it("does not carry one hop's Cookie header over to a hop the cookie is not scoped to", async () => {
        const site = await track(
            startServer((_req, res, url) => {
                if (url.pathname === '/shop/enter') res.setHeader('set-cookie', 'cart=42; Path=/shop');
                if (url.pathname === '/shop/leave') {
                    res.statusCode = 302;
                    res.setHeader('location', '/outside');
                }
                res.end();
            }),
        );
        await crawler({ sessionPoolOptions: { maxPoolSize: 1 }, maxConcurrency: 1 }).run([site.url('/shop/enter'), site.url('/shop/leave')]);
        expect(site.hits.map((hit) => [hit.path, hit.headers.cookie])).toEqual([
            ['/shop/enter', undefined],
            ['/shop/leave', 'cart=42'],
            ['/outside', undefined], // Path=/shop: not for /outside
        ]);
    });

    it("merges the user's Cookie header with the session's on the same origin (the user wins per name)", async () => {
        const site = await track(
            startServer((req, res, url) => {
                if (url.pathname === '/prefs') res.setHeader('set-cookie', ['lang=en; Path=/', 'theme=dark; Path=/']);
                if (url.pathname === '/hop') {
                    res.statusCode = 302;
                    res.setHeader('location', '/landed');
                }
                res.end(req.headers.cookie ?? '');
            }),
        );
        await crawler({ sessionPoolOptions: { maxPoolSize: 1 }, maxConcurrency: 1 }).run([
            site.url('/prefs'),
            { url: site.url('/hop'), headers: { Cookie: 'theme=light; extra=1' } },
        ]);
        expect(site.hits.map((hit) => [hit.path, hit.headers.cookie])).toEqual([
            ['/prefs', undefined],
            ['/hop', 'lang=en; theme=light; extra=1'],
            ['/landed', 'lang=en; theme=light; extra=1'], // same origin: the user's cookies go on
        ]);
    });

    it('sends the cookies of both a cookie and a Cookie header set by a pre-navigation hook, the user winning over the session per name', async () => {
        const site = await track(
            startServer((req, res, url) => {
                if (url.pathname === '/prefs') res.setHeader('set-cookie', ['foo=session; Path=/', 'keep=1; Path=/']);
                res.end(req.headers.cookie ?? '');
            }),
        );
        await crawler({
            sessionPoolOptions: { maxPoolSize: 1 },
            maxConcurrency: 1,
            preNavigationHooks: [
                ({ request }) => {
                    if (!request.url.endsWith('/hooked')) return;
                    request.headers.cookie = 'foo=override; baz=123';
                    request.headers.Cookie = 'coo=kie';
                },
            ],
        }).run([site.url('/prefs'), site.url('/hooked')]);
        expect(site.hits.map((hit) => [hit.path, hit.headers.cookie])).toEqual([
            ['/prefs', undefined],
            ['/hooked', 'foo=override; keep=1; baz=123; coo=kie'],
        ]);
    });

    it('sends the cookie and Cookie headers of a request made without a session, later casing winning per name', async () => {
        const site = await track(startServer((req, res) => res.end(req.headers.cookie ?? '')));
        await new HttpCrawler({
            statusIntervalSecs: 0,
            logLevel: 'off',
            useSessionPool: false,
            requestHandler: () => {},
        }).run([{ url: site.url('/x'), headers: { cookie: 'a=1; b=2', Cookie: 'b=3; c=4' } }]);
        expect(site.hits.map((hit) => hit.headers.cookie)).toEqual(['a=1; b=3; c=4']);
    });

    it('fails a request whose Cookie header has a malformed part with CookieHeaderError naming it: no request sent, no retry, no blame', async () => {
        const site = await track(startServer((req, res) => res.end(req.headers.cookie ?? '')));
        const failures: Error[] = [];
        const c = crawler({
            sessionPoolOptions: { maxPoolSize: 1 },
            maxConcurrency: 1,
            maxRequestRetries: 3,
            failedRequestHandler: (_context, error) => {
                failures.push(error);
            },
        });
        const stats = await c.run([{ url: site.url('/bad'), headers: { Cookie: 'a=1; brokenfragment; b=2' } }, site.url('/fine')]);
        expect(stats).toMatchObject({ requestsFinished: 1, requestsFailed: 1, requestsRetried: 0 });
        expect(failures).toHaveLength(1);
        expect(failures[0]).toBeInstanceOf(CookieHeaderError);
        expect((failures[0] as CookieHeaderError).fragment).toBe('brokenfragment');
        expect(failures[0]!.message).toContain('"brokenfragment"');
        expect(site.hits.map((hit) => hit.path)).toEqual(['/fine']);
        const [session] = c.sessionPool!.getSessions();
        expect(session!.errorScore).toBe(0);
        expect(c.sessionPool!.getStats().markedBad).toBe(0);
    });

    it("drops the user's Cookie, Authorization and Proxy-Authorization on a cross-origin redirect", async () => {
        const b = await track(startServer((_req, res) => res.end('b'))); // 127.0.0.1, another port: another origin
        const c = await track(startServer((_req, res) => res.end('c'), '127.0.0.4')); // another host
        const a = await track(
            startServer((_req, res, url) => {
                res.statusCode = 302;
                res.setHeader('set-cookie', 'a_session=1; Path=/'); // host-only: 127.0.0.1
                res.setHeader('location', url.pathname === '/to-b' ? b.url('/landing') : c.url('/landing'));
                res.end();
            }),
        );
        const secrets = { Cookie: 'user=secret', Authorization: 'Bearer token', 'Proxy-Authorization': 'Basic cHJveHk6cGFzcw==' };
        const stats = await crawler({ maxConcurrency: 1 }).run([
            { url: a.url('/to-b'), headers: secrets },
            { url: a.url('/to-c'), headers: secrets },
        ]);
        expect(stats.requestsFinished).toBe(2);
        // A, the origin the user addressed, gets them.
        expect(a.hits[0]!.headers).toMatchObject({ cookie: 'user=secret', authorization: 'Bearer token', 'proxy-authorization': 'Basic cHJveHk6cGFzcw==' });
        for (const landing of [b.hits[0]!, c.hits[0]!]) {
            expect(readCookie(landing.headers.cookie, 'user')).toBeUndefined();
            expect(landing.headers.authorization).toBeUndefined();
            expect(landing.headers['proxy-authorization']).toBeUndefined();
        }
        // A's host-only cookie is for host 127.0.0.1: never sent to 127.0.0.4 ...
        expect(c.hits[0]!.headers.cookie).toBeUndefined();
        // ... and, as in browsers (RFC 6265 §8.5: cookies do not isolate by port), sent to 127.0.0.1 on B's port.
        expect(b.hits[0]!.headers.cookie).toBe('a_session=1');
    });

    it('survives malformed and foreign Set-Cookie headers and keeps the valid cookie of the same response', async () => {
        const site = await track(
            startServer((req, res, url) => {
                if (url.pathname === '/mixed') res.setHeader('set-cookie', ['=;;; bad', 'foreign=1; Domain=example.com', 'good=1; Path=/', 'no-equals-sign; Path=/', 'x=1; Expires=not a date; Max-Age=abc']);
                res.end(req.headers.cookie ?? '');
            }),
        );
        const c = crawler({ sessionPoolOptions: { maxPoolSize: 1 }, maxConcurrency: 1, maxRequestRetries: 0 });
        const stats = await c.run([site.url('/mixed'), site.url('/next')]);
        expect(stats).toMatchObject({ requestsFinished: 2, requestsFailed: 0, requestsRetried: 0 });
        // The nameless "=;" is ignored (RFC 6265bis 5.6; it used to go out as a stray "; "), the example.com cookie is
        // refused, a bare "no-equals-sign" is a nameless cookie as in browsers, and bad attributes are just ignored.
        expect(site.hits[1]!.headers.cookie).toBe('good=1; no-equals-sign; x=1');
        expect(c.sessionPool!.getStats().malformedCookies).toBeGreaterThanOrEqual(1);
    });

    it('keeps the cookies of two concurrent sessions apart', async () => {
        const site = await track(startVisitorSite());
        const visitorsBySession = new Map<string, Set<string>>();
        await crawler({
            sessionPoolOptions: { maxPoolSize: 2 },
            maxConcurrency: 2,
            requestHandler: ({ session, body }) => {
                const visitor = /visitor=(v\d+)/.exec(body)![1]!;
                if (!visitorsBySession.has(session!.id)) visitorsBySession.set(session!.id, new Set());
                visitorsBySession.get(session!.id)!.add(visitor);
            },
        }).run(Array.from({ length: 20 }, (_, i) => site.url(`/p${i}`)));
        expect(site.minted()).toBe(2);
        expect(visitorsBySession.size).toBe(2);
        const perSession = [...visitorsBySession.values()].map((set) => [...set]);
        for (const visitors of perSession) expect(visitors).toHaveLength(1);
        expect(perSession[0]![0]).not.toBe(perSession[1]![0]);
        // Every request that carried cookies carried one visitor's pair, never a mix.
        for (const hit of site.hits.slice(2)) {
            const visitor = readCookie(hit.headers.cookie, 'visitor')!;
            expect(readCookie(hit.headers.cookie, 'token')).toBe(visitor.replace('v', 't'));
        }
    });
});

describe('one identity per session', () => {
    it('sends one consistent generated user agent per session', async () => {
        const site = await track(startVisitorSite());
        const sessions = new Set<Session>();
        await crawler({
            sessionPoolOptions: { maxPoolSize: 3 },
            maxConcurrency: 3,
            requestHandler: ({ session }) => {
                sessions.add(session!);
            },
        }).run(Array.from({ length: 18 }, (_, i) => site.url(`/ua${i}`)));
        expect(sessions.size).toBe(3);
        expect(site.userAgents.size).toBe(3);
        for (const [, agents] of site.userAgents) {
            expect(agents.size).toBe(1);
            expect([...agents][0]).toMatch(/^Mozilla\/5\.0 /);
        }
    });

    it('gives context.sendRequest the same session (cookies and user agent)', async () => {
        const site = await track(startVisitorSite());
        let extra = '';
        await crawler({
            requestHandler: async ({ sendRequest }) => {
                extra = (await sendRequest({ url: site.url('/api') })).body;
            },
        }).run([site.url('/page')]);
        expect(extra).toContain('visitor=v1');
        expect(site.hits[1]!.headers['user-agent']).toBe(site.hits[0]!.headers['user-agent']);
    });
});

describe('judging responses', () => {
    it('retires a session on 401 and on 403 and fetches the page with another one', async () => {
        // The first visitor to ask for /p401 gets 401, the first to ask for /p403 gets 403.
        const refused = new Set<string>();
        const site = await track(
            startVisitorSite((_req, res, url) => {
                const status = Number(url.pathname.slice(2));
                if ((status === 401 || status === 403) && !refused.has(url.pathname)) {
                    refused.add(url.pathname);
                    res.statusCode = status;
                    res.end('go away');
                    return true;
                }
                return false;
            }),
        );
        const handled: [string, string, string][] = [];
        const stats = await crawler({
            maxConcurrency: 1,
            maxRequestRetries: 0,
            requestHandler: ({ request, session, body }) => {
                handled.push([new URL(request.url).pathname, session!.id, /visitor=(v\d+)/.exec(body)![1]!]);
            },
        }).run([site.url('/p401'), site.url('/p403')]);
        expect(stats).toMatchObject({
            requestsFinished: 2,
            requestsFailed: 0,
            requestsRetried: 0,
            sessionRotations: 2,
            blockedResponses: 2,
            statusCodes: { '200': 2, '401': 1, '403': 1 },
            sessionsCreated: 3,
            retiredByReason: { blocked: 2 },
        });
        // v1 got the 401 and v2 the 403 (a rotated request goes to the back of the queue); v3 fetched both pages.
        expect(handled.map(([path, , visitor]) => [path, visitor])).toEqual([
            ['/p401', 'v3'],
            ['/p403', 'v3'],
        ]);
        expect(site.hits.map((hit) => [hit.path, readCookie(hit.headers.cookie, 'visitor') ?? 'new'])).toEqual([
            ['/p401', 'new'],
            ['/p403', 'new'],
            ['/p401', 'new'],
            ['/p403', 'v3'],
        ]);
    });

    it('cools a session down on 429 with Retry-After, then retries the request with it (no retire, no retry spent)', async () => {
        let limited = false;
        const site = await track(
            startVisitorSite((_req, res) => {
                if (limited) return false;
                limited = true;
                res.statusCode = 429;
                res.setHeader('retry-after', '1');
                res.end('slow down');
                return true;
            }),
        );
        const sessions: Session[] = [];
        const c = crawler({
            requestHandler: ({ session }) => {
                sessions.push(session!);
            },
        });
        const stats = await c.run([site.url('/limited')]);
        expect(stats).toMatchObject({
            requestsFinished: 1,
            requestsRetried: 0,
            rateLimitRetries: 1,
            rateLimitedResponses: 1,
            sessionRotations: 0,
            statusCodes: { '200': 1, '429': 1 },
            sessionsCreated: 1,
            sessionsRetired: 0,
        });
        const [first, second] = site.hits;
        expect(second!.at - first!.at).toBeGreaterThanOrEqual(950);
        // The same session waited out Retry-After and kept its visitor cookie.
        expect(readCookie(second!.headers.cookie, 'visitor')).toBe('v1');
        expect(sessions[0]!.retired).toBe(false);
        expect(sessions[0]!.errorCount).toBe(0);
        expect(c.sessionPool!.getStats().rateLimited).toBe(1);
    });

    it('marks the session bad and retries on 503 without Retry-After', async () => {
        let failed = false;
        const site = await track(
            startVisitorSite((_req, res) => {
                if (failed) return false;
                failed = true;
                res.statusCode = 503;
                res.end('busy');
                return true;
            }),
        );
        const errors: string[] = [];
        const sessions: Session[] = [];
        const stats = await crawler({
            sessionPoolOptions: { maxPoolSize: 1 },
            requestHandler: ({ session, request }) => {
                sessions.push(session!);
                errors.push(...request.errorMessages);
            },
        }).run([site.url('/busy')]);
        expect(stats).toMatchObject({ requestsFinished: 1, requestsRetried: 1, rateLimitedResponses: 0, rateLimitRetries: 0, statusCodes: { '200': 1, '503': 1 } });
        expect(errors).toEqual([`${site.url('/busy')} answered HTTP 503.`]);
        expect(sessions[0]!.errorCount).toBe(1);
        expect(sessions[0]!.retired).toBe(false);
    });

    it('treats 503 with Retry-After as a rate limit', async () => {
        let failed = false;
        const site = await track(
            startVisitorSite((_req, res) => {
                if (failed) return false;
                failed = true;
                res.statusCode = 503;
                res.setHeader('retry-after', '1');
                res.end('maintenance');
                return true;
            }),
        );
        const sessions: Session[] = [];
        const stats = await crawler({
            requestHandler: ({ session }) => {
                sessions.push(session!);
            },
        }).run([site.url('/maintenance')]);
        expect(stats).toMatchObject({ requestsFinished: 1, requestsRetried: 0, rateLimitRetries: 1, rateLimitedResponses: 1 });
        expect(site.hits[1]!.at - site.hits[0]!.at).toBeGreaterThanOrEqual(950);
        expect(sessions[0]!.errorCount).toBe(0);
    });

    it('hands a 403 page to the handler when the code is in ignoreHttpErrorStatusCodes', async () => {
        const site = await track(
            startServer((_req, res) => {
                res.statusCode = 403;
                res.end('members only');
            }),
        );
        const seen: [number, string][] = [];
        const stats = await crawler({
            ignoreHttpErrorStatusCodes: [403],
            requestHandler: ({ response, body }: HttpCrawlingContext) => {
                seen.push([response!.statusCode, body]);
            },
        }).run([site.url('/members')]);
        expect(seen).toEqual([[403, 'members only']]);
        expect(stats).toMatchObject({ requestsFinished: 1, sessionRotations: 0, blockedResponses: 0 });
    });
});

describe('options', () => {
    it('rejects a proxy got-scraping cannot use, naming it', () => {
        expect(() => crawler({ proxyConfiguration: { proxyUrls: ['http://127.0.0.2:8000', 'socks5://127.0.0.3:1080'] } })).toThrow(
            'Option "proxyConfiguration.proxyUrls[1]" must be an http:// or https:// proxy for HttpCrawler and CheerioCrawler (got-scraping supports no other), got "socks5://127.0.0.3:1080".',
        );
    });

    it('rejects requestOptions.url and a bad navigationTimeoutSecs', () => {
        expect(() => crawler({ requestOptions: { url: 'http://127.0.0.1/' } })).toThrow('Option "requestOptions.url" cannot be set for every request');
        expect(() => crawler({ navigationTimeoutSecs: 0 })).toThrow('Option "navigationTimeoutSecs" must be a number of seconds > 0 and <= 2147483 (about 24.8 days), or Infinity for no limit, got 0.');
    });
});
