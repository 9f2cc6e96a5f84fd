import { afterEach, describe, expect, it } from '@jest/globals';

import { InvalidOptionError, type Session, SessionPool, SessionUnavailableError } from '@sessionkit/core';
import {
    BasicCrawler,
    type CrawlerRunStatistics,
    type CrawlingContext,
    type FailedRequestContext,
    NonRetryableError,
    RequestTimeoutError,
    formatRunStatistics,
} from '@sessionkit/crawler';

import { type TestServer, readCookie, sleep, startServer } from './helpers.js';

// Every crawler here: no progress timer, no logs, no state on disk.
const QUIET = { statusIntervalSecs: 0, logLevel: 'off' } as const;

const urls = (count: number, prefix = 'page'): string[] => Array.from({ length: count }, (_, i) => `http://127.0.0.1:9/${prefix}/${i}`);

const servers: TestServer[] = [];
const pools: SessionPool[] = [];
afterEach(async () => {
    for (const server of servers.splice(0)) await server.close();
    for (const pool of pools.splice(0)) await pool.teardown();
});

interface Failure {
    url: string;
    error: Error;
    attempts: number;
    session: Session | undefined;
}

function recordFailures(): { failures: Failure[]; failedRequestHandler: (context: FailedRequestContext, error: Error) => void } {
    const failures: Failure[] = [];
    return {
        failures,
        failedRequestHandler: ({ request, session }, error) => {
            failures.push({ url: request.url, error, attempts: request.errorMessages.length, session });
        },
    };
}

describe('scheduling', () => {
    it('runs exactly maxConcurrency handlers at once, never more', async () => {
        let running = 0;
        let maxRunning = 0;
        const crawler = new BasicCrawler({
            ...QUIET,
            sessionPoolOptions: { persist: false },
            maxConcurrency: 4,
            requestHandler: async () => {
                running += 1;
                maxRunning = Math.max(maxRunning, running);
                await sleep(25);
                running -= 1;
            },
        });
        const stats = await crawler.run(urls(20));
        expect(maxRunning).toBe(4);
        expect(stats.requestsFinished).toBe(20);
    });

    it('honours maxConcurrency 1 (strictly sequential)', async () => {
        let running = 0;
        let maxRunning = 0;
        const crawler = new BasicCrawler({
            ...QUIET,
            sessionPoolOptions: { persist: false },
            maxConcurrency: 1,
            requestHandler: async () => {
                running += 1;
                maxRunning = Math.max(maxRunning, running);
                await sleep(5);
                running -= 1;
            },
        });
        await crawler.run(urls(6));
        expect(maxRunning).toBe(1);
    });

    it('dedupes requests by uniqueKey (fragment ignored, explicit keys honoured)', async () => {
        const handled: string[] = [];
        const crawler = new BasicCrawler({
            ...QUIET,
            sessionPoolOptions: { persist: false },
            requestHandler: ({ request }) => {
                handled.push(request.url);
            },
        });
        const first = await crawler.addRequests([
            'http://127.0.0.1:9/a',
            'http://127.0.0.1:9/a',
            'http://127.0.0.1:9/a#section',
            { url: 'http://127.0.0.1:9/b?x=1', uniqueKey: 'same' },
            { url: 'http://127.0.0.1:9/b?x=2', uniqueKey: 'same' },
            'http://127.0.0.1:9/c',
        ]);
        expect(first).toEqual({ added: 3, duplicates: 3 });
        await crawler.run(['http://127.0.0.1:9/c', 'http://127.0.0.1:9/d']);
        expect(handled.sort()).toEqual(['http://127.0.0.1:9/a', 'http://127.0.0.1:9/b?x=1', 'http://127.0.0.1:9/c', 'http://127.0.0.1:9/d']);
    });

    it('stops starting requests after maxRequestsPerCrawl', async () => {
        let calls = 0;
        const crawler = new BasicCrawler({
            ...QUIET,
            sessionPoolOptions: { persist: false },
            maxConcurrency: 5,
            maxRequestsPerCrawl: 3,
            requestHandler: async () => {
                calls += 1;
                await sleep(5);
            },
        });
        const stats = await crawler.run(urls(10));
        expect(calls).toBe(3);
        expect(stats.requestsFinished).toBe(3);
    });

    it('maxRequestsPerCrawl counts requests, not attempts (retries still run)', async () => {
        const attempts = new Map<string, number>();
        const crawler = new BasicCrawler({
            ...QUIET,
            sessionPoolOptions: { persist: false },
            maxRequestsPerCrawl: 2,
            requestHandler: ({ request }) => {
                const n = (attempts.get(request.url) ?? 0) + 1;
                attempts.set(request.url, n);
                if (n === 1) throw new Error('first attempt fails');
            },
        });
        const stats = await crawler.run(urls(4));
        expect([...attempts.values()]).toEqual([2, 2]);
        expect(stats.requestsFinished).toBe(2);
        expect(stats.requestsRetried).toBe(2);
    });
});

