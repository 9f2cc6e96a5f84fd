import puppeteer, { type Browser, type LaunchOptions } from 'puppeteer-core';

import { resolveChromiumExecutable } from './executable.js';

/**
 * Flags passed on every launch. `--proxy-bypass-list=<-loopback>` only affects a browser-level
 * `--proxy-server`; per-context proxies get their own bypass list (see SessionContextPool).
 */
export const DEFAULT_CHROMIUM_ARGS: readonly string[] = [
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-dev-shm-usage',
    '--no-first-run',
    '--disable-sync',
    '--disable-gpu',
    '--proxy-bypass-list=<-loopback>',
];

export interface LaunchBrowserOptions {
    /** Chromium binary; otherwise resolved by {@link resolveChromiumExecutable}. */
    executablePath?: string;
    /** Default `true`. */
    headless?: boolean;
    /** Extra flags, appended after the defaults; a flag with the same name (`--name` or `--name=…`) replaces the default. */
    args?: string[];
    /** Passed to `puppeteer.launch()`; the fields above win over the same fields here. */
    launchOptions?: LaunchOptions;
}

function flagName(arg: string): string {
    const eq = arg.indexOf('=');
    return eq === -1 ? arg : arg.slice(0, eq);
}

/**
 * Merges flag lists: later lists win for flags of the same name, order of first appearance is kept.
 * Non-flag arguments (no leading `--`) are kept as they are.
 */
export function mergeChromiumArgs(...lists: ReadonlyArray<readonly string[] | undefined>): string[] {
    const byName = new Map<string, string>();
    const plain: string[] = [];
    for (const list of lists) {
        for (const arg of list ?? []) {
            if (arg.startsWith('--')) {
                const name = flagName(arg);
                // Map.set on an existing key keeps the position of the first occurrence.
                byName.set(name, arg);
            } else {
                plain.push(arg);
            }
        }
    }
    return [...byName.values(), ...plain];
}

/** The flags {@link launchBrowser} uses: `--no-sandbox` as root, then {@link DEFAULT_CHROMIUM_ARGS}, then `extra`. */
export function buildChromiumArgs(
    extra: readonly string[] = [],
    isRoot: boolean = process.getuid?.() === 0,
): string[] {
    return mergeChromiumArgs(isRoot ? ['--no-sandbox'] : [], DEFAULT_CHROMIUM_ARGS, extra);
}

/**
 * Launches Chromium with puppeteer-core: executable resolved (option, CHROME_PATH,
 * PUPPETEER_EXECUTABLE_PATH, system paths), headless by default, {@link buildChromiumArgs} flags.
 */
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
