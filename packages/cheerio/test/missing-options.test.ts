import { describe, expect, it } from '@jest/globals';

import { CheerioCrawler } from '@sessionkit/cheerio';
import { InvalidOptionError } from '@sessionkit/core';
import { BasicCrawler } from '@sessionkit/crawler';
import { HttpCrawler } from '@sessionkit/http';

type AnyCrawler = new (options?: never) => unknown;

describe('crawlers given no options or a wrong request list', () => {
    it.each<[string, AnyCrawler]>([
        ['BasicCrawler', BasicCrawler as unknown as AnyCrawler],
        ['HttpCrawler', HttpCrawler as unknown as AnyCrawler],
        ['CheerioCrawler', CheerioCrawler as unknown as AnyCrawler],
    ])('new %s() says the requestHandler is required', (_, Crawler) => {
        expect(() => new Crawler()).toThrow(InvalidOptionError);
        expect(() => new Crawler()).toThrow(/Option "requestHandler" is required/);
    });

    it.each([42, 'https://example.com/', null, { url: 'https://example.com/' }])('refuses requestList %p, naming the option', (requestList) => {
        const build = () => new CheerioCrawler({ requestHandler: () => {}, requestList: requestList as never });
        expect(build).toThrow(InvalidOptionError);
        expect(build).toThrow(/Option "requestList" must be an iterable \(e\.g\. an array\) of URL strings or request objects/);
    });

    it('refuses run() and addRequests() of something that is not a list, naming the argument', async () => {
        const crawler = new CheerioCrawler({ requestHandler: () => {}, sessionPoolOptions: { persist: false } });
        await expect(crawler.run(42 as never)).rejects.toThrow(/Option "requests" must be an iterable/);
        await expect(crawler.addRequests('https://example.com/' as never)).rejects.toThrow(/Option "requests" must be an iterable/);
    });
});
