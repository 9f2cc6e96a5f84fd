import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import {
    ChromiumNotFoundError,
    DEFAULT_CHROMIUM_ARGS,
    InvalidChromiumPathError,
    buildChromiumArgs,
    knownChromiumPaths,
    mergeChromiumArgs,
    resolveChromiumExecutable,
} from '@sessionkit/puppeteer';

let dir: string;
let exe1: string;
let exe2: string;
let notExecutable: string;
let directory: string;
const missing = '/nonexistent/sessionkit/chromium';

beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sessionkit-exe-'));
    exe1 = join(dir, 'chrome-one');
    exe2 = join(dir, 'chrome-two');
    notExecutable = join(dir, 'chrome-noexec');
    directory = join(dir, 'chrome-dir');
    for (const path of [exe1, exe2, notExecutable]) writeFileSync(path, '#!/bin/sh\nexit 0\n');
    chmodSync(exe1, 0o755);
    chmodSync(exe2, 0o755);
    chmodSync(notExecutable, 0o644);
    mkdirSync(directory);
});

afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
});

describe('resolveChromiumExecutable', () => {
    it('uses an explicit path first, even when env vars are set', () => {
        expect(resolveChromiumExecutable(exe1, { env: { CHROME_PATH: exe2, PUPPETEER_EXECUTABLE_PATH: exe2 } })).toBe(exe1);
    });

    it('throws InvalidChromiumPathError naming a missing explicit path (no silent fallback)', () => {
        const attempt = () => resolveChromiumExecutable(missing, { env: { CHROME_PATH: exe2 }, candidates: [exe2] });
        expect(attempt).toThrow(InvalidChromiumPathError);
        expect(attempt).toThrow(/executablePath option.*"\/nonexistent\/sessionkit\/chromium" does not exist/);
    });

    it('rejects directories and non-executable files', () => {
        expect(() => resolveChromiumExecutable(directory, { env: {} })).toThrow(/is not a file/);
        expect(() => resolveChromiumExecutable(notExecutable, { env: {} })).toThrow(/is not executable/);
    });

    it('uses CHROME_PATH, then PUPPETEER_EXECUTABLE_PATH', () => {
        expect(resolveChromiumExecutable(undefined, { env: { CHROME_PATH: exe1, PUPPETEER_EXECUTABLE_PATH: exe2 } })).toBe(exe1);
        expect(resolveChromiumExecutable(undefined, { env: { PUPPETEER_EXECUTABLE_PATH: exe2 }, candidates: [exe1] })).toBe(exe2);
    });

    it('treats empty env vars as unset', () => {
        expect(resolveChromiumExecutable('', { env: { CHROME_PATH: '', PUPPETEER_EXECUTABLE_PATH: ' ' }, candidates: [exe2] })).toBe(exe2);
    });

    it('names the env var and path when an env path is bad', () => {
        let error: unknown;
        try {
            resolveChromiumExecutable(undefined, { env: { PUPPETEER_EXECUTABLE_PATH: missing }, candidates: [exe1] });
        } catch (caught) {
            error = caught;
        }
        expect(error).toBeInstanceOf(InvalidChromiumPathError);
        const typed = error as InvalidChromiumPathError;
        expect(typed.source).toBe('PUPPETEER_EXECUTABLE_PATH');
        expect(typed.code).toBe('ERR_INVALID_CHROMIUM_PATH');
        expect(typed.path).toBe(missing);
        expect(typed.message).toContain('env PUPPETEER_EXECUTABLE_PATH');
        expect(typed.message).toContain(missing);
    });

    it('probes candidates in order, skipping missing, non-executable and directory entries', () => {
        expect(resolveChromiumExecutable(undefined, { env: {}, candidates: [missing, notExecutable, directory, exe2, exe1] })).toBe(exe2);
    });

    it('throws ChromiumNotFoundError listing what was tried and how to install', () => {
        let error: unknown;
        try {
            resolveChromiumExecutable(undefined, { env: {}, candidates: [missing, notExecutable] });
        } catch (caught) {
            error = caught;
        }
        expect(error).toBeInstanceOf(ChromiumNotFoundError);
        expect(error).toBeInstanceOf(Error);
        const typed = error as ChromiumNotFoundError;
        expect(typed.name).toBe('ChromiumNotFoundError');
        expect(typed.code).toBe('ERR_CHROMIUM_NOT_FOUND');
        expect(typed.tried).toEqual(expect.arrayContaining([missing, notExecutable]));
        expect(typed.message).toContain(missing);
        expect(typed.message).toContain(notExecutable);
        expect(typed.message).toContain('CHROME_PATH');
        expect(typed.message).toContain('apt-get update && apt-get install -y chromium');
    });

    it('finds the system Chromium of this machine through the default candidates', () => {
        expect(knownChromiumPaths('linux').slice(0, 5)).toEqual([
            '/usr/bin/chromium',
            '/usr/bin/chromium-browser',
            '/usr/bin/google-chrome-stable',
            '/usr/bin/google-chrome',
            '/snap/bin/chromium',
        ]);
        expect(knownChromiumPaths('darwin')).toContain('/Applications/Google Chrome.app/Contents/MacOS/Google Chrome');
        expect(knownChromiumPaths('darwin')).toContain('/Applications/Chromium.app/Contents/MacOS/Chromium');
        expect(resolveChromiumExecutable(undefined, { env: {} })).toBe('/usr/bin/chromium');
    });
});

describe('Chromium flags', () => {
    it('adds --no-sandbox only as root, and the closed-network defaults always', () => {
        expect(buildChromiumArgs([], true)).toEqual(['--no-sandbox', ...DEFAULT_CHROMIUM_ARGS]);
        expect(buildChromiumArgs([], false)).toEqual([...DEFAULT_CHROMIUM_ARGS]);
        expect(DEFAULT_CHROMIUM_ARGS).toEqual(
            expect.arrayContaining([
                '--disable-background-networking',
                '--disable-component-update',
                '--disable-dev-shm-usage',
                '--no-first-run',
                '--disable-sync',
                '--disable-gpu',
                '--proxy-bypass-list=<-loopback>',
            ]),
        );
    });

    it('lets a later flag of the same name replace an earlier one, in place', () => {
        expect(mergeChromiumArgs(['--a', '--b=1', '--c'], ['--b=2', '--d'], undefined, ['about:blank'])).toEqual([
            '--a',
            '--b=2',
            '--c',
            '--d',
            'about:blank',
        ]);
        const args = buildChromiumArgs(['--proxy-bypass-list=example.com', '--lang=de'], false);
        expect(args).toContain('--proxy-bypass-list=example.com');
        expect(args).not.toContain('--proxy-bypass-list=<-loopback>');
        expect(args.at(-1)).toBe('--lang=de');
    });
});