describe('retries and failures', () => {
    it('retries maxRequestRetries times, then calls failedRequestHandler with the error and the last session', async () => {
        let calls = 0;
        let lastSession: Session | undefined;
        const { failures, failedRequestHandler } = recordFailures();
        const crawler = new BasicCrawler({
            ...QUIET,
            sessionPoolOptions: { persist: false },
            maxRequestRetries: 2,
            requestHandler: ({ session }) => {
                calls += 1;
                lastSession = session;
                throw new Error(`boom ${calls}`);
            },
            failedRequestHandler,
        });
        const stats = await crawler.run(urls(1));
        expect(calls).toBe(3);
        expect(failures).toHaveLength(1);
        expect(failures[0]!.error.message).toBe('boom 3');
        expect(failures[0]!.attempts).toBe(3);
        expect(failures[0]!.session).toBe(lastSession);
        // With the default maxErrorScore 3, the third failure wore the one session out: an error, not a block.
        expect(lastSession!.retireReason).toBe('errorScore');
        expect(stats).toMatchObject({ requestsFinished: 0, requestsFailed: 1, requestsRetried: 2, sessionRotations: 0 });
    });

    it('accepts the Apify SDK alias handleFailedRequestFunction (and handleRequestFunction)', async () => {
        const seen: Error[] = [];
        const crawler = new BasicCrawler({
            ...QUIET,
            sessionPoolOptions: { persist: false },
            maxRequestRetries: 0,
            handleRequestFunction: () => {
                throw new Error('nope');
            },
            handleFailedRequestFunction: (_context, error) => {
                seen.push(error);
            },
        });
        await crawler.run(urls(2));
        expect(seen.map((error) => error.message)).toEqual(['nope', 'nope']);
    });

    it('fails a NonRetryableError at once', async () => {
        let calls = 0;
        const { failures, failedRequestHandler } = recordFailures();
        const crawler = new BasicCrawler({
            ...QUIET,
            sessionPoolOptions: { persist: false },
            maxRequestRetries: 5,
            requestHandler: () => {
                calls += 1;
                throw new NonRetryableError('not worth retrying');
            },
            failedRequestHandler,
        });
        const stats = await crawler.run(urls(1));
        expect(calls).toBe(1);
        expect(failures[0]!.error).toBeInstanceOf(NonRetryableError);
        expect(stats.requestsRetried).toBe(0);
    });

    it('fails a request with noRetry on its first error', async () => {
        let calls = 0;
        const crawler = new BasicCrawler({
            ...QUIET,
            sessionPoolOptions: { persist: false },
            maxRequestRetries: 5,
            requestHandler: () => {
                calls += 1;
                throw new Error('x');
            },
        });
        const stats = await crawler.run([{ url: 'http://127.0.0.1:9/once', noRetry: true }]);
        expect(calls).toBe(1);
        expect(stats.requestsFailed).toBe(1);
    });

    it('times a slow handler out with RequestTimeoutError, marks the session bad once and retries', async () => {
        let calls = 0;
        const sessions: Session[] = [];
        const crawler = new BasicCrawler({
            ...QUIET,
            sessionPoolOptions: { persist: false, maxPoolSize: 1 },
            requestHandlerTimeoutSecs: 0.2,
            requestHandler: async ({ session }) => {
                calls += 1;
                sessions.push(session!);
                if (calls === 1) await sleep(1000);
            },
        });
        const stats = await crawler.run(urls(1));
        expect(calls).toBe(2);
        expect(stats).toMatchObject({ requestsFinished: 1, requestsRetried: 1 });
        expect(sessions[0]).toBe(sessions[1]); // the one session (maxPoolSize 1) was not retired
        // One error point for the timeout, then healed by the successful retry's markGood.
        expect(sessions[0]!.errorCount).toBe(1);
        expect(sessions[0]!.errorScore).toBe(0.5);
        expect(sessions[0]!.usageCount).toBe(2);
    });

    it('reports the timeout error to failedRequestHandler', async () => {
        const { failures, failedRequestHandler } = recordFailures();
        const crawler = new BasicCrawler({
            ...QUIET,
            sessionPoolOptions: { persist: false },
            requestHandlerTimeoutSecs: 0.1,
            maxRequestRetries: 1,
            requestHandler: () => sleep(400),
            failedRequestHandler,
        });
        await crawler.run(urls(1));
        expect(failures[0]!.error).toBeInstanceOf(RequestTimeoutError);
        expect(failures[0]!.error.message).toBe('The request handler timed out after 0.1 s.');
        expect(failures[0]!.attempts).toBe(2);
    });
});

