import { buildChromiumArgs, mergeChromiumArgs, resolveChromiumExecutable } from '@sessionkit/browser';
import puppeteer, { type Browser, type LaunchOptions } from 'puppeteer-core';

export {
    DEFAULT_CHROMIUM_ARGS,
    buildChromiumArgs,
    mergeChromiumArgs,
    knownChromiumPaths,
    resolveChromiumExecutable,
    resolveExecutablePath,
    type ResolveChromiumExecutableOptions,
} from '@sessionkit/browser';

export interface LaunchBrowserOptions {
    /** Chromium binary; otherwise resolved by `resolveChromiumExecutable` (CHROME_PATH, PUPPETEER_EXECUTABLE_PATH, system paths). */
    executablePath?: string;
    /** Default `true`. */
    headless?: boolean;
    /** Extra flags, appended after the defaults; a flag with the same name (`--name` or `--name=…`) replaces the default. */
    args?: string[];
    /** Passed to `puppeteer.launch()`; the fields above win over the same fields here. */
    launchOptions?: LaunchOptions;
}

/** Launches Chromium with puppeteer-core: executable resolved, headless by default, the browser layer's flags. */
export async function launchBrowser(options: LaunchBrowserOptions = {}): Promise<Browser> {
    const { launchOptions = {} } = options;
    const executablePath = resolveChromiumExecutable(options.executablePath ?? launchOptions.executablePath);
    return puppeteer.launch({
        ...launchOptions,
        executablePath,
        headless: options.headless ?? launchOptions.headless ?? true,
        args: buildChromiumArgs(mergeChromiumArgs(launchOptions.args, options.args)),
    });
}
