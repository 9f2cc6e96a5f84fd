// What a state file on disk promises beyond atomic writes: it is private to its user, one process owns it at a
// time, and what a killed writer left behind is cleaned up.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdir, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';

import { FileSessionStore, SessionPool, StateLockedError } from '../src/index.js';
import { makeTempDir, quietLog, removeTempDir } from './helpers.js';

const coreEntry = resolve('packages/core/src/index.ts');
// The tsx loader, not its CLI: the CLI runs the script in a grandchild, and the test needs the holder's own pid.
const tsxLoader = pathToFileURL(resolve('node_modules/tsx/dist/esm/index.mjs')).href;

let dir: string;
const children: ChildProcess[] = [];

beforeEach(async () => {
    dir = join(await makeTempDir(), 'state');
});

afterEach(async () => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    await removeTempDir(resolve(dir, '..'));
});

const open = (key = 'SESSION_POOL_STATE') =>
    SessionPool.open({ persist: 'explicit', persistStateKey: key, store: new FileSessionStore({ directory: dir }), log: quietLog() });

/** Another process with a pool on the same state, ready once it printed "ready". */
async function openInAnotherProcess(): Promise<ChildProcess> {
    const script = `
        import { FileSessionStore, SessionPool } from ${JSON.stringify(pathToFileURL(coreEntry).href)};
        const pool = await SessionPool.open({ persist: 'explicit', store: new FileSessionStore({ directory: ${JSON.stringify(dir)} }) });
        await pool.addSession();
        await pool.persistState();
        console.log('ready');
        setInterval(() => {}, 1000);
    `;
    const file = join(resolve(dir, '..'), `holder-${children.length}.mts`);
    await writeFile(file, script);
    const child = spawn(process.execPath, ['--import', tsxLoader, file], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    await new Promise<void>((ready, fail) => {
        child.stdout!.on('data', (chunk: Buffer) => {
            if (chunk.toString().includes('ready')) ready();
        });
        child.once('exit', (code) => fail(new Error(`the other process exited with ${code} before it was ready`)));
    });
    return child;
}

describe('FileSessionStore on disk', () => {
    it('creates state files readable by their owner only, in a folder only the owner can enter', async () => {
        const pool = await open();
        await pool.addSession();
        await pool.persistState();
        expect((await stat(dir)).mode & 0o777).toBe(0o700);
        expect((await stat(join(dir, 'SESSION_POOL_STATE.json'))).mode & 0o777).toBe(0o600);
        await pool.teardown();
    });

    it('refuses a second process opening the same state, naming the holder and the Redis store', async () => {
        const other = await openInAnotherProcess();
        const refused = await open().then(
            () => undefined,
            (error: unknown) => error,
        );
        expect(refused).toBeInstanceOf(StateLockedError);
        expect((refused as StateLockedError).holderPid).toBe(other.pid);
        expect((refused as Error).message).toMatch(/in use by process \d+ .*persistStateKey.*@sessionkit\/redis/);
    }, 30_000);

    it('takes over the state of a process that was killed, and removes the temp files it left', async () => {
        const other = await openInAnotherProcess();
        const orphan = join(dir, `SESSION_POOL_STATE.json.${other.pid}.7.tmp`);
        await writeFile(orphan, '{"half":');
        other.kill('SIGKILL');
        await new Promise((exited) => other.once('exit', exited));

        const pool = await open();
        expect(pool.getStats().sessions).toBe(1); // the killed process's saved session
        expect(await readdir(dir)).not.toContain(orphan.slice(dir.length + 1));
        await pool.teardown();
    }, 30_000);

    it('gives the state back at teardown, so another process can open it', async () => {
        const pool = await open();
        await pool.teardown();
        expect(await readdir(dir)).not.toContain('SESSION_POOL_STATE.json.lock');
        await expect(openInAnotherProcess()).resolves.toBeDefined();
    }, 30_000);

    it('lets pools of one process share a state (the lock is per process)', async () => {
        const first = await open();
        const second = await open();
        await first.teardown();
        await expect(second.persistState()).resolves.toBe(false);
        await second.teardown();
    });
});