describe('session lifecycle', () => {
    it('marks the session bad once (errorScore 1, not 2) when the handler throws', async () => {
        let session: Session | undefined;
        const crawler = new BasicCrawler({
            ...QUIET,
            sessionPoolOptions: { persist: false },
            maxRequestRetries: 0,
            requestHandler: (context) => {
                session = context.session;
                throw new Error('handler failed');
            },
        });
        await crawler.run(urls(1));
        expect(session!.errorScore).toBe(1);
        expect(session!.errorCount).toBe(1);
        expect(session!.usageCount).toBe(1);
        expect(session!.retired).toBe(false);
    });

    it('marks the session good automatically after a successful handler', async () => {
        const seen = new Set<Session>();
        const crawler = new BasicCrawler({
            ...QUIET,
            sessionPoolOptions: { persist: false, maxPoolSize: 1 },
            maxConcurrency: 1,
            requestHandler: ({ session }) => {
                seen.add(session!);
            },
        });
        await crawler.run(urls(3));
        expect(seen.size).toBe(1);
        const [session] = [...seen];
        expect(session!.usageCount).toBe(3);
        expect(session!.errorScore).toBe(0);
    });

    it("does not also mark good a session the handler marked bad (the handler's verdict wins)", async () => {
        let session: Session | undefined;
        const crawler = new BasicCrawler({
            ...QUIET,
            sessionPoolOptions: { persist: false },
            requestHandler: (context) => {
                session = context.session;
                context.session!.markBad();
            },
        });
        const stats = await crawler.run(urls(1));
        expect(stats.requestsFinished).toBe(1);
        // markGood on top would make these 2 and 0.5.
        expect(session!.usageCount).toBe(1);
        expect(session!.errorScore).toBe(1);
    });

    it('rotates to another session when the handler retires its session, without spending a retry', async () => {
        const sessionIds: string[] = [];
        let retryCountSeen = -1;
        const crawler = new BasicCrawler({
            ...QUIET,
            sessionPoolOptions: { persist: false },
            maxRequestRetries: 0,
            requestHandler: ({ session, request }) => {
                sessionIds.push(session!.id);
                retryCountSeen = request.retryCount;
                if (sessionIds.length === 1) session!.retire();
            },
        });
        const stats = await crawler.run(urls(1));
        expect(sessionIds).toHaveLength(2);
        expect(sessionIds[0]).not.toBe(sessionIds[1]);
        expect(retryCountSeen).toBe(0);
        expect(stats).toMatchObject({ requestsFinished: 1, requestsFailed: 0, requestsRetried: 0, sessionRotations: 1, retiredByReason: { manual: 1 } });
    });

    it('rotates when the handler retires the session and throws', async () => {
        const sessionIds: string[] = [];
        const crawler = new BasicCrawler({
            ...QUIET,
            sessionPoolOptions: { persist: false },
            maxRequestRetries: 0,
            requestHandler: ({ session }) => {
                sessionIds.push(session!.id);
                if (sessionIds.length === 1) {
                    session!.retire();
                    throw new Error('captcha page');
                }
            },
        });
        const stats = await crawler.run(urls(1));
        expect(new Set(sessionIds).size).toBe(2);
        expect(stats).toMatchObject({ requestsFinished: 1, sessionRotations: 1, requestsRetried: 0 });
    });

    it('retries later, with the same session, a request whose handler cooled the session down', async () => {
        const attempts: [string, number][] = [];
        const crawler = new BasicCrawler({
            ...QUIET,
            sessionPoolOptions: { persist: false },
            maxRequestRetries: 0,
            requestHandler: ({ session }) => {
                attempts.push([session!.id, Date.now()]);
                if (attempts.length === 1) session!.coolDown(300);
            },
        });
        const stats = await crawler.run(urls(1));
        expect(attempts).toHaveLength(2);
        expect(attempts[1]![0]).toBe(attempts[0]![0]);
        expect(attempts[1]![1] - attempts[0]![1]).toBeGreaterThanOrEqual(290);
        expect(stats).toMatchObject({ requestsFinished: 1, requestsRetried: 0, rateLimitRetries: 1, sessionRotations: 0, sessionsCreated: 1 });
        expect(crawler.sessionPool!.getSessions()[0]).toMatchObject({ usageCount: 1, errorScore: 0 });
    });

    it('gives up with a clear message after maxSessionRotations', async () => {
        const { failures, failedRequestHandler } = recordFailures();
        const crawler = new BasicCrawler({
            ...QUIET,
            sessionPoolOptions: { persist: false },
            maxSessionRotations: 2,
            requestHandler: ({ session }) => session!.retire(),
            failedRequestHandler,
        });
        const stats = await crawler.run(urls(1));
        expect(failures).toHaveLength(1);
        expect(failures[0]!.error.message).toMatch(/^Gave up after 2 session rotations \(every session was blocked\)\. Last: The request handler retired session \S+\.$/);
        expect(failures[0]!.attempts).toBe(3);
        expect(stats).toMatchObject({ requestsFailed: 1, sessionRotations: 2, sessionsCreated: 3, sessionsRetired: 3 });
    });

    it('does not re-run a page when the handler wears its session out with markGood() (maxUsageCount)', async () => {
        let calls = 0;
        const crawler = new BasicCrawler({
            ...QUIET,
            sessionPoolOptions: { persist: false, sessionOptions: { maxUsageCount: 1 } },
            requestHandler: ({ session }) => {
                calls += 1;
                session!.markGood(); // the seed says it is automatic, but users call it anyway
            },
        });
        const stats = await crawler.run(urls(3));
        expect(calls).toBe(3);
        expect(stats).toMatchObject({ requestsFinished: 3, sessionRotations: 0, retiredByReason: { maxUsageCount: 3 } });
    });

    it("spends a retry (not a free rotation) when the crawler's markBad retires the session for its error score", async () => {
        let calls = 0;
        const { failures, failedRequestHandler } = recordFailures();
        const crawler = new BasicCrawler({
            ...QUIET,
            sessionPoolOptions: { persist: false, sessionOptions: { maxErrorScore: 1 } },
            maxRequestRetries: 2,
            requestHandler: () => {
                calls += 1;
                throw new Error('parse error');
            },
            failedRequestHandler,
        });
        const stats = await crawler.run(urls(1));
        expect(calls).toBe(3);
        expect(failures[0]!.error.message).toBe('parse error');
        expect(stats).toMatchObject({ requestsRetried: 2, sessionRotations: 0, retiredByReason: { errorScore: 3 } });
    });

    it('leases the session a request is pinned to (sessionId)', async () => {
        const pool = new SessionPool({ persist: false, logLevel: 'off' });
        pools.push(pool);
        for (const id of ['alpha', 'beta', 'gamma']) await pool.addSession({ id });
        const seen: [string | undefined, string][] = [];
        const crawler = new BasicCrawler({
            ...QUIET,
            sessionPool: pool,
            maxConcurrency: 3,
            requestHandler: async ({ request, session }) => {
                seen.push([request.sessionId, session!.id]);
                await sleep(10);
            },
        });
        await crawler.run([
            ...[0, 1, 2].map((i) => ({ url: `http://127.0.0.1:9/g${i}`, sessionId: 'gamma' })),
            ...[0, 1].map((i) => ({ url: `http://127.0.0.1:9/b${i}`, sessionId: 'beta' })),
        ]);
        expect(seen).toHaveLength(5);
        for (const [pinned, used] of seen) expect(used).toBe(pinned);
        expect(pool.getSessions().find((s) => s.id === 'alpha')!.usageCount).toBe(0);
    });

    it('fails a request pinned to a session that is gone at once, with SessionUnavailableError', async () => {
        const { failures, failedRequestHandler } = recordFailures();
        let calls = 0;
        const crawler = new BasicCrawler({
            ...QUIET,
            sessionPoolOptions: { persist: false },
            maxRequestRetries: 3,
            requestHandler: () => {
                calls += 1;
            },
            failedRequestHandler,
        });
        await crawler.run([{ url: 'http://127.0.0.1:9/pinned', sessionId: 'no-such-session' }]);
        expect(calls).toBe(0);
        expect(failures).toHaveLength(1);
        expect(failures[0]!.error).toBeInstanceOf(SessionUnavailableError);
        expect(failures[0]!.error.message).toContain('no-such-session');
        expect(failures[0]!.attempts).toBe(1);
    });

    it('gives no session and the proxyConfiguration proxy with useSessionPool: false', async () => {
        const seen: CrawlingContext[] = [];
        const crawler = new BasicCrawler({
            ...QUIET,
            useSessionPool: false,
            proxyConfiguration: { proxyUrls: ['http://127.0.0.2:8000', 'http://127.0.0.3:8000'] },
            maxConcurrency: 1,
            requestHandler: (context) => {
                seen.push(context);
            },
        });
        expect(crawler.sessionPool).toBeUndefined();
        const stats = await crawler.run(urls(4));
        expect(seen.map((context) => context.session)).toEqual([undefined, undefined, undefined, undefined]);
        expect(seen.map((context) => context.proxyInfo?.url)).toEqual([
            'http://127.0.0.2:8000',
            'http://127.0.0.3:8000',
            'http://127.0.0.2:8000',
            'http://127.0.0.3:8000',
        ]);
        expect(seen[0]!.proxyInfo).toMatchObject({ hostname: '127.0.0.2', port: 8000, protocol: 'http:' });
        expect(stats).toMatchObject({ requestsFinished: 4, sessionsCreated: 0 });
    });

    it("gives the session's own proxy as proxyInfo when sessions are on", async () => {
        const pairs: [string | undefined, string | undefined][] = [];
        const crawler = new BasicCrawler({
            ...QUIET,
            sessionPoolOptions: { persist: false, maxPoolSize: 4 },
            proxyConfiguration: { proxyUrls: ['http://127.0.0.2:8000', 'http://127.0.0.3:8000'] },
            maxConcurrency: 4,
            requestHandler: async ({ session, proxyInfo }) => {
                pairs.push([session!.proxyUrl, proxyInfo?.url]);
                await sleep(5);
            },
        });
        await crawler.run(urls(12));
        expect(pairs).toHaveLength(12);
        for (const [sessionProxy, contextProxy] of pairs) expect(contextProxy).toBe(sessionProxy);
        expect(new Set(pairs.map(([proxy]) => proxy))).toEqual(new Set(['http://127.0.0.2:8000', 'http://127.0.0.3:8000']));
    });
});

