export * from './types.js';
export * from './errors.js';
export { Request, type RequestOptions, type RequestLike, toRequest } from './request.js';
export { RequestQueue, type AddRequestsResult } from './request-queue.js';
export { SessionMiddleware, AttemptScope, type SessionMiddlewareOptions, type AttemptOutcome, toError } from './session-middleware.js';
export { CrawlerStatistics, type CrawlerRunStatistics, formatRunStatistics } from './statistics.js';
export { BasicCrawler, type BasicCrawlerOptions, BASIC_CRAWLER_OPTION_KEYS } from './basic-crawler.js';
export { type EnqueueLinksOptions, linkRequests, linkSelector } from './links.js';
