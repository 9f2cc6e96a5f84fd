// "No limit" is Infinity and means it: no timer armed, nothing fires at once; finite values a timer cannot hold
// are refused instead of overflowing.
import { afterEach, describe, expect, it } from '@jest/globals';

import { InvalidOptionError, Log } from '@sessionkit/core';
import { HttpCrawler } from '@sessionkit/http';

import { type TestServer, sleep, startServer } from './helpers.js';

let server: TestServer | undefined;
afterEach(async () => {
    await server?.close();
    server = undefined;
});

describe('duration options', () => {
    it.each(['requestHandlerTimeoutSecs', 'navigationTimeoutSecs', 'statusIntervalSecs'])('%s: Infinity is accepted as no limit', async (option) => {
        server = await startServer(async (_req, res) => {
            await sleep(150);
            res.end('<html><title>slow</title></html>');
        });
        const lines: string[] = [];
        const handled: string[] = [];
        const crawler = new HttpCrawler({
            [option]: Number.POSITIVE_INFINITY,
            log: new Log({ level: 'info', sink: (_level, _prefix, message) => lines.push(message) }),
            sessionPoolOptions: { persist: false },
            requestHandler: async ({ request }) => {
                await sleep(150);
                handled.push(request.url);
            },
        });
        const stats = await crawler.run([server.url('/a'), server.url('/b')]);
        expect(stats).toMatchObject({ requestsFinished: 2, requestsFailed: 0, requestsRetried: 0 });
        expect(lines.filter((line) => / running, \d+ queued /.test(line))).toEqual([]);
    }, 30_000);

    it.each<[string, unknown]>([
        ['requestHandlerTimeoutSecs', 1e10],
        ['requestHandlerTimeoutSecs', 0],
        ['requestHandlerTimeoutSecs', Number.NaN],
        ['navigationTimeoutSecs', 30 * 24 * 3600],
        ['navigationTimeoutSecs', -5],
        ['statusIntervalSecs', 1e9],
        ['statusIntervalSecs', '30'],
    ])('%s = %p is refused, naming the option and the no-limit spelling', (option, value) => {
        const build = () => new HttpCrawler({ [option]: value, requestHandler: () => {} });
        expect(build).toThrow(InvalidOptionError);
        expect(build).toThrow(new RegExp(`Option "${option}" must be a number of seconds .* <= 2147483 \\(about 24\\.8 days\\), or Infinity for no limit`));
    });
});

