import { afterEach, describe, expect, it } from '@jest/globals';

import { InvalidOptionError, type Session } from '@sessionkit/core';
import { HttpCrawler, ResponseTooLargeError } from '@sessionkit/http';

import { type TestServer, startServer } from './helpers.js';

const MiB = 1024 * 1024;
const servers: TestServer[] = [];
afterEach(async () => {
    for (const server of servers.splice(0)) await server.close();
});

/** A site whose /huge streams 50 MiB (or `?mib=N`), announced or chunked, and counts what it sent for the latest one. */
async function hugePageSite(): Promise<TestServer & { sent: () => number }> {
    let sent = 0;
    const chunk = Buffer.alloc(64 * 1024, 'a');
    const server = await startServer((_req, res, url) => {
        if (url.pathname === '/small') {
            res.end('<html><title>ok</title></html>');
            return;
        }
        const total = Number(url.searchParams.get('mib') ?? 50) * MiB;
        sent = 0;
        res.writeHead(200, url.searchParams.has('announce') ? { 'content-type': 'text/html', 'content-length': String(total) } : { 'content-type': 'text/html' });
        const pump = () => {
            while (sent < total && !res.destroyed) {
                sent += chunk.length;
                if (!res.write(chunk)) return void res.once('drain', pump);
            }
            if (!res.destroyed) res.end();
        };
        res.on('close', () => res.destroy());
        pump();
    });
    servers.push(server);
    return Object.assign(server, { sent: () => sent });
}

function crawlerWith(maxResponseBytes: number | undefined, onHandled: (url: string, session: Session | undefined) => void = () => {}) {
    const failures: { url: string; error: Error; attempts: number; session: Session | undefined }[] = [];
    const crawler = new HttpCrawler({
        statusIntervalSecs: 0,
        logLevel: 'off',
        sessionPoolOptions: { persist: false },
        ...(maxResponseBytes !== undefined ? { maxResponseBytes } : {}),
        requestHandler: ({ request, session }) => {
            onHandled(request.url, session);
        },
        failedRequestHandler: ({ request, session }, error) => {
            failures.push({ url: request.url, error, attempts: request.errorMessages.length, session });
        },
    });
    return { crawler, failures };
}

describe('maxResponseBytes', () => {
    it.each([
        ['streamed without Content-Length', '/huge'],
        ['announced by Content-Length', '/huge?announce'],
    ])('fails a page larger than the limit (%s) at once, without buffering it or blaming anyone', async (_, path) => {
        const site = await hugePageSite();
        const { crawler, failures } = crawlerWith(MiB);
        const stats = await crawler.run([site.url(path), site.url('/small')]);
        expect(stats).toMatchObject({ requestsFinished: 1, requestsFailed: 1, requestsRetried: 0 });
        expect(failures).toHaveLength(1);
        expect(failures[0]!.error).toBeInstanceOf(ResponseTooLargeError);
        expect(failures[0]!.error.message).toContain(`${site.url(path)} sent a response larger than maxResponseBytes (1048576 bytes)`);
        expect(failures[0]!.attempts).toBe(1);
        expect(failures[0]!.session?.errorScore).toBe(0);
        // Stopped near the limit: socket buffers hold a few MiB at most, never the 50 MiB page.
        expect(site.sent()).toBeLessThan(20 * MiB);
    }, 30_000);

    it('bounds sendRequest() in a handler too', async () => {
        const site = await hugePageSite();
        let caught: unknown;
        const crawler = new HttpCrawler({
            statusIntervalSecs: 0,
            logLevel: 'off',
            sessionPoolOptions: { persist: false },
            maxResponseBytes: MiB,
            requestHandler: async ({ sendRequest }) => {
                caught = await sendRequest({ url: site.url('/huge') }).catch((error: unknown) => error);
            },
        });
        await crawler.run([site.url('/small')]);
        expect(caught).toBeInstanceOf(ResponseTooLargeError);
    }, 30_000);

    it('defaults to 10 MiB and accepts Infinity as no limit', async () => {
        const site = await hugePageSite();
        const limited = crawlerWith(undefined);
        await limited.crawler.run([site.url('/huge?mib=12')]);
        expect(limited.failures[0]?.error.message).toContain('(10485760 bytes)');

        const handled: string[] = [];
        const unlimited = crawlerWith(Number.POSITIVE_INFINITY, (url) => {
            handled.push(url);
        });
        await unlimited.crawler.run([site.url('/huge?announce&mib=12')]);
        expect(handled).toEqual([site.url('/huge?announce&mib=12')]);
    }, 60_000);

    it.each([0, -1, 1.5, Number.NaN, '10MB'])('refuses maxResponseBytes %p, naming the option', (value) => {
        expect(() => new HttpCrawler({ maxResponseBytes: value as number, requestHandler: () => {} })).toThrow(InvalidOptionError);
        expect(() => new HttpCrawler({ maxResponseBytes: value as number, requestHandler: () => {} })).toThrow(/"maxResponseBytes"/);
    });
});
