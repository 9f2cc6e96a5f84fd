import { CheerioCrawler } from '@sessionkit/cheerio';
import { testCrawlerAdapter } from '@sessionkit/testing';

testCrawlerAdapter({ name: 'CheerioCrawler', makeCrawler: (options) => new CheerioCrawler(options) });
