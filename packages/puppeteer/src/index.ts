export * from './errors.js';
export * from './executable.js';
export * from './launch.js';
export * from './contexts.js';
export * from './cookies.js';
export * from './puppeteer-crawler.js';
