import { afterEach, describe, expect, it } from '@jest/globals';

import type { Session } from '@sessionkit/core';
import { HttpCrawler, NavigationError } from '@sessionkit/http';

import { closedPort, startRawServer, startServer, startVisitorSite } from './helpers.js';
import { Closers } from '@sessionkit/test-utils';

const closers = new Closers();
afterEach(() => closers.closeAll());
const track = <T extends { close(): Promise<void> }>(started: Promise<T>): Promise<T> => closers.track(started);

interface Failure {
    url: string;
    error: Error;
    attempts: number;
}

function failingCrawler(requestHandler: NonNullable<ConstructorParameters<typeof HttpCrawler>[0]>['requestHandler'] = () => {}) {
    const failures: Failure[] = [];
    const handled: string[] = [];
    const crawler = new HttpCrawler({
        statusIntervalSecs: 0,
        logLevel: 'off',
        sessionPoolOptions: { persist: false },
        maxRequestRetries: 2,
        maxConcurrency: 2,
        navigationTimeoutSecs: 5,
        requestHandler: async (context) => {
            await requestHandler!(context);
            handled.push(context.request.url);
        },
        failedRequestHandler: ({ request }, error) => {
            failures.push({ url: request.url, error, attempts: request.errorMessages.length });
        },
    });
    return { crawler, failures, handled };
}

describe('failures', () => {
    it('fails a request to a closed port with a clear error after its retries, and finishes the crawl', async () => {
        const site = await track(startVisitorSite());
        const port = await closedPort();
        const dead = `http://127.0.0.1:${port}/nothing-here`;
        const { crawler, failures, handled } = failingCrawler();
        const stats = await crawler.run([dead, site.url('/alive')]);
        expect(handled).toEqual([site.url('/alive')]);
        expect(failures).toHaveLength(1);
        const { error, attempts } = failures[0]!;
        expect(attempts).toBe(3);
        expect(error).toBeInstanceOf(NavigationError);
        expect(error.message).toBe(`GET ${dead} failed: connect ECONNREFUSED 127.0.0.1:${port}`);
        expect((error as NavigationError).errorCode).toBe('ECONNREFUSED');
        expect(stats).toMatchObject({ requestsFinished: 1, requestsFailed: 1, requestsRetried: 2, navigations: 1 });
    });

    it('retries a handler that throws, then calls failedRequestHandler', async () => {
        const site = await track(startVisitorSite());
        let calls = 0;
        const { crawler, failures } = failingCrawler(() => {
            calls += 1;
            throw new Error(`selector not found (${calls})`);
        });
        const stats = await crawler.run([site.url('/broken')]);
        expect(calls).toBe(3);
        expect(site.hits).toHaveLength(3);
        expect(failures).toHaveLength(1);
        expect(failures[0]!.error.message).toBe('selector not found (3)');
        expect(stats).toMatchObject({ requestsFailed: 1, requestsRetried: 2, navigations: 3 });
    });

    it.each([
        ['an invalid status line', 'HTTP/1.1 abc\r\n\r\n', 'Parse Error: Invalid status code (HPE_INVALID_STATUS)'],
        ['no HTTP at all', 'garbage\r\n\r\n', 'Parse Error: Expected HTTP/, RTSP/ or ICE/ (HPE_INVALID_CONSTANT)'],
        ['a malformed header line', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nBad Header\r\n\r\nhello', 'Parse Error: Invalid header token (HPE_INVALID_HEADER_TOKEN)'],
    ])('fails a response with %s with a clear error, without crashing', async (_name, reply, expected) => {
        const raw = await track(startRawServer(reply));
        const site = await track(startVisitorSite());
        const sessions: Session[] = [];
        const { crawler, failures, handled } = failingCrawler(({ session }) => {
            sessions.push(session!);
        });
        const stats = await crawler.run([raw.url('/x'), site.url('/fine')]);
        expect(handled).toEqual([site.url('/fine')]);
        expect(failures).toHaveLength(1);
        expect(failures[0]!.error).toBeInstanceOf(NavigationError);
        expect(failures[0]!.error.message).toBe(`GET ${raw.url('/x')} failed: ${expected}`);
        expect(raw.connections).toBe(3);
        expect(stats).toMatchObject({ requestsFinished: 1, requestsFailed: 1 });
    });

    it('times a hanging server out with the navigation timeout', async () => {
        const site = await track(startServer(() => {})); // never answers
        const failures: Failure[] = [];
        const started = Date.now();
        await new HttpCrawler({
            statusIntervalSecs: 0,
            logLevel: 'off',
            sessionPoolOptions: { persist: false },
            maxRequestRetries: 1,
            navigationTimeoutSecs: 0.3,
            requestHandler: () => {},
            failedRequestHandler: ({ request }, error) => {
                failures.push({ url: request.url, error, attempts: request.errorMessages.length });
            },
        }).run([site.url('/hang')]);
        expect(Date.now() - started).toBeLessThan(5000);
        expect(failures[0]!.error).toBeInstanceOf(NavigationError);
        expect((failures[0]!.error as NavigationError).errorCode).toBe('ETIMEDOUT');
        expect(failures[0]!.error.message).toBe(`GET ${site.url('/hang')} failed: Timeout awaiting 'request' for 300ms (ETIMEDOUT)`);
        expect(failures[0]!.attempts).toBe(2);
    });
});

describe('context.sendRequest', () => {
    it('is bounded by navigationTimeoutSecs too', async () => {
        const site = await track(
            startServer((_req, res, url) => {
                if (url.pathname === '/page') res.end('page'); // '/hang' never answers
            }),
        );
        const errors: unknown[] = [];
        const started = Date.now();
        await new HttpCrawler({
            statusIntervalSecs: 0,
            logLevel: 'off',
            sessionPoolOptions: { persist: false },
            navigationTimeoutSecs: 0.3,
            requestHandler: async ({ sendRequest }) => {
                await sendRequest({ url: site.url('/hang') }).catch((error: unknown) => errors.push(error));
            },
        }).run([site.url('/page')]);
        expect(Date.now() - started).toBeLessThan(5000);
        expect(errors).toHaveLength(1);
        expect(errors[0]).toBeInstanceOf(NavigationError);
        expect((errors[0] as NavigationError).errorCode).toBe('ETIMEDOUT');
    });
});
