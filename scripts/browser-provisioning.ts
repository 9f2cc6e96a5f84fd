// The one browser provisioning step that `pnpm test` and `pnpm demo` run first. It finds a browser exactly as
// the crawlers do (resolveChromiumExecutable: option → CHROME_PATH → PUPPETEER_EXECUTABLE_PATH → system paths)
// and, where it can do so safely (Linux, root, apt-get), installs Debian's chromium. Everything the decision
// depends on is injectable, so every branch is tested without touching the machine.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

import { resolveChromiumExecutable } from '../packages/browser/src/executable.js';

/** Who asks: `test` cannot run without a browser, `demo` runs the HTTP and Cheerio crawlers without one. */
export type ProvisioningPurpose = 'test' | 'demo';

export type ProvisioningOutcome =
    | { status: 'found'; path: string }
    | { status: 'installed'; path: string }
    | { status: 'missing'; reason: string; hint: string };

export interface AptResult {
    ok: boolean;
    /** Combined stdout and stderr, shown only when the install failed. */
    output: string;
}

export interface ProvisioningEnvironment {
    platform: NodeJS.Platform;
    isRoot: boolean;
    env: Readonly<Record<string, string | undefined>>;
    /** System paths to probe; default: the crawlers' own list. */
    candidates?: readonly string[];
    /** Path of apt-get, or undefined when the machine has none. */
    aptGet: string | undefined;
    /** Runs `apt-get update` + `apt-get install -y chromium`. */
    installChromium: (aptGet: string) => AptResult;
    log: (line: string) => void;
}

export const INSTALL_HINT =
    'No Chromium/Chrome browser was found, and this machine cannot install one by itself (that needs Linux, root ' +
    'and apt-get). Install one, then run the command again: on Debian/Ubuntu `sudo apt-get update && sudo ' +
    'apt-get install -y chromium`; on Fedora `sudo dnf install chromium`; on macOS `brew install --cask chromium` ' +
    'or Google Chrome from google.com/chrome. A browser in another place is used when CHROME_PATH (or ' +
    'PUPPETEER_EXECUTABLE_PATH) points at its executable.';

/** Finds a browser, installing Debian's chromium when that is possible; never throws for a missing browser. */
export function provisionBrowser(machine: ProvisioningEnvironment): ProvisioningOutcome {
    const resolve = (): string => resolveChromiumExecutable(undefined, { env: machine.env, candidates: machine.candidates });
    let firstError: Error;
    try {
        return { status: 'found', path: resolve() };
    } catch (error) {
        firstError = error as Error;
    }
    // A CHROME_PATH that points nowhere is a configuration mistake to fix, not a reason to install another browser.
    if ((firstError as { code?: string }).code === 'ERR_INVALID_CHROMIUM_PATH') {
        return { status: 'missing', reason: firstError.message, hint: firstError.message };
    }
    if (machine.platform !== 'linux' || !machine.isRoot || machine.aptGet === undefined) {
        return { status: 'missing', reason: firstError.message, hint: INSTALL_HINT };
    }
    machine.log("sessionkit: no Chromium found; installing Debian's chromium with apt-get (once, about a minute)");
    const apt = machine.installChromium(machine.aptGet);
    if (!apt.ok) {
        machine.log(apt.output.trimEnd());
        return { status: 'missing', reason: 'apt-get install chromium failed (output above)', hint: INSTALL_HINT };
    }
    try {
        return { status: 'installed', path: resolve() };
    } catch (error) {
        return { status: 'missing', reason: `apt-get installed chromium but ${(error as Error).message}`, hint: INSTALL_HINT };
    }
}

/** The first `name` on PATH that is executable. */
export function findOnPath(name: string, pathVariable: string | undefined): string | undefined {
    for (const dir of (pathVariable ?? '').split(delimiter)) {
        if (dir === '') continue;
        const candidate = join(dir, name);
        try {
            accessSync(candidate, constants.X_OK);
            return candidate;
        } catch {
            // not here; keep looking
        }
    }
    return undefined;
}

function installWithApt(aptGet: string): AptResult {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    let output = '';
    for (const args of [['update', '-qq'], ['install', '-y', '-qq', '--no-install-recommends', 'chromium']]) {
        const run = spawnSync(aptGet, args, { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
        output += `$ apt-get ${args.join(' ')}\n${run.stdout ?? ''}${run.stderr ?? ''}${run.error ? String(run.error) : ''}\n`;
        if (run.status !== 0) return { ok: false, output };
    }
    return { ok: true, output };
}

function main(argv: readonly string[]): number {
    const purposeArg = argv.find((arg) => arg.startsWith('--for='))?.slice('--for='.length);
    if (purposeArg !== 'test' && purposeArg !== 'demo') {
        console.error(`ensure-browser: --for must be "test" or "demo", got ${JSON.stringify(purposeArg)}`);
        return 2;
    }
    const outcome = provisionBrowser({
        platform: process.platform,
        isRoot: process.getuid?.() === 0,
        env: process.env,
        aptGet: process.platform === 'linux' ? findOnPath('apt-get', process.env.PATH) : undefined,
        installChromium: installWithApt,
        log: (line) => console.log(line),
    });
    if (outcome.status === 'installed') console.log(`sessionkit: chromium installed at ${outcome.path}`);
    if (outcome.status !== 'missing') return 0;
    console.error(`\n${outcome.hint}\n`);
    if (purposeArg === 'test') {
        console.error('sessionkit: tests not run: the browser crawler suites need a browser (see above).');
        return 1;
    }
    console.error('sessionkit: the demo runs the HTTP and Cheerio crawlers and skips the browser crawler.\n');
    return 0;
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
    process.exitCode = main(process.argv.slice(2));
}
