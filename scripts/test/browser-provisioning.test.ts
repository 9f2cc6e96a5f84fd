import { describe, expect, it, jest } from '@jest/globals';
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { type AptResult, INSTALL_HINT, type ProvisioningEnvironment, provisionBrowser } from '../browser-provisioning.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const noBrowserHere = join(mkdtempSync(join(tmpdir(), 'sessionkit-nobrowser-')), 'chromium');

function machine(overrides: Partial<ProvisioningEnvironment> = {}) {
    const log = jest.fn<(line: string) => void>();
    const installChromium = jest.fn<(aptGet: string) => AptResult>(() => ({ ok: true, output: '' }));
    const facts: ProvisioningEnvironment = {
        platform: 'linux',
        isRoot: true,
        env: {},
        candidates: [noBrowserHere],
        aptGet: '/usr/bin/apt-get',
        installChromium,
        log,
        ...overrides,
    };
    return { facts, log, installChromium: facts.installChromium as typeof installChromium };
}

describe('browser provisioning', () => {
    it('uses a browser found on a system path and installs nothing', () => {
        const { facts, installChromium } = machine({ candidates: [noBrowserHere, process.execPath] });
        expect(provisionBrowser(facts)).toEqual({ status: 'found', path: process.execPath });
        expect(installChromium).not.toHaveBeenCalled();
    });

    it('prefers CHROME_PATH, as the crawlers do', () => {
        const { facts } = machine({ env: { CHROME_PATH: process.execPath } });
        expect(provisionBrowser(facts)).toEqual({ status: 'found', path: process.execPath });
    });

    it('reports a CHROME_PATH that points nowhere instead of installing another browser', () => {
        const { facts, installChromium } = machine({ env: { CHROME_PATH: noBrowserHere } });
        const outcome = provisionBrowser(facts);
        expect(outcome).toEqual(expect.objectContaining({ status: 'missing' }));
        expect(outcome.status === 'missing' && outcome.hint).toContain('CHROME_PATH');
        expect(installChromium).not.toHaveBeenCalled();
    });

    it("installs Debian's chromium as root on Linux with apt-get, saying so in one line", () => {
        const dir = mkdtempSync(join(tmpdir(), 'sessionkit-apt-'));
        const installed = join(dir, 'chromium');
        const { facts, log, installChromium } = machine({
            candidates: [installed],
            installChromium: jest.fn<(aptGet: string) => AptResult>(() => {
                writeFileSync(installed, '#!/bin/sh\n');
                chmodSync(installed, 0o755);
                return { ok: true, output: 'lots of apt output' };
            }),
        });
        expect(provisionBrowser(facts)).toEqual({ status: 'installed', path: installed });
        expect(installChromium).toHaveBeenCalledWith('/usr/bin/apt-get');
        expect(log).toHaveBeenCalledTimes(1);
        expect(log.mock.calls[0]![0]).toMatch(/installing Debian's chromium/);
    });

    it("shows apt's output only when the install fails, then the install hint", () => {
        const { facts, log } = machine({
            installChromium: jest.fn<(aptGet: string) => AptResult>(() => ({ ok: false, output: 'E: Unable to locate package chromium' })),
        });
        const outcome = provisionBrowser(facts);
        expect(outcome).toEqual({ status: 'missing', reason: expect.stringContaining('apt-get install chromium failed'), hint: INSTALL_HINT });
        expect(log.mock.calls.map(([line]) => line)).toContain('E: Unable to locate package chromium');
    });

    it.each([
        ['a non-root user', { isRoot: false }],
        ['a machine without apt-get', { aptGet: undefined }],
        ['macOS', { platform: 'darwin' as const }],
    ])('on %s prints what to install and installs nothing', (_, overrides) => {
        const { facts, installChromium } = machine(overrides);
        expect(provisionBrowser(facts)).toEqual({ status: 'missing', reason: expect.stringContaining('No Chromium'), hint: INSTALL_HINT });
        expect(installChromium).not.toHaveBeenCalled();
    });

    describe('command line', () => {
        const run = promisify(execFile);
        const cli = (args: string[], env: Record<string, string>) =>
            run(process.execPath, [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(root, 'scripts', 'browser-provisioning.ts'), ...args], {
                env: { ...process.env, ...env },
            }).then(
                ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
                (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
            );

        it('fails the test command at once when no browser can be had', async () => {
            const result = await cli(['--for=test'], { CHROME_PATH: noBrowserHere });
            expect(result.code).toBe(1);
            expect(result.stderr).toContain('tests not run');
        }, 30_000);

        it('lets the demo go on without the browser crawler, saying why', async () => {
            const result = await cli(['--for=demo'], { CHROME_PATH: noBrowserHere });
            expect(result.code).toBe(0);
            expect(result.stderr).toContain('skips the browser crawler');
        }, 30_000);

        it('refuses an unknown purpose, naming the value', async () => {
            const result = await cli(['--for=bench'], {});
            expect(result.code).toBe(2);
            expect(result.stderr).toContain('"bench"');
        }, 30_000);
    });
});
