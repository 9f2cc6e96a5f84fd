import { accessSync, constants, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

import { type ChromiumPathSource, ChromiumNotFoundError, InvalidChromiumPathError } from './errors.js';

const LINUX_PATHS = [
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome-stable',
    '/usr/bin/google-chrome',
    '/snap/bin/chromium',
] as const;

const MAC_APPS = [
    'Google Chrome.app/Contents/MacOS/Google Chrome',
    'Chromium.app/Contents/MacOS/Chromium',
    'Google Chrome Canary.app/Contents/MacOS/Google Chrome Canary',
] as const;

/**
 * Well-known system locations of Chromium/Chrome for a platform, in the order they are tried.
 * On Linux the list also covers macOS app paths last (harmless, they never exist there).
 */
export function knownChromiumPaths(platform: NodeJS.Platform = process.platform): string[] {
    const mac = [
        ...MAC_APPS.map((app) => join('/Applications', app)),
        ...MAC_APPS.map((app) => join(homedir(), 'Applications', app)),
    ];
    if (platform === 'darwin') return mac;
    if (platform === 'win32') {
        const roots = [process.env.PROGRAMFILES, process.env['PROGRAMFILES(X86)'], process.env.LOCALAPPDATA].filter(
            (root): root is string => typeof root === 'string' && root !== '',
        );
        return roots.flatMap((root) => [
            `${root}\\Google\\Chrome\\Application\\chrome.exe`,
            `${root}\\Chromium\\Application\\chrome.exe`,
        ]);
    }
    return [...LINUX_PATHS, ...mac];
}

export interface ResolveChromiumExecutableOptions {
    /** Environment to read `CHROME_PATH` / `PUPPETEER_EXECUTABLE_PATH` from. Default `process.env`. */
    env?: Readonly<Record<string, string | undefined>>;
    /** System paths to probe after the explicit path and env vars. Default {@link knownChromiumPaths}(). */
    candidates?: readonly string[];
}

/** Why `path` is not a usable executable, or `undefined` when it is. */
function unusableReason(path: string): string | undefined {
    let stats;
    try {
        stats = statSync(path);
    } catch {
        return 'does not exist';
    }
    if (!stats.isFile()) return 'is not a file';
    try {
        accessSync(path, constants.X_OK);
    } catch {
        return 'is not executable';
    }
    return undefined;
}

/**
 * Finds the Chromium/Chrome binary to launch. Order: `explicitPath`, env `CHROME_PATH`,
 * env `PUPPETEER_EXECUTABLE_PATH` (puppeteer-core itself ignores it), then well-known system paths.
 *
 * An explicit or env path that is not an executable file throws {@link InvalidChromiumPathError}
 * (a typo must not silently fall back to another browser); nothing found throws
 * {@link ChromiumNotFoundError}. Empty env vars count as unset.
 */
export function resolveChromiumExecutable(explicitPath?: string, options: ResolveChromiumExecutableOptions = {}): string {
    const env = options.env ?? process.env;
    const configured: Array<[ChromiumPathSource, string | undefined]> = [
        ['executablePath option', explicitPath],
        ['CHROME_PATH', env.CHROME_PATH],
        ['PUPPETEER_EXECUTABLE_PATH', env.PUPPETEER_EXECUTABLE_PATH],
    ];
    for (const [source, path] of configured) {
        if (path === undefined || path.trim() === '') continue;
        const reason = unusableReason(path);
        if (reason !== undefined) throw new InvalidChromiumPathError(source, path, reason);
        return path;
    }
    const candidates = options.candidates ?? knownChromiumPaths();
    for (const path of candidates) {
        if (unusableReason(path) === undefined) return path;
    }
    throw new ChromiumNotFoundError([
        'executablePath option (not set)',
        'CHROME_PATH (not set)',
        'PUPPETEER_EXECUTABLE_PATH (not set)',
        ...candidates,
    ]);
}

/** The name scripts and other drivers use: same as {@link resolveChromiumExecutable}. */
export const resolveExecutablePath = resolveChromiumExecutable;
