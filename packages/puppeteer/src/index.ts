export * from './errors.js';
export * from './launch.js';
export * from './contexts.js';
export * from './cookies.js';
export { puppeteerDriver, fromCdpCookie, toCdpCookie } from './driver.js';
export * from './puppeteer-crawler.js';