describe('a sessionPool shared by two crawlers', () => {
    it('shares sessions (and their cookies) and keeps leases exclusive across crawlers', async () => {
        // The site mints a visitor cookie once per client and counts visits per visitor.
        let minted = 0;
        const server = await startServer((req, res) => {
            let visitor = readCookie(req.headers.cookie, 'visitor');
            if (!visitor) {
                visitor = `v${++minted}`;
                res.setHeader('set-cookie', `visitor=${visitor}; Path=/`);
            }
            res.end(visitor);
        });
        servers.push(server);
        const pool = new SessionPool({ persist: false, maxPoolSize: 1, logLevel: 'off' });
        pools.push(pool);

        let inUse = 0;
        let maxInUse = 0;
        const visitors: string[] = [];
        const handler = async ({ request, session }: CrawlingContext) => {
            inUse += 1;
            maxInUse = Math.max(maxInUse, inUse);
            const response = await fetch(request.url, { headers: { cookie: session!.getCookieString(request.url) } });
            for (const raw of response.headers.getSetCookie()) session!.setCookie(raw, request.url);
            visitors.push(await response.text());
            await sleep(5);
            inUse -= 1;
        };
        const a = new BasicCrawler({ ...QUIET, sessionPool: pool, maxConcurrency: 3, requestHandler: handler });
        const b = new BasicCrawler({ ...QUIET, sessionPool: pool, maxConcurrency: 3, requestHandler: handler });
        const [statsA, statsB] = await Promise.all([a.run([server.url('/a1'), server.url('/a2'), server.url('/a3')]), b.run([server.url('/b1'), server.url('/b2')])]);
        expect(statsA.requestsFinished + statsB.requestsFinished).toBe(5);
        // One session for both crawlers: one visitor cookie, minted once, then sent by every request.
        expect(minted).toBe(1);
        expect(new Set(visitors)).toEqual(new Set(['v1']));
        // A session is leased by one request at a time, whichever crawler it runs in.
        expect(maxInUse).toBe(1);
        // The crawlers did not tear the shared pool down: a third run still works.
        expect(pool.isTornDown).toBe(false);
        const again = await a.run([server.url('/a4')]);
        expect(again.requestsFinished).toBe(1);
        expect(pool.getSessions()[0]!.usageCount).toBe(6);
    });
});

