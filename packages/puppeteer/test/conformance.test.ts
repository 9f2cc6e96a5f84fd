import { PuppeteerCrawler, type PuppeteerCrawlingContext } from '@sessionkit/puppeteer';
import { testCrawlerAdapter } from '@sessionkit/testing/conformance';

testCrawlerAdapter({
    name: 'PuppeteerCrawler',
    // Each crawler launches (and may relaunch) its own Chromium.
    makeCrawler: (options) => new PuppeteerCrawler({ ...options, launchOptions: {} }),
    runsPageScripts: true,
    setCookieInClient: async (context, cookie) => {
        await (context as PuppeteerCrawlingContext).page.evaluate(`document.cookie = ${JSON.stringify(cookie)}`);
    },
    crash: async (context) => {
        const { page } = context as PuppeteerCrawlingContext;
        page.browser().process()!.kill('SIGKILL');
        await page.title();
    },
});
