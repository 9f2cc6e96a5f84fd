import { HttpCrawler } from '@sessionkit/http';
import { testCrawlerAdapter } from '@sessionkit/testing';

testCrawlerAdapter({ name: 'HttpCrawler', makeCrawler: (options) => new HttpCrawler(options) });
