import { ContextPoolClosedError } from './errors.js';

export interface SessionResourcePoolOptions<T, A> {
    /** Makes the resource of a session (`args`: what it is made from, e.g. the session's proxy URL). */
    create(key: string, args: A): Promise<T>;
    /** Frees a resource. Errors are ignored: a resource whose owner is gone (a crashed browser) is gone too. */
    close(resource: T, key: string, args: A): Promise<void>;
    /**
     * Most resources kept (default unbounded). When a new one would exceed it, the least-recently-used idle
     * ones are closed first; when none is idle the new one is made anyway (`overLimitCreations`) and the
     * pool shrinks back as uses end.
     */
    maxOpen?: number;
    /** Busy besides open uses (e.g. a browser context with pages opened outside the pool): never evicted. */
    inUse?(resource: T): boolean;
    /** The resource died on its own (closed behind the pool's back): it is replaced at the next use. */
    isStale?(resource: T): boolean;
    /** Named in errors. Default 'SessionResourcePool'. */
    name?: string;
}

export interface SessionResourcePoolStats {
    /** Made and not closed yet (includes ones over the bound). */
    open: number;
    /** Being made right now. */
    pending: number;
    created: number;
    closed: number;
    /** Of `closed`, how many the LRU bound closed. */
    evicted: number;
    creationFailures: number;
    /** Times a resource was made over `maxOpen` because every other one was in use. */
    overLimitCreations: number;
}

/** One attempt's hold on a session's resource: the resource is neither evicted nor closed until `release()`. */
export interface SessionResourceUse<T> {
    readonly resource: Promise<T>;
    /** Idempotent. Closes the resource if its session was retired meanwhile. */
    release(): Promise<void>;
}

interface Entry<T, A> {
    readonly key: string;
    readonly args: A;
    promise: Promise<T>;
    resource?: T;
    uses: number;
    /** Retired while in use: closed when the last use ends. */
    retiring: boolean;
    disposal?: Promise<void>;
}

/**
 * One resource per session (a browser context, a local proxy server, an HTTP agent…), made on first use,
 * shared by the session's concurrent attempts, bounded with LRU eviction of idle ones. Closing a retired
 * session's resource waits for the attempts still using it; `reset()` forgets everything at once (the browser
 * the resources lived in was replaced).
 */
export class SessionResourcePool<T, A = undefined> {
    readonly maxOpen: number;
    readonly name: string;
    readonly #options: SessionResourcePoolOptions<T, A>;
    /** Map order = LRU order (oldest first). */
    readonly #entries = new Map<string, Entry<T, A>>();
    readonly #disposals = new Set<Promise<void>>();
    #closed = false;
    readonly #stats = { created: 0, closed: 0, evicted: 0, creationFailures: 0, overLimitCreations: 0 };

    constructor(options: SessionResourcePoolOptions<T, A>) {
        const { maxOpen = Number.POSITIVE_INFINITY } = options;
        this.name = options.name ?? 'SessionResourcePool';
        if (maxOpen !== Number.POSITIVE_INFINITY && (!Number.isInteger(maxOpen) || maxOpen < 1)) {
            throw new RangeError(`${this.name} option maxOpen must be an integer >= 1, got ${String(maxOpen)}.`);
        }
        this.maxOpen = maxOpen;
        this.#options = options;
    }

    get size(): number {
        return this.#entries.size;
    }

