import { describe, expect, it } from '@jest/globals';
import { ContextPoolClosedError, SessionResourcePool } from '@sessionkit/browser';

/** A resource that knows whether it was closed; `failFor` keys fail to be created. */
interface Thing {
    key: string;
    args: string;
    closed: boolean;
    busy: boolean;
}

function thingPool(options: { maxOpen?: number; failFor?: Set<string>; delayMs?: number } = {}) {
    const made: Thing[] = [];
    const pool = new SessionResourcePool<Thing, string>({
        ...(options.maxOpen !== undefined ? { maxOpen: options.maxOpen } : {}),
        async create(key, args) {
            if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
            if (options.failFor?.has(key)) throw new Error(`cannot make ${key}`);
            const thing = { key, args, closed: false, busy: false };
            made.push(thing);
            return thing;
        },
        async close(thing) {
            thing.closed = true;
        },
        inUse: (thing) => thing.busy,
        isStale: (thing) => thing.closed,
    });
    return { pool, made };
}

describe('SessionResourcePool', () => {

    it('waits for a resource that is still closing before it makes one over maxOpen', async () => {
        const openAtCreation: number[] = [];
        let open = 0;
        const pool = new SessionResourcePool<string, string>({
            maxOpen: 1,
            async create(key) {
                openAtCreation.push(open);
                open += 1;
                return key;
            },
            async close() {
                await new Promise((resolve) => setTimeout(resolve, 100)); // a browser context takes a while to close
                open -= 1;
            },
        });
        const first = pool.use('s1', 'p');
        await first.resource;
        await pool.retire('s1'); // retired while in use: closed when the use ends
        const releasing = first.release();
        await pool.get('s2', 'p'); // asked while s1 is still closing
        await releasing;
        expect(openAtCreation).toEqual([0, 0]);
        await pool.close();
    });
    it('makes one resource per key, shared by concurrent callers', async () => {
        const { pool, made } = thingPool({ delayMs: 5 });
        const [a, b] = await Promise.all([pool.get('s1', 'p'), pool.get('s1', 'p')]);
        expect(a).toBe(b);
        expect(made).toHaveLength(1);
        expect(pool.argsOf('s1')).toBe('p');
        expect(pool.stats()).toMatchObject({ open: 1, created: 1, pending: 0 });
    });

    it('closes a retired session only once the attempt using it is done', async () => {
        const { pool } = thingPool();
        const use = pool.use('s1', 'p');
        const thing = await use.resource;
        expect(await pool.retire('s1')).toBe(true);
        expect(thing.closed).toBe(false);
        expect(pool.has('s1')).toBe(true);
        await use.release();
        expect(thing.closed).toBe(true);
        expect(pool.has('s1')).toBe(false);
        await use.release(); // idempotent
        expect(pool.stats()).toMatchObject({ open: 0, closed: 1 });
        expect(await pool.retire('s1')).toBe(false);
    });

    it('evicts the least recently used idle resource beyond maxOpen, never one in use', async () => {
        const { pool } = thingPool({ maxOpen: 2 });
        const a = await pool.get('a', '');
        const useB = pool.use('b', '');
        const b = await useB.resource;
        await pool.get('a', ''); // a is now more recent than b, but b is in use
        const c = await pool.get('c', '');
        expect(b.closed).toBe(false);
        expect(a.closed).toBe(true);
        expect(pool.keys()).toEqual(['b', 'c']);
        // Every resource busy: the next one goes over the bound, and the pool shrinks back when a use ends.
        c.busy = true;
        await pool.get('d', '');
        expect(pool.size).toBe(3);
        expect(pool.stats()).toMatchObject({ overLimitCreations: 1, evicted: 1 });
        await useB.release();
        expect(b.closed).toBe(true);
        expect(pool.keys()).toEqual(['c', 'd']);
        expect(pool.stats()).toMatchObject({ evicted: 2, open: 2 });
    });

    it('replaces a resource that died on its own, and forgets a failed creation', async () => {
        const failFor = new Set(['bad']);
        const { pool, made } = thingPool({ failFor });
        const first = await pool.get('s', '');
        first.closed = true;
        const second = await pool.get('s', '');
        expect(second).not.toBe(first);
        await expect(pool.get('bad', '')).rejects.toThrow('cannot make bad');
        expect(pool.has('bad')).toBe(false);
        failFor.clear();
        await expect(pool.get('bad', '')).resolves.toMatchObject({ key: 'bad' });
        expect(made).toHaveLength(3);
        expect(pool.stats()).toMatchObject({ creationFailures: 1, created: 3 });
    });

    it('reset() forgets everything at once, in use or not; close() refuses further use', async () => {
        const { pool } = thingPool({ delayMs: 5 });
        const use = pool.use('a', '');
        const a = await use.resource;
        const pending = pool.get('b', '');
        pool.reset();
        expect(pool.size).toBe(0);
        const b = await pending;
        await new Promise((resolve) => setTimeout(resolve, 10));
        expect([a.closed, b.closed]).toEqual([true, true]);
        await use.release(); // a use of a forgotten resource ends quietly
        const fresh = await pool.get('a', '');
        expect(fresh).not.toBe(a);
        await pool.close();
        expect(fresh.closed).toBe(true);
        expect(() => pool.get('a', '')).toThrow(ContextPoolClosedError);
    });

    it('rejects a bad bound', () => {
        expect(() => new SessionResourcePool({ maxOpen: 0, create: async () => 1, close: async () => undefined })).toThrow(/maxOpen must be an integer >= 1, got 0/);
    });
});
