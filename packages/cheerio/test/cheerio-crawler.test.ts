import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterEach, describe, expect, it } from '@jest/globals';

import { CheerioCrawler, type CheerioCrawlerOptions } from '@sessionkit/cheerio';

interface Site {
    origin: string;
    url(path: string): string;
    /** Paths in the order they were requested, with the visitor cookie they carried. */
    hits: { path: string; visitor: string | undefined }[];
    close(): Promise<void>;
}

const sites: Site[] = [];
afterEach(async () => {
    for (const site of sites.splice(0)) await site.close();
});

/** A loopback site: `pages` maps a path to [content-type, body] (or a function of the visitor). New clients get a visitor cookie. */
async function startSite(pages: Record<string, (visitor: string, origin: string) => [string, string]>, host = '127.0.0.1'): Promise<Site> {
    let minted = 0;
    const hits: Site['hits'] = [];
    let origin = '';
    const server = http.createServer((req, res) => {
        const url = new URL(req.url ?? '/', origin);
        let visitor = /(?:^|; )visitor=(v\d+)/.exec(req.headers.cookie ?? '')?.[1];
        hits.push({ path: url.pathname, visitor });
        if (!visitor) {
            visitor = `v${++minted}`;
            res.setHeader('set-cookie', `visitor=${visitor}; Path=/`);
        }
        const page = pages[url.pathname];
        if (!page) {
            res.statusCode = 404;
            res.end('<title>Not found</title>');
            return;
        }
        const [contentType, body] = page(visitor, origin);
        res.setHeader('content-type', contentType);
        res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    origin = `http://${host}:${(server.address() as AddressInfo).port}`;
    const site: Site = {
        origin,
        url: (path) => `${origin}${path}`,
        hits,
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
    sites.push(site);
    return site;
}

const html = (title: string, body = '') => (): [string, string] => ['text/html; charset=utf-8', `<!doctype html><html><head><title>${title}</title></head><body>${body}</body></html>`];

function crawler(options: Partial<CheerioCrawlerOptions>): CheerioCrawler {
    return new CheerioCrawler({
        statusIntervalSecs: 0,
        logLevel: 'off',
        requestHandler: () => {},
        ...options,
        sessionPoolOptions: { persist: false, ...options.sessionPoolOptions },
    });
}

describe('CheerioCrawler', () => {
    it('parses the page into $', async () => {
        const site = await startSite({ '/': html('Home page', '<ul><li class="item">one</li><li class="item">two</li></ul>') });
        const seen: [string, string[]][] = [];
        await crawler({
            requestHandler: ({ $ }) => {
                seen.push([$('title').text(), $('li.item').map((_, element) => $(element).text()).get()]);
            },
        }).run([site.url('/')]);
        expect(seen).toEqual([['Home page', ['one', 'two']]]);
    });

    it('enqueueLinks follows same-origin links only, skips invalid hrefs and dedupes', async () => {
        const other = await startSite({ '/x': html('Elsewhere') }, '127.0.0.4');
        const links = (origin: string) =>
            [
                '/a',
                '/a#section', // same page
                'b', // relative
                `//${new URL(origin).host}/c`, // protocol-relative, same origin
                `${other.origin}/x`, // another origin
                'mailto:someone@127.0.0.1',
                'javascript:void(0)',
                'http://[not-an-ip/', // not a URL
                'http://127.0.0.1:99999/', // port out of range: not a URL
                '', // empty
            ]
                .map((href) => `<a href="${href}">link</a>`)
                .join('');
        const site = await startSite({
            '/': (_visitor, origin) => html('Home', links(origin))(),
            '/a': html('A', '<a href="/">home</a><a href="/b">b</a>'),
            '/b': html('B', '<a href="/a">a</a>'),
            '/c': html('C'),
        });
        const titles: string[] = [];
        const added: number[] = [];
        const stats = await crawler({
            maxConcurrency: 1,
            requestHandler: async ({ $, enqueueLinks }) => {
                titles.push($('title').text());
                added.push((await enqueueLinks()).added);
            },
        }).run([site.url('/')]);
        expect(titles).toEqual(['Home', 'A', 'B', 'C']);
        expect(added).toEqual([3, 0, 0, 0]);
        expect(site.hits.map((hit) => hit.path)).toEqual(['/', '/a', '/b', '/c']);
        expect(other.hits).toHaveLength(0);
        expect(stats).toMatchObject({ requestsFinished: 4, requestsFailed: 0 });
    });

    it('enqueueLinks takes a selector, a label, a filter and sameOrigin: false', async () => {
        const other = await startSite({ '/x': html('Elsewhere') }, '127.0.0.4');
        const site = await startSite({
            '/': html('Home', `<nav><a href="/nav-1">1</a><a href="/nav-2">2</a><a href="${other.origin}/x">x</a></nav><a href="/footer">f</a>`),
            '/nav-1': html('N1'),
            '/nav-2': html('N2'),
        });
        const labels: [string, string | undefined][] = [];
        await crawler({
            maxConcurrency: 1,
            requestHandler: async ({ request, enqueueLinks }) => {
                labels.push([new URL(request.url).pathname, request.label]);
                if (request.label === undefined) {
                    await enqueueLinks({ selector: 'nav a', label: 'NAV', sameOrigin: false, filter: (url) => !url.endsWith('/nav-2') });
                }
            },
        }).run([site.url('/')]);
        expect(labels).toEqual([
            ['/', undefined],
            ['/nav-1', 'NAV'],
            ['/x', 'NAV'],
        ]);
    });

    it('rotates the session on a soft block page when the handler retires it (seed "CheerioCrawler" example)', async () => {
        // The site shows v1 a "Blocked" page on /products, and v2 a page on /flaky that may be a connection error.
        const site = await startSite({
            '/': html('Home'),
            '/products': (visitor) => (visitor === 'v1' ? html('Blocked')() : html('Products')()),
            '/flaky': (visitor) => (visitor === 'v2' ? html('Not sure if blocked, might also be a connection error')() : html('Flaky')()),
        });
        const titles: [string, string][] = [];
        const c = crawler({
            useSessionPool: true,
            sessionPoolOptions: { maxPoolSize: 100 },
            persistCookiesPerSession: true,
            maxConcurrency: 1,
            requestHandler: async ({ $, session, request }) => {
                const title = $('title').text();
                titles.push([new URL(request.url).pathname, title]);
                if (title === 'Blocked') {
                    session!.retire();
                } else if (title === 'Not sure if blocked, might also be a connection error') {
                    session!.markBad();
                } else {
                    // session.markGood() - this step is done automatically.
                }
            },
        });
        const stats = await c.run([site.url('/'), site.url('/products'), site.url('/flaky')]);
        expect(titles).toEqual([
            ['/', 'Home'],
            ['/products', 'Blocked'], // v1: retired, the request goes round again
            ['/flaky', 'Not sure if blocked, might also be a connection error'], // v2: marked bad, the page counts as done
            ['/products', 'Products'], // v2
        ]);
        expect(stats).toMatchObject({ requestsFinished: 3, sessionRotations: 1, requestsRetried: 0, sessionsCreated: 2, retiredByReason: { manual: 1 } });
        const [v2] = c.sessionPool!.getSessions();
        // markBad by the handler (1 point, 1 use), then the automatic markGood of /products (-0.5, 1 use).
        expect(v2).toMatchObject({ usageCount: 2, errorScore: 0.5, errorCount: 1 });
    });

    it('leaves $ empty for a JSON body but keeps the body', async () => {
        const site = await startSite({ '/api': () => ['application/json', '{"title":"<title>not html</title>","items":[1,2]}'] });
        const seen: { contentType: string | undefined; title: string; html: string; json: unknown }[] = [];
        await crawler({
            requestHandler: ({ $, body, contentType }) => {
                seen.push({ contentType, title: $('title').text(), html: $.html(), json: JSON.parse(body) });
            },
        }).run([site.url('/api')]);
        expect(seen).toEqual([{ contentType: 'application/json', title: '', html: '', json: { title: '<title>not html</title>', items: [1, 2] } }]);
    });

    it("gives every non-HTML page its own empty $ (one handler's changes do not leak into the next page)", async () => {
        const site = await startSite({ '/a.json': () => ['application/json', '[]'], '/b.json': () => ['application/json', '{}'] });
        const bodies: string[] = [];
        await crawler({
            maxConcurrency: 1,
            requestHandler: ({ $ }) => {
                bodies.push($('body').html() ?? '');
                $('body').append('<p>scratch</p>');
            },
        }).run([site.url('/a.json'), site.url('/b.json')]);
        expect(bodies).toEqual(['', '']);
    });
});