    /** Keys with a resource (ready or being made), least recently used first. */
    keys(): string[] {
        return [...this.#entries.keys()];
    }

    has(key: string): boolean {
        return this.#entries.has(key);
    }

    /** What the key's resource was made from, when it has one. */
    argsOf(key: string): A | undefined {
        return this.#entries.get(key)?.args;
    }

    /** The key's resource if it is ready (no creation, no LRU touch). */
    peek(key: string): T | undefined {
        return this.#entries.get(key)?.resource;
    }

    stats(): SessionResourcePoolStats {
        let pending = 0;
        for (const entry of this.#entries.values()) if (entry.resource === undefined) pending += 1;
        return { ...this.#stats, open: this.#stats.created - this.#stats.closed, pending };
    }

    /**
     * The key's resource, made on first use. Holds no use: prefer {@link use} when the resource must survive
     * until some work is done. Concurrent calls for one key share one creation.
     */
    get(key: string, args: A): Promise<T> {
        return this.#acquire(key, args).promise;
    }

    /** The key's resource, held until `release()`: it is not evicted, and a retirement waits for it. */
    use(key: string, args: A): SessionResourceUse<T> {
        const entry = this.#acquire(key, args);
        entry.uses += 1;
        let released = false;
        return {
            resource: entry.promise,
            release: async () => {
                if (released) return;
                released = true;
                entry.uses -= 1;
                if (entry.uses > 0) return;
                if (entry.retiring && this.#entries.get(key) === entry) {
                    this.#entries.delete(key);
                    await this.#dispose(entry);
                } else if (this.#entries.size > this.maxOpen) {
                    await this.trim();
                }
            },
        };
    }

    /** The session left: close its resource now, or when its last use ends. `false` if it had none. */
    async retire(key: string): Promise<boolean> {
        const entry = this.#entries.get(key);
        if (entry === undefined) return false;
        if (entry.uses > 0) {
            entry.retiring = true;
            return true;
        }
        this.#entries.delete(key);
        await this.#dispose(entry);
        return true;
    }

    /** Closes the key's resource now, in use or not. Idempotent; `false` if there was none. */
    async delete(key: string): Promise<boolean> {
        const entry = this.#entries.get(key);
        if (entry === undefined) return false;
        this.#entries.delete(key);
        await this.#dispose(entry);
        return true;
    }

    /**
     * Forgets every resource at once and closes them in the background (their owner, e.g. a browser, was
     * replaced): the next use of any key makes a new one. Creations in flight are closed when they land.
     */
    reset(): void {
        const entries = [...this.#entries.values()];
        this.#entries.clear();
        for (const entry of entries) void this.#dispose(entry);
    }

    /** Closes every resource (waiting for those being made). The pool stays usable. */
    async closeAll(): Promise<void> {
        const entries = [...this.#entries.values()];
        this.#entries.clear();
        await Promise.all(entries.map((entry) => this.#dispose(entry)));
        await Promise.all([...this.#disposals]);
    }

    /** Closes every resource; the pool cannot be used afterwards. Idempotent. */
    async close(): Promise<void> {
        this.#closed = true;
        await this.closeAll();
    }

    /** Closes idle least-recently-used resources until the pool is within `maxOpen`. */
    trim(): Promise<void> {
        return this.#trim(undefined);
    }

    async #trim(creating: Entry<T, A> | undefined): Promise<void> {
        let excess = this.#entries.size - this.maxOpen;
        if (excess <= 0) return;
        const victims: Entry<T, A>[] = [];
        for (const entry of this.#entries.values()) {
            if (excess <= 0) break;
            if (entry === creating || !this.#isIdle(entry)) continue;
            victims.push(entry);
            excess -= 1;
        }
        for (const victim of victims) this.#entries.delete(victim.key);
        if (excess > 0 && creating !== undefined) this.#stats.overLimitCreations += 1;
        this.#stats.evicted += victims.length;
        await Promise.all(victims.map((victim) => this.#dispose(victim)));
    }

    #acquire(key: string, args: A): Entry<T, A> {
        if (this.#closed) {
            throw new ContextPoolClosedError(`Cannot get the resource of "${key}": this ${this.name} was closed (close()). Create a new one.`);
        }
        const existing = this.#entries.get(key);
        if (existing !== undefined) {
            if (existing.resource === undefined || !this.#options.isStale?.(existing.resource)) {
                this.#entries.delete(key);
                this.#entries.set(key, existing);
                return existing;
            }
            this.#entries.delete(key);
            void this.#dispose(existing);
        }
        // Registered before creation starts, so trim() counts it and concurrent callers find it.
        const entry = { key, args, uses: 0, retiring: false } as Entry<T, A>;
        this.#entries.set(key, entry);
        entry.promise = this.#create(entry);
        // Callers get the rejection; this only keeps a failed creation from being an unhandled rejection.
        entry.promise.catch(() => undefined);
        return entry;
    }

    async #create(entry: Entry<T, A>): Promise<T> {
        try {
            await this.#trim(entry);
            // Resources still closing are still open (a context in the browser): let them go before going over the bound.
            if (this.#disposals.size > 0 && this.#entries.size + this.#disposals.size > this.maxOpen) await Promise.all([...this.#disposals]);
            const resource = await this.#options.create(entry.key, entry.args);
            entry.resource = resource;
            this.#stats.created += 1;
            return resource;
        } catch (error) {
            this.#stats.creationFailures += 1;
            if (this.#entries.get(entry.key) === entry) this.#entries.delete(entry.key);
            throw error;
        }
    }

    #isIdle(entry: Entry<T, A>): boolean {
        const { resource } = entry;
        if (resource === undefined || entry.uses > 0) return false;
        if (this.#options.isStale?.(resource)) return true;
        return !this.#options.inUse?.(resource);
    }

    #dispose(entry: Entry<T, A>): Promise<void> {
        if (entry.disposal !== undefined) return entry.disposal;
        const disposal = (async () => {
            let resource: T;
            try {
                resource = await entry.promise;
            } catch {
                return; // Creation failed and cleaned up after itself.
            }
            try {
                await this.#options.close(resource, entry.key, entry.args);
            } catch {
                // The owner is gone or hung: nothing more to release on its side.
            }
            this.#stats.closed += 1;
        })();
        entry.disposal = disposal;
        this.#disposals.add(disposal);
        void disposal.finally(() => this.#disposals.delete(disposal));
        return disposal;
    }
}
