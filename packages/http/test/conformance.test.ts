import { HttpCrawler } from '@sessionkit/http';
import { testCrawlerAdapter } from '@sessionkit/testing/conformance';

testCrawlerAdapter({ name: 'HttpCrawler', makeCrawler: (options) => new HttpCrawler(options) });
