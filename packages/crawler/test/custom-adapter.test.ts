import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterEach, describe, expect, it } from '@jest/globals';

import { InvalidOptionError, type Session } from '@sessionkit/core';

import { FetchCrawler } from '../../../examples/fetch-crawler.js';
import { type TestServer, readCookie, startServer } from './helpers.js';

// The worked example of docs/adapters.md, run for real against loopback servers.

const QUIET = { statusIntervalSecs: 0, logLevel: 'off' } as const;
const here = dirname(fileURLToPath(import.meta.url));

const servers: TestServer[] = [];
afterEach(async () => {
    for (const server of servers.splice(0)) await server.close();
});

/**
 * A site that gives every new client a visitor cookie and remembers the user agent of each visitor.
 * `/redirect` sets a cookie on its 302 hop; `/blocked-for/<visitor>` answers 403 to that visitor.
 */
async function startSite(): Promise<TestServer & { userAgents: Map<string, Set<string>> }> {
    let minted = 0;
    const userAgents = new Map<string, Set<string>>();
    const server = await startServer((req, res, url) => {
        let visitor = readCookie(req.headers.cookie, 'visitor');
        if (!visitor) {
            visitor = `v${++minted}`;
            res.setHeader('set-cookie', `visitor=${visitor}; Path=/; HttpOnly`);
        }
        if (!userAgents.has(visitor)) userAgents.set(visitor, new Set());
        userAgents.get(visitor)!.add(req.headers['user-agent'] ?? '');
        if (url.pathname === '/redirect') {
            res.statusCode = 302;
            res.appendHeader('set-cookie', 'hop=1; Path=/');
            res.setHeader('location', '/final');
            res.end();
            return;
        }
        if (url.pathname.startsWith('/blocked-for/') && url.pathname.endsWith(`/${visitor}`)) {
            res.statusCode = 403;
            res.end('<title>Forbidden</title>');
            return;
        }
        res.setHeader('content-type', 'text/html');
        res.end(`<title>${url.pathname}</title>visitor=${visitor}`);
    });
    servers.push(server);
    return Object.assign(server, { userAgents });
}

describe('FetchCrawler (docs/adapters.md example)', () => {
    it('round-trips cookies, including the Set-Cookie of a redirect hop', async () => {
        const site = await startSite();
        const bodies: string[] = [];
        const crawler = new FetchCrawler({
            ...QUIET,
            sessionPoolOptions: { persist: false, maxPoolSize: 1 },
            maxConcurrency: 1,
            requestHandler: ({ body }) => {
                bodies.push(body);
            },
        });
        const stats = await crawler.run([site.url('/first'), site.url('/redirect'), site.url('/after')]);
        expect(stats.requestsFinished).toBe(3);
        expect(bodies).toEqual(['<title>/first</title>visitor=v1', '<title>/final</title>visitor=v1', '<title>/after</title>visitor=v1']);
        const cookies = site.hits.map((hit) => [hit.path, hit.headers.cookie ?? '']);
        expect(cookies).toEqual([
            ['/first', ''],
            ['/redirect', 'visitor=v1'],
            ['/final', 'visitor=v1; hop=1'], // the 302's cookie went on the very next hop
            ['/after', 'visitor=v1; hop=1'],
        ]);
    });

    it('retires a session on 403 and fetches the page with another one, spending no retry', async () => {
        const site = await startSite();
        const handled: [string, string][] = [];
        const crawler = new FetchCrawler({
            ...QUIET,
            sessionPoolOptions: { persist: false },
            maxRequestRetries: 0,
            maxConcurrency: 1,
            requestHandler: ({ request, session, body }) => {
                handled.push([request.url, `${session!.id} ${body}`]);
            },
        });
        // The first client becomes v1; /blocked-for/v1 then refuses it.
        const stats = await crawler.run([site.url('/home'), site.url('/blocked-for/v1')]);
        expect(stats).toMatchObject({
            requestsFinished: 2,
            requestsFailed: 0,
            requestsRetried: 0,
            sessionRotations: 1,
            blockedResponses: 1,
            statusCodes: { '200': 2, '403': 1 },
            sessionsCreated: 2,
            retiredByReason: { blocked: 1 },
        });
        expect(handled[1]![1]).toMatch(/ <title>\/blocked-for\/v1<\/title>visitor=v2$/);
        expect(handled[0]![1].split(' ')[0]).not.toBe(handled[1]![1].split(' ')[0]);
    });

    it('marks sessions good automatically and keeps one user agent per session (applySession)', async () => {
        const site = await startSite();
        const sessions = new Set<Session>();
        const crawler = new FetchCrawler({
            ...QUIET,
            sessionPoolOptions: { persist: false, maxPoolSize: 2 },
            maxConcurrency: 2,
            requestHandler: ({ session }) => {
                sessions.add(session!);
            },
        });
        await crawler.run(Array.from({ length: 10 }, (_, i) => site.url(`/p${i}`)));
        expect(sessions.size).toBe(2);
        expect([...sessions].reduce((sum, session) => sum + session.usageCount, 0)).toBe(10);
        for (const session of sessions) expect(session.errorScore).toBe(0);
        expect(site.userAgents.size).toBe(2);
        for (const [, agents] of site.userAgents) {
            expect(agents.size).toBe(1);
            expect([...agents][0]).toMatch(/^FetchCrawler\/1\.0 \(\+/);
        }
    });

    it('drops the Authorization header on a redirect to another origin', async () => {
        const other = await startServer((_req, res) => res.end('other'), '127.0.0.4');
        servers.push(other);
        const site = await startServer((_req, res) => {
            res.statusCode = 302;
            res.setHeader('location', other.url('/landing'));
            res.end();
        });
        servers.push(site);
        const crawler = new FetchCrawler({ ...QUIET, sessionPoolOptions: { persist: false }, requestHandler: () => {} });
        await crawler.run([{ url: site.url('/go'), headers: { Authorization: 'Bearer secret' } }]);
        expect(site.hits[0]!.headers.authorization).toBe('Bearer secret');
        expect(other.hits).toHaveLength(1);
        expect(other.hits[0]!.headers.authorization).toBeUndefined();
    });

    it('neither sends nor stores session cookies with persistCookiesPerSession: false', async () => {
        const site = await startSite();
        const sessions = new Set<Session>();
        const crawler = new FetchCrawler({
            ...QUIET,
            persistCookiesPerSession: false,
            sessionPoolOptions: { persist: false, maxPoolSize: 1 },
            maxConcurrency: 1,
            requestHandler: ({ session }) => void sessions.add(session!),
        });
        await crawler.run([site.url('/first'), site.url('/redirect'), site.url('/after')]);
        expect(site.hits.map((hit) => hit.headers.cookie ?? '')).toEqual(['', '', '', '']);
        expect(sessions.size).toBe(1);
        expect([...sessions][0]!.getAllCookies()).toEqual([]);
    });

    it('rejects a proxyConfiguration it cannot honour', () => {
        expect(() => new FetchCrawler({ ...QUIET, proxyConfiguration: { proxyUrls: ['http://127.0.0.2:8000'] }, requestHandler: () => {} })).toThrow(InvalidOptionError);
    });

    it('is quoted verbatim in docs/adapters.md', () => {
        const source = readFileSync(join(here, '..', '..', '..', 'examples', 'fetch-crawler.ts'), 'utf8');
        const doc = readFileSync(join(here, '..', '..', '..', 'docs', 'adapters.md'), 'utf8');
        expect(doc).toContain(source.trimEnd());
    });
});
