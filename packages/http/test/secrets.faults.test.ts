// A proxy password is needed to connect and nowhere else: not in messages, not in what console.error prints.
import { describe, expect, it } from '@jest/globals';
import { inspect } from 'node:util';

import { HttpCrawler, NavigationError } from '@sessionkit/http';

import { closedPort, startServer } from './helpers.js';

const PASSWORD = 'TOP-SECRET-pw';

describe('proxy credentials in errors', () => {
    it('are masked in the message and absent from util.inspect() of a failed navigation and of sendRequest', async () => {
        const deadProxyPort = await closedPort();
        const proxyUrl = `http://crawler:${PASSWORD}@127.0.0.1:${deadProxyPort}`;
        const printed: string[] = [];
        const errors: Error[] = [];
        const thrownBySendRequest: unknown[] = [];
        const crawler = new HttpCrawler({
            statusIntervalSecs: 0,
            logLevel: 'off',
            maxRequestRetries: 0,
            proxyConfiguration: { proxyUrls: [proxyUrl] },
            sessionPoolOptions: { persist: false },
            requestHandler: () => {},
            failedRequestHandler: (_context, error) => {
                errors.push(error);
                printed.push(inspect(error, { depth: 10 }));
            },
        });
        await crawler.run(['http://127.0.0.1:1/page']);
        expect(errors).toHaveLength(1);
        expect(errors[0]).toBeInstanceOf(NavigationError);
        expect(errors[0]!.message).toContain(`via proxy http://crawler:***@127.0.0.1:${deadProxyPort}`);
        expect((errors[0] as NavigationError).errorCode).toBe('ECONNREFUSED');

        const direct = new HttpCrawler({
            statusIntervalSecs: 0,
            logLevel: 'off',
            useSessionPool: false,
            requestHandler: async ({ sendRequest }) => {
                thrownBySendRequest.push(await sendRequest({ proxyUrl, url: 'http://127.0.0.1:1/other' }).catch((error: unknown) => error));
            },
        });
        const server = await startServer((_req, res) => res.end('ok'));
        try {
            await direct.run([server.url('/')]);
        } finally {
            await server.close();
        }
        expect(thrownBySendRequest[0]).toBeInstanceOf(NavigationError);
        printed.push(inspect(thrownBySendRequest[0], { depth: 10 }));
        for (const text of printed) expect(text).not.toContain(PASSWORD);
    }, 30_000);
});