describe('options', () => {
    const handler = () => {};

    function optionError(build: () => unknown): InvalidOptionError {
        try {
            build();
        } catch (error) {
            expect(error).toBeInstanceOf(InvalidOptionError);
            return error as InvalidOptionError;
        }
        throw new Error('expected an InvalidOptionError');
    }

    it('rejects maxConcurrency 0', () => {
        const error = optionError(() => new BasicCrawler({ ...QUIET, requestHandler: handler, maxConcurrency: 0 }));
        expect(error.option).toBe('maxConcurrency');
        expect(error.message).toBe('Option "maxConcurrency" must be an integer >= 1, got 0.');
    });

    it('rejects an unknown option and suggests the right one', () => {
        const error = optionError(() => new BasicCrawler({ ...QUIET, requestHandler: handler, maxConcurency: 2 } as never));
        expect(error.option).toBe('maxConcurency');
        expect(error.message).toContain('did you mean "maxConcurrency"?');
    });

    it('requires a requestHandler', () => {
        const error = optionError(() => new BasicCrawler({ ...QUIET }));
        expect(error.option).toBe('requestHandler');
        expect(error.message).toContain('is required');
    });

    it('rejects sessionPool together with sessionPoolOptions', () => {
        const pool = new SessionPool({ persist: false, logLevel: 'off' });
        pools.push(pool);
        const error = optionError(() => new BasicCrawler({ ...QUIET, requestHandler: handler, sessionPool: pool, sessionPoolOptions: { maxPoolSize: 5 } }));
        expect(error.option).toBe('sessionPoolOptions');
        expect(error.message).toContain('cannot be combined with an existing sessionPool');
    });

    it('rejects per-crawler pool settings a shared sessionPool would silently ignore', () => {
        const pool = new SessionPool({ persist: false, logLevel: 'off' });
        pools.push(pool);
        expect(optionError(() => new BasicCrawler({ ...QUIET, requestHandler: handler, sessionPool: pool, blockedStatusCodes: [403, 451] })).option).toBe(
            'blockedStatusCodes',
        );
        expect(
            optionError(() => new BasicCrawler({ ...QUIET, requestHandler: handler, sessionPool: pool, proxyConfiguration: { proxyUrls: ['http://127.0.0.2:8000'] } }))
                .option,
        ).toBe('proxyConfiguration');
    });

    it('rejects a status code list given twice', () => {
        const error = optionError(
            () => new BasicCrawler({ ...QUIET, requestHandler: handler, blockedStatusCodes: [403], sessionPoolOptions: { persist: false, blockedStatusCodes: [401] } }),
        );
        expect(error.option).toBe('sessionPoolOptions.blockedStatusCodes');
    });

    it('rejects an invalid URL in the list, naming it, before crawling anything', async () => {
        let calls = 0;
        const crawler = new BasicCrawler({
            ...QUIET,
            sessionPoolOptions: { persist: false },
            requestHandler: () => {
                calls += 1;
            },
        });
        const error = await crawler.run(['http://127.0.0.1:9/fine', 'not a url']).then(
            () => undefined,
            (caught: unknown) => caught,
        );
        expect(error).toBeInstanceOf(InvalidOptionError);
        expect((error as Error).message).toBe('Request #1: Option "request.url" must be an absolute http(s) URL, got "not a url".');
        expect(calls).toBe(0);
        expect(crawler.requestQueue.pendingCount).toBe(0);
        // The same list in the constructor fails there.
        expect(optionError(() => new BasicCrawler({ ...QUIET, requestHandler: handler, requestList: ['ftp://127.0.0.1/file'] })).message).toContain(
            '"ftp://127.0.0.1/file"',
        );
    });
});

