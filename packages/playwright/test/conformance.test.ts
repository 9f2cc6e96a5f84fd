import { PlaywrightCrawler, type PlaywrightCrawlingContext } from '@sessionkit/playwright';
import { testCrawlerAdapter } from '@sessionkit/testing/conformance';

testCrawlerAdapter({
    name: 'PlaywrightCrawler',
    // Each crawler launches (and may relaunch) its own Chromium.
    makeCrawler: (options) => new PlaywrightCrawler({ ...options, launchOptions: {} }),
    runsPageScripts: true,
    setCookieInClient: async (context, cookie) => {
        await (context as PlaywrightCrawlingContext).page.evaluate(`document.cookie = ${JSON.stringify(cookie)}`);
    },
    crash: async (context) => {
        const cdp = await (context as PlaywrightCrawlingContext).browserContext.browser()!.newBrowserCDPSession();
        await cdp.send('Browser.crash').catch(() => undefined);
        await (context as PlaywrightCrawlingContext).page.title();
    },
});
