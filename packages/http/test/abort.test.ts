import { afterEach, describe, expect, it } from '@jest/globals';
import { BasicCrawler, RequestTimeoutError } from '@sessionkit/crawler';
import { sendRequest } from '@sessionkit/http';
import { type TestServer, sleep, startServer } from './helpers.js';

// A handler that times out must stop using its session: its in-flight request is aborted with the attempt.
const servers: TestServer[] = [];
afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
});

describe('the attempt signal', () => {
    it('aborts a timed-out handler\'s sendRequest, and is aborted once every attempt is over', async () => {
        let slowRequestsClosed = 0;
        const server = await startServer(async (req, res, url) => {
            if (url.pathname === '/slow') {
                req.on('close', () => {
                    if (!res.writableEnded) slowRequestsClosed += 1;
                });
                await sleep(5_000);
                if (!res.writableEnded && !res.destroyed) res.end('late');
                return;
            }
            res.end('ok');
        });
        servers.push(server);
        const signals: AbortSignal[] = [];
        const errors: unknown[] = [];
        const crawler = new BasicCrawler({
            statusIntervalSecs: 0,
            logLevel: 'off',
            sessionPoolOptions: { persist: false },
            requestHandlerTimeoutSecs: 0.3,
            maxRequestRetries: 0,
            requestHandler: async (context) => {
                signals.push(context.signal);
                try {
                    await sendRequest(context);
                } catch (error) {
                    errors.push(error);
                    throw error;
                }
            },
        });
        const started = Date.now();
        const stats = await crawler.run([server.url('/slow'), server.url('/fast')]);
        expect(Date.now() - started).toBeLessThan(4_000);
        expect(stats).toMatchObject({ requestsFinished: 1, requestsFailed: 1 });
        expect(signals).toHaveLength(2);
        expect(signals.every((signal) => signal.aborted)).toBe(true);
        const timedOut = signals.find((signal) => signal.reason instanceof RequestTimeoutError);
        expect(timedOut).toBeDefined();
        // The slow request was cut off by the abort, not left running against the (now released) session.
        for (let i = 0; i < 50 && slowRequestsClosed === 0; i++) await sleep(20);
        expect(slowRequestsClosed).toBe(1);
        expect(errors).toHaveLength(1);
    });
});
