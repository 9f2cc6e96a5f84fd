export { PlaywrightCrawler, type PlaywrightCrawlerOptions, type PlaywrightCrawlingContext } from './playwright-crawler.js';
export { playwrightDriver, type PlaywrightGotoOptions } from './driver.js';
export {
    BrowserDisconnectedError,
    ChromiumNotFoundError,
    InvalidChromiumPathError,
    resolveChromiumExecutable,
    resolveExecutablePath,
    type BrowserAdapterStats,
} from '@sessionkit/browser';