describe('statistics', () => {
    it('run() statistics add up', async () => {
        const attempts = new Map<string, number>();
        const crawler = new BasicCrawler({
            ...QUIET,
            sessionPoolOptions: { persist: false },
            maxRequestRetries: 1,
            maxConcurrency: 3,
            requestHandler: async ({ request, session }) => {
                const n = (attempts.get(request.url) ?? 0) + 1;
                attempts.set(request.url, n);
                await sleep(2); // so that the run lasts measurably long
                const kind = request.url.split('/')[3];
                if (kind === 'fail') throw new Error('always');
                if (kind === 'flaky' && n === 1) throw new Error('once');
                if (kind === 'blocked' && n === 1) session!.retire();
            },
            failedRequestHandler: () => {},
        });
        const list = [...urls(4, 'ok'), ...urls(2, 'fail'), ...urls(2, 'flaky'), ...urls(3, 'blocked')];
        const stats = await crawler.run(list);
        expect(stats.requestsFinished + stats.requestsFailed).toBe(list.length);
        expect(stats).toMatchObject({
            crawler: 'BasicCrawler',
            requestsFinished: 9,
            requestsFailed: 2,
            requestsRetried: 4, // 2 failing requests × 1 retry + 2 flaky × 1
            sessionRotations: 3,
            rateLimitRetries: 0,
            navigations: 0, // the handler fetches: no adapter navigation to count
        });
        const totalAttempts = [...attempts.values()].reduce((a, b) => a + b, 0);
        expect(totalAttempts).toBe(list.length + 4 + 3);
        expect(stats.attemptsPerRequest).toBe(Math.round((totalAttempts / list.length) * 100) / 100);
        expect(stats.retiredByReason).toEqual({ manual: 3 });
        expect(stats.sessionsRetired).toBe(3);
        expect(stats.durationMs).toBeGreaterThan(0);
        expect(stats.requestsPerMinute).toBeGreaterThan(0);
    });

    it('each run reports its own counts', async () => {
        const crawler = new BasicCrawler({ ...QUIET, sessionPoolOptions: { persist: false }, requestHandler: () => {} });
        const first = await crawler.run(urls(3, 'one'));
        const second = await crawler.run(urls(2, 'two'));
        expect(first.requestsFinished).toBe(3);
        expect(second.requestsFinished).toBe(2);
    });

    it('progressLine() shows requests, sessions and proxies', async () => {
        const lines: string[] = [];
        const crawler: BasicCrawler = new BasicCrawler({
            ...QUIET,
            sessionPoolOptions: { persist: false, maxPoolSize: 1 },
            proxyConfiguration: { proxyUrls: ['http://127.0.0.2:8000', 'http://127.0.0.3:8000'] },
            maxConcurrency: 1,
            maxRequestRetries: 0,
            requestHandler: ({ request }) => {
                lines.push(crawler.progressLine());
                if (request.url.endsWith('/1')) throw new Error('x');
            },
        });
        await crawler.run(urls(3));
        expect(lines[2]).toMatch(
            /^1 ok, 1 failed, 1 running, 0 queued \| \d+(\.\d)? pages\/min \| \d+(\.\d)? s \| sessions 1 alive \(1 leased, 0 cooling\), 1 created, 0 retired \| proxies 0\/2 benched$/,
        );
        const after = crawler.progressLine();
        expect(after).toMatch(/^2 ok, 1 failed, 0 running, 0 queued \| /);
        const noPool = new BasicCrawler({ ...QUIET, useSessionPool: false, requestHandler: () => {} });
        expect(noPool.progressLine()).toBe('0 ok, 0 failed, 0 running, 0 queued | 0 pages/min | 0 s');
    });

    it('formatRunStatistics prints one column per run', () => {
        const base: CrawlerRunStatistics = {
            crawler: 'HttpCrawler',
            requestsFinished: 98,
            requestsFailed: 2,
            requestsRetried: 5,
            sessionRotations: 7,
            rateLimitRetries: 1,
            navigations: 110,
            statusCodes: { '200': 100, '403': 7, '429': 1, '503': 2 },
            blockedResponses: 7,
            rateLimitedResponses: 1,
            attemptsPerRequest: 1.1,
            sessionsCreated: 12,
            sessionsRetired: 8,
            retiredByReason: { blocked: 7, errorScore: 1 },
            proxiesBenched: 1,
            durationMs: 12_345,
            requestsPerMinute: 476.3,
        };
        const table = formatRunStatistics([base, { ...base, crawler: 'Crawlee', requestsFinished: 3, retiredByReason: {}, durationMs: 500, requestsPerMinute: 360 }]);
        const lines = table.split('\n');
        // The widest cell ("blocked 7, errorScore 1") sets the width of its column; labels are left-aligned.
        expect(lines[0]).toBe('                       |             HttpCrawler | Crawlee');
        expect(lines[1]).toBe('-'.repeat(lines[0]!.length));
        expect(lines).toContain('pages ok               |                      98 |       3');
        expect(lines).toContain('requests per page      |                    1.12 |   36.67');
        expect(lines).toContain('  by reason            | blocked 7, errorScore 1 |       -');
        expect(lines).toContain('time                   |                  12.3 s |   0.5 s');
        expect(lines).toHaveLength(15);
    });
});
