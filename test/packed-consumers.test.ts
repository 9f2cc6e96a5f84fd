// The packages as a user gets them: packed with `pnpm pack`, installed with plain npm into an empty project
// outside the workspace, and used from ESM, strict TypeScript and CommonJS against the bundled simulator.
import { describe, expect, it, beforeAll, afterAll } from '@jest/globals';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = join(root, 'test', 'packed-consumers');

interface Manifest {
    name: string;
    private?: boolean;
    [field: string]: unknown;
}

const readJson = (path: string): Manifest => JSON.parse(readFileSync(path, 'utf8')) as Manifest;
const publishable = readdirSync(join(root, 'packages'))
    .map((dir) => ({ dir: join(root, 'packages', dir), manifest: readJson(join(root, 'packages', dir, 'package.json')) }))
    .filter(({ manifest }) => manifest.private !== true);

/** pnpm as the test command was started with, else the version the repository pins. */
function pnpmCommand(): [string, string[]] {
    const execPath = process.env.npm_execpath;
    if (execPath !== undefined && /pnpm/.test(execPath)) return [process.execPath, [execPath]];
    const pinned = String(readJson(join(root, 'package.json')).packageManager);
    return ['npx', ['-y', pinned]];
}

let scratch: string;
let project: string;
const tarballs: string[] = [];
const packed = new Map<string, Manifest>();

beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'sessionkit-packed-'));
    const tarballDir = join(scratch, 'tarballs');
    mkdirSync(tarballDir);
    const [pnpm, pnpmArgs] = pnpmCommand();
    for (const { dir, manifest } of publishable) {
        const { stdout } = await run(pnpm, [...pnpmArgs, 'pack', '--json', '--pack-destination', tarballDir], { cwd: dir });
        const tarball = (JSON.parse(stdout) as { filename: string }).filename;
        tarballs.push(tarball);
        // The manifest inside the tarball is what npm sees: pnpm rewrites workspace: ranges while packing.
        const unpacked = join(scratch, 'unpacked', manifest.name.replace('/', '__'));
        mkdirSync(unpacked, { recursive: true });
        await run('tar', ['-xzf', tarball, '-C', unpacked]);
        packed.set(manifest.name, readJson(join(unpacked, 'package', 'package.json')));
    }

    project = join(scratch, 'consumer');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'sessionkit-consumer', private: true, version: '0.0.0' }));
    for (const file of ['quick-start.mjs', 'quick-start.mts', 'require.cjs', 'tsconfig.json']) {
        copyFileSync(join(fixtures, file), join(project, file));
    }
    const nodeTypes = `@types/node@${String((readJson(join(root, 'package.json')).devDependencies as Record<string, string>)['@types/node'])}`;
    await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs, nodeTypes], {
        cwd: project,
        maxBuffer: 16 * 1024 * 1024,
    });
}, 600_000);

afterAll(() => {
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

describe('packed packages', () => {
    it.each(publishable.map(({ manifest }) => manifest.name))('%s has the metadata a registry user needs', (name) => {
        const manifest = packed.get(name)!;
        for (const field of ['description', 'license', 'repository', 'homepage', 'keywords', 'engines', 'files', 'exports', 'types']) {
            expect({ field, present: manifest[field] !== undefined }).toEqual({ field, present: true });
        }
        expect(JSON.stringify(manifest)).not.toContain('workspace:');
        const exportsMap = manifest.exports as Record<string, Record<string, string>>;
        expect(exportsMap['.']).toEqual(expect.objectContaining({ types: expect.any(String), import: expect.any(String), default: expect.any(String) }));
    });

    it('install with plain npm into a project outside the workspace', () => {
        const installed = createRequire(join(project, 'package.json'));
        for (const { manifest } of publishable) {
            expect(dirname(installed.resolve(`${manifest.name}/package.json`))).toBe(join(project, 'node_modules', manifest.name));
        }
    });

    it('run the README quick start as an ESM consumer', async () => {
        const { stdout } = await run(process.execPath, ['quick-start.mjs'], { cwd: project, timeout: 120_000 });
        expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({ consumer: 'esm', finished: 20, failed: 0 });
    }, 150_000);

    it('typecheck as strict TypeScript with nodenext resolution and skipLibCheck off, then run', async () => {
        const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
        await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project, timeout: 240_000 }).catch((error: { stdout?: string }) => {
            throw new Error(`tsc failed in the consumer project:\n${error.stdout ?? String(error)}`);
        });
        const { stdout } = await run(process.execPath, [join('out', 'quick-start.mjs')], { cwd: project, timeout: 120_000 });
        expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({ consumer: 'typescript', finished: 20, failed: 0 });
    }, 400_000);

    it('load with require() from a CommonJS consumer', async () => {
        const { stdout } = await run(process.execPath, ['require.cjs'], { cwd: project, timeout: 60_000 });
        const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as { consumer: string; exported: Record<string, number> };
        expect(result.consumer).toBe('commonjs');
        for (const { manifest } of publishable) expect(result.exported[manifest.name]).toBeGreaterThan(0);
    }, 90_000);
});
