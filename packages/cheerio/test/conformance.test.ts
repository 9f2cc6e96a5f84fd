import { CheerioCrawler } from '@sessionkit/cheerio';
import { testCrawlerAdapter } from '@sessionkit/testing/conformance';

testCrawlerAdapter({ name: 'CheerioCrawler', makeCrawler: (options) => new CheerioCrawler(options) });
