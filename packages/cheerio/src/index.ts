export { CheerioCrawler, type CheerioCrawlerOptions, type CheerioCrawlingContext, type EnqueueLinksOptions } from './cheerio-crawler.js';
