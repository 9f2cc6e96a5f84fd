import { testCrawlerAdapter } from '@sessionkit/testing/conformance';

import { FetchCrawler } from '../fetch-crawler.js';

// The worked example of docs/adapters.md passes the same suite as the crawlers of the repo (fetch cannot use an HTTP proxy).
testCrawlerAdapter({ name: 'FetchCrawler (docs/adapters.md)', makeCrawler: (options) => new FetchCrawler(options), supportsProxies: false });
