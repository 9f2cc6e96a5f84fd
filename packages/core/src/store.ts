import { mkdir, open, readFile, rename, rm, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CorruptStateError, InvalidOptionError } from './errors.js';
import { lockStateFile, unlockStateFile } from './state-lock.js';
import type { ProxyStats } from './proxy.js';
import type { SessionState } from './session.js';

export const STATE_FORMAT = 'sessionkit.session-pool';
export const STATE_VERSION = 1;

/** What a pool persists: its live sessions (retired ones are dropped) and what it learned of its proxies. */
export interface PersistedPoolState {
    format: typeof STATE_FORMAT;
    version: typeof STATE_VERSION;
    /** ISO 8601. */
    savedAt: string;
    sessions: SessionState[];
    proxies: ProxyStats[];
}

/**
 * Where a pool keeps its state between runs. Small on purpose: load and save one document per key.
 * Implementations must make `save` atomic (a reader never sees half a document).
 */
export interface SessionStore {
    /** Parsed state under `key`, or undefined when there is none. Throws CorruptStateError when unreadable. */
    load(key: string): Promise<unknown>;
    save(key: string, state: PersistedPoolState): Promise<void>;
    /** Moves an unreadable state out of the way so it is neither reused nor overwritten; returns where it went. */
    quarantine?(key: string): Promise<string | undefined>;
    /** Where `key` lives, for log messages. */
    describe(key: string): string;
    /** The pool that used `key` is torn down: give up whatever holds it (a file lock) after pending saves. */
    unlock?(key: string): Promise<void>;
    close?(): Promise<void>;
}

/** Keeps states in memory (deep-copied, like a real store would). For tests and short-lived pools. */
export class MemorySessionStore implements SessionStore {
    private readonly documents = new Map<string, string>();

    async load(key: string): Promise<unknown> {
        const text = this.documents.get(key);
        if (text === undefined) return undefined;
        try {
            return JSON.parse(text) as unknown;
        } catch (error) {
            throw new CorruptStateError(`State "${key}" in memory is not valid JSON.`, { cause: error });
        }
    }

    async save(key: string, state: PersistedPoolState): Promise<void> {
        this.documents.set(key, JSON.stringify(state));
    }

    async quarantine(key: string): Promise<string | undefined> {
        const text = this.documents.get(key);
        if (text === undefined) return undefined;
        const target = `${key}.corrupt-${Date.now()}`;
        this.documents.set(target, text);
        this.documents.delete(key);
        return target;
    }

    /** Raw document text (tests use it to plant corrupt states). */
    getRaw(key: string): string | undefined {
        return this.documents.get(key);
    }

    setRaw(key: string, text: string): void {
        this.documents.set(key, text);
    }

    describe(key: string): string {
        return `memory:${key}`;
    }
}

export interface FileSessionStoreOptions {
    /** Folder of the state files. Default `$SESSIONKIT_STORAGE_DIR/session-pools`, else `./storage/session-pools`. */
    directory?: string;
}

/**
 * One JSON file per key, written atomically (temp file, fsync, rename). The embedded default store.
 *
 * State files hold logged-in identities (cookies) and proxy credentials: they are created 0600 in a 0700 folder.
 * The first load or save of a key takes an advisory lock on its file for this process (released by `close()` or
 * at exit), so a second process opening the same state fails with StateLockedError instead of overwriting it; temp
 * files left by a writer that was killed are removed then.
 */
export class FileSessionStore implements SessionStore {
    readonly directory: string;
    private writes = new Map<string, Promise<void>>();
    private tempCounter = 0;
    private readonly locked = new Map<string, Promise<void>>();

    constructor(options: FileSessionStoreOptions = {}) {
        const directory = options.directory ?? join(process.env.SESSIONKIT_STORAGE_DIR || 'storage', 'session-pools');
        if (typeof directory !== 'string' || directory.length === 0) {
            throw new InvalidOptionError('store.directory', directory, 'must be a non-empty path');
        }
        this.directory = resolve(directory);
    }

    pathFor(key: string): string {
        if (typeof key !== 'string' || !/^[\w.-]{1,200}$/.test(key) || key.startsWith('.')) {
            throw new InvalidOptionError('persistStateKey', key, 'must be 1-200 characters of letters, digits, "_", "-" or "." (not starting with ".")');
        }
        return join(this.directory, `${key}.json`);
    }

    describe(key: string): string {
        return this.pathFor(key);
    }

    async load(key: string): Promise<unknown> {
        const path = this.pathFor(key);
        await this.lock(key);
        let text: string;
        try {
            text = await readFile(path, 'utf8');
        } catch (error) {
            if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
            throw error;
        }
        try {
            return JSON.parse(text) as unknown;
        } catch (error) {
            throw new CorruptStateError(`State file ${path} is not valid JSON (${(error as Error).message}).`, { cause: error });
        }
    }

    /** Saves are serialized per key so that the newest state always wins. */
    save(key: string, state: PersistedPoolState): Promise<void> {
        const previous = this.writes.get(key) ?? Promise.resolve();
        const next = previous.catch(() => undefined).then(() => this.writeAtomically(key, JSON.stringify(state)));
        this.writes.set(key, next);
        void next.finally(() => {
            if (this.writes.get(key) === next) this.writes.delete(key);
        }).catch(() => undefined);
        return next;
    }

    async quarantine(key: string): Promise<string | undefined> {
        const path = this.pathFor(key);
        const target = `${path}.corrupt-${Date.now()}`;
        try {
            await rename(path, target);
            return target;
        } catch (error) {
            if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
            throw error;
        }
    }

    async delete(key: string): Promise<void> {
        await rm(this.pathFor(key), { force: true });
    }

    async unlock(key: string): Promise<void> {
        const taking = this.locked.get(key);
        if (taking === undefined) return;
        this.locked.delete(key);
        await this.writes.get(key)?.catch(() => undefined);
        if (await taking.then(() => true, () => false)) await unlockStateFile(this.pathFor(key));
    }

    /** Releases every lock this store took. */
    async close(): Promise<void> {
        await Promise.all([...this.locked.keys()].map((key) => this.unlock(key)));
    }

    private lock(key: string): Promise<void> {
        let taking = this.locked.get(key);
        if (taking === undefined) {
            taking = mkdir(this.directory, { recursive: true, mode: 0o700 }).then(() => lockStateFile(this.pathFor(key)));
            // A refused lock is not kept: the next open tries again (the other process may have ended).
            taking.catch(() => this.locked.delete(key));
            this.locked.set(key, taking);
        }
        return taking;
    }

    private async writeAtomically(key: string, text: string): Promise<void> {
        await this.lock(key);
        const path = this.pathFor(key);
        this.tempCounter += 1;
        const temp = `${path}.${process.pid}.${this.tempCounter}.tmp`;
        const handle = await open(temp, 'w', 0o600);
        try {
            await handle.writeFile(text, 'utf8');
            await handle.sync();
        } finally {
            await handle.close();
        }
        try {
            await rename(temp, path);
        } catch (error) {
            await unlink(temp).catch(() => undefined);
            throw error;
        }
    }
}
