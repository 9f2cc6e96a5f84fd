import { InvalidOptionError, checkBoolean, checkKnownKeys, checkObject, checkString } from '@sessionkit/core';

/** What a browser crawler's options have in common, whatever the driver. */
export interface BrowserOptionRules {
    /** Navigation events `gotoOptions.waitUntil` accepts (the driver's). */
    lifecycleEvents: readonly string[];
    /** Whether `waitUntil` may be an array (puppeteer) or one event only (Playwright). */
    waitUntilArray: boolean;
    /** Keys allowed in `gotoOptions`. */
    gotoKeys: ReadonlySet<string>;
    /** Methods a `browser` option must have, and how to get one (for the message). */
    browserMethods: readonly string[];
    browserHint: string;
}

/**
 * Validates `launchOptions` (executablePath, headless, args), `gotoOptions` and `browser` of a browser crawler.
 * Each bad value throws InvalidOptionError naming it.
 */
export function validateBrowserCrawlerOptions(options: object, rules: BrowserOptionRules): void {
    checkObject('(crawler options)', options);
    const { launchOptions, gotoOptions, browser } = options as { launchOptions?: unknown; gotoOptions?: unknown; browser?: unknown };
    checkObject('launchOptions', launchOptions);
    const launch = launchOptions as Record<string, unknown> | undefined;
    if (launch) {
        checkString('launchOptions.executablePath', launch.executablePath);
        if (launch.headless !== undefined && launch.headless !== 'shell') checkBoolean('launchOptions.headless', launch.headless);
        const { args } = launch;
        if (args !== undefined && (!Array.isArray(args) || args.some((arg) => typeof arg !== 'string'))) {
            throw new InvalidOptionError('launchOptions.args', args, 'must be an array of Chromium flags (strings such as "--lang=de")');
        }
    }
    checkObject('gotoOptions', gotoOptions);
    const goto = gotoOptions as Record<string, unknown> | undefined;
    if (goto) {
        if (goto.timeout !== undefined) throw new InvalidOptionError('gotoOptions.timeout', goto.timeout, 'is not supported (use navigationTimeoutSecs)');
        checkKnownKeys('gotoOptions', goto, rules.gotoKeys);
        const { waitUntil } = goto;
        const events = Array.isArray(waitUntil) && rules.waitUntilArray ? waitUntil : [waitUntil];
        if (waitUntil !== undefined && (events.length === 0 || events.some((event) => typeof event !== 'string' || !rules.lifecycleEvents.includes(event)))) {
            throw new InvalidOptionError(
                'gotoOptions.waitUntil',
                waitUntil,
                `must be one of ${rules.lifecycleEvents.join(', ')}${rules.waitUntilArray ? ' (or an array of them)' : ''}`,
            );
        }
        checkString('gotoOptions.referer', goto.referer);
        checkString('gotoOptions.referrerPolicy', goto.referrerPolicy);
    }
    if (browser !== undefined) {
        const candidate = browser as Record<string, unknown> | null;
        if (!candidate || typeof candidate !== 'object' || rules.browserMethods.some((method) => typeof candidate[method] !== 'function')) {
            throw new InvalidOptionError('browser', browser, `must be ${rules.browserHint}`);
        }
        if (launchOptions !== undefined) {
            throw new InvalidOptionError('launchOptions', launchOptions, 'has no effect with an existing browser (give either browser or launchOptions)');
        }
    }
}
