import { readdirSync, unlinkSync } from 'node:fs';
import { open, readFile, unlink } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';

import { StateLockedError } from './errors.js';

/**
 * Advisory lock of one state file, so that a second process opening the same state fails loudly instead of
 * silently overwriting the first one's sessions. The lock is a `<state>.lock` file holding the owner's pid; a lock
 * whose owner is no longer alive (on this host) is stale and taken over. Locks are per process: pools of one
 * process share them, since within a process the way to share is one pool object.
 */
interface LockRecord {
    pid: number;
    hostname: string;
    since: string;
}

/** Lock files this process holds, removed at exit even when nobody calls release (a crash still leaves them stale). */
const held = new Map<string, number>();
let exitHookInstalled = false;

function installExitHook(): void {
    if (exitHookInstalled) return;
    exitHookInstalled = true;
    process.once('exit', () => {
        for (const lockPath of held.keys()) {
            try {
                unlinkSync(lockPath);
            } catch {
                // already gone
            }
        }
    });
}

function isAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (error) {
        // EPERM: alive, owned by another user.
        return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
}

async function readRecord(lockPath: string): Promise<LockRecord | undefined> {
    try {
        const parsed = JSON.parse(await readFile(lockPath, 'utf8')) as Partial<LockRecord>;
        if (typeof parsed.pid !== 'number' || typeof parsed.hostname !== 'string') return undefined;
        return { pid: parsed.pid, hostname: parsed.hostname, since: String(parsed.since) };
    } catch {
        return undefined;
    }
}

/**
 * Takes the lock of `statePath` for this process (re-entrant), then removes temp files that a killed writer of
 * this state left behind. Throws {@link StateLockedError} when another live process holds it.
 */
export async function lockStateFile(statePath: string): Promise<void> {
    const lockPath = `${statePath}.lock`;
    const count = held.get(lockPath);
    if (count !== undefined) {
        held.set(lockPath, count + 1);
        return;
    }
    const record: LockRecord = { pid: process.pid, hostname: hostname(), since: new Date().toISOString() };
    // Two tries: the second follows the removal of a stale lock, and can only lose to a process that took it over.
    for (let attempt = 0; attempt < 2; attempt += 1) {
        try {
            const handle = await open(lockPath, 'wx', 0o600);
            try {
                await handle.writeFile(JSON.stringify(record));
            } finally {
                await handle.close();
            }
            held.set(lockPath, 1);
            installExitHook();
            removeOrphanedTemps(statePath);
            return;
        } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        }
        // An unreadable lock may be one another process has created but not yet written: look once more.
        const holder = (await readRecord(lockPath)) ?? (await delay(50).then(() => readRecord(lockPath)));
        // Stale: unreadable (its writer was killed between create and write), or its owner is dead on this host,
        // or it names this very pid (a container restarted with the same pid: that owner is gone).
        const stale = holder === undefined || holder.pid === process.pid || (holder.hostname === record.hostname && !isAlive(holder.pid));
        if (!stale) throw new StateLockedError(statePath, holder);
        await unlink(lockPath).catch(() => undefined);
    }
    throw new StateLockedError(statePath, (await readRecord(lockPath)) ?? { pid: 0, hostname: 'unknown', since: 'unknown' });
}

/** Gives the lock back once every opener of this process released it. */
export async function unlockStateFile(statePath: string): Promise<void> {
    const lockPath = `${statePath}.lock`;
    const count = held.get(lockPath);
    if (count === undefined) return;
    if (count > 1) {
        held.set(lockPath, count - 1);
        return;
    }
    held.delete(lockPath);
    await unlink(lockPath).catch(() => undefined);
}

/** Temp files of this state (`<state>.<pid>.<n>.tmp`) whose writer was killed: the lock says nobody else writes. */
function removeOrphanedTemps(statePath: string): void {
    const prefix = `${basename(statePath)}.`;
    const ours = `${prefix}${process.pid}.`;
    let names: string[];
    try {
        names = readdirSync(dirname(statePath));
    } catch {
        return;
    }
    for (const name of names) {
        if (name.startsWith(prefix) && name.endsWith('.tmp') && !name.startsWith(ours)) {
            try {
                unlinkSync(join(dirname(statePath), name));
            } catch {
                // raced with another cleanup
            }
        }
    }
}
