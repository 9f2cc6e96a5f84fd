import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';

import {
    CorruptStateError,
    FileSessionStore,
    MemorySessionStore,
    type PersistedPoolState,
    STATE_FORMAT,
    STATE_VERSION,
    Session,
    SessionPool,
    type SessionPoolOptions,
    type SessionStore,
} from '../src/index.js';
import { captureLog, makeTempDir, quietLog, removeTempDir, sleep } from './helpers.js';

const A = 'http://127.0.0.2:8000';
const B = 'http://127.0.0.3:8000';

let dir: string;
const pools: SessionPool[] = [];

beforeEach(async () => {
    dir = await makeTempDir();
});

afterEach(async () => {
    for (const pool of pools.splice(0)) await pool.teardown();
    await removeTempDir(dir);
});

async function openPool(options: SessionPoolOptions): Promise<SessionPool> {
    const pool = await SessionPool.open({ log: quietLog(), ...options });
    pools.push(pool);
    return pool;
}

/** A store that records what the pool asks of it. */
class SpyStore extends MemorySessionStore {
    readonly calls: string[] = [];

    override async load(key: string): Promise<unknown> {
        this.calls.push(`load:${key}`);
        return super.load(key);
    }

    override async save(key: string, state: PersistedPoolState): Promise<void> {
        this.calls.push(`save:${key}`);
        return super.save(key, state);
    }

    override async quarantine(key: string): Promise<string | undefined> {
        this.calls.push(`quarantine:${key}`);
        return super.quarantine(key);
    }

    get saves(): number {
        return this.calls.filter((call) => call.startsWith('save:')).length;
    }
}


/** The folder's files except the lock an open pool holds on its state (state-file.faults.test.ts covers the lock). */
const stateFiles = async (dir: string): Promise<string[]> => (await readdir(dir)).filter((name) => !name.endsWith('.lock'));

describe('FileSessionStore', () => {
    it('writes only when something changed, atomically, without temp files left behind', async () => {
        const store = new FileSessionStore({ directory: dir });
        const pool = await openPool({ store, persist: 'explicit' });
        expect(await pool.persistState()).toBe(false);
        expect(await stateFiles(dir)).toEqual([]);

        const lease = await pool.acquire();
        lease.session.setCookie('sid=1', 'https://example.com/');
        lease.session.markGood();
        lease.release();
        const persisted: { sessions: number; where: string }[] = [];
        pool.on('persisted', (info) => persisted.push(info));
        expect(await pool.persistState()).toBe(true);
        expect(await pool.persistState()).toBe(false);
        const file = join(dir, 'SESSION_POOL_STATE.json');
        expect(await stateFiles(dir)).toEqual(['SESSION_POOL_STATE.json']);
        expect(persisted).toEqual([{ sessions: 1, where: file }]);

        const state = JSON.parse(await readFile(file, 'utf8')) as PersistedPoolState;
        expect(state.format).toBe(STATE_FORMAT);
        expect(state.version).toBe(STATE_VERSION);
        expect(state.sessions).toHaveLength(1);
        expect(state.sessions[0]).toMatchObject({ id: lease.session.id, usageCount: 1 });
        expect(Date.parse(state.savedAt)).toBeGreaterThan(0);

        // Concurrent saves are serialized; the last one wins, and no temp file survives.
        lease.session.userData = { step: 1 };
        const first = pool.persistState();
        lease.session.userData = { step: 2 };
        const second = pool.persistState();
        expect(await Promise.all([first, second])).toEqual([true, true]);
        const last = JSON.parse(await readFile(file, 'utf8')) as PersistedPoolState;
        expect(last.sessions[0]?.userData).toEqual({ step: 2 });
        expect(await stateFiles(dir)).toEqual(['SESSION_POOL_STATE.json']);
    });

    it('drops retired sessions from the state', async () => {
        const store = new FileSessionStore({ directory: dir });
        const pool = await openPool({ store, persist: 'explicit' });
        const [a, b, c] = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()]);
        a!.session.retire();
        b!.session.markBad();
        b!.session.markBad();
        b!.session.markBad();
        for (const lease of [a!, b!, c!]) lease.release();
        await pool.persistState();
        const state = (await store.load('SESSION_POOL_STATE')) as PersistedPoolState;
        expect(state.sessions.map((session) => session.id)).toEqual([c!.session.id]);
    });

    it('round-trips sessions, cookies, usage counts and proxy health through SessionPool.open', async () => {
        const options = {
            store: new FileSessionStore({ directory: dir }),
            persist: true as const,
            proxyConfiguration: { proxyUrls: [A, B] },
            proxyBenchSecs: 60,
            random: () => 0.5,
        };
        const pool = await openPool(options);
        const onA = await pool.addSession({ proxyUrl: A });
        const onB = await pool.addSession({ proxyUrl: B, userData: { account: 'bob' } });
        const lease = await pool.acquire({ sessionId: onB.id });
        lease.session.setCookie('sid=abc; Path=/; HttpOnly', 'https://shop.example.com/');
        lease.session.setCookie('pref=1; Domain=example.com', 'https://shop.example.com/');
        lease.session.markGood();
        lease.session.markGood();
        lease.session.markBad();
        lease.release();
        // Bench A: three blocks in a row.
        for (let i = 0; i < 3; i++) {
            const blocked = await pool.addSession({ proxyUrl: A });
            const blockedLease = await pool.acquire({ sessionId: blocked.id });
            blockedLease.session.retire('blocked');
            blockedLease.release();
        }
        expect(pool.getStats().proxies[0]).toMatchObject({ url: A, state: 'benched' });
        const benchedUntil = pool.getStats().proxies[0]!.benchedUntil;
        await pool.teardown(); // persist: true writes at teardown
        pools.splice(pools.indexOf(pool), 1);

        const reopened = await openPool({ ...options, store: new FileSessionStore({ directory: dir }) });
        // onA sat idle on a benched proxy: it is retired when met, not now.
        expect(reopened.getSessions().map((session) => session.id).sort()).toEqual([onA.id, onB.id].sort());
        const restored = (await reopened.getSession(onB.id))!;
        expect(restored).toBeInstanceOf(Session);
        expect(restored.usageCount).toBe(3);
        expect(restored.errorScore).toBe(1);
        expect(restored.errorCount).toBe(1);
        expect(restored.userData).toEqual({ account: 'bob' });
        expect(restored.proxyUrl).toBe(B);
        expect(restored.createdAtMs).toBe(onB.createdAtMs);
        expect(restored.getCookieString('https://shop.example.com/')).toBe('sid=abc; pref=1');
        expect(restored.getCookieString('https://www.example.com/')).toBe('pref=1');
        const proxies = reopened.getStats().proxies;
        expect(proxies.find((proxy) => proxy.url === A)).toMatchObject({ state: 'benched', blocks: 3, timesBenched: 1, benchedUntil });
        expect(proxies.find((proxy) => proxy.url === B)).toMatchObject({ state: 'healthy', successes: 2, errors: 1, activeSessions: 1 });
        // Restoring is not a change: nothing to write.
        expect(await reopened.persistState()).toBe(false);
        // The restored session is leased like any other, and A still gets nothing.
        const again = await reopened.acquire();
        expect(again.session).toBe(restored);
        again.release();
    });

    it('moves a corrupt file aside, warns and starts fresh', async () => {
        await writeFile(join(dir, 'SESSION_POOL_STATE.json'), '{"format": "sessionkit.session-pool", "sessions": [', 'utf8');
        const { log, lines } = captureLog('warning');
        const pool = await openPool({ store: new FileSessionStore({ directory: dir }), persist: 'explicit', log });
        expect(pool.size).toBe(0);
        const warnings = lines.filter((line) => line.level === 'warning');
        expect(warnings).toHaveLength(1);
        expect(warnings[0]!.message).toMatch(/Ignoring the persisted session pool state and starting with a fresh pool: State file .*SESSION_POOL_STATE\.json is not valid JSON/);
        const files = await stateFiles(dir);
        expect(files).toHaveLength(1);
        expect(files[0]).toMatch(/^SESSION_POOL_STATE\.json\.corrupt-\d+$/);
        expect(warnings[0]!.message).toContain(`moved to ${join(dir, files[0]!)}`);
        // The pool works and writes a fresh file next to the quarantined one.
        (await pool.acquire()).release();
        expect(await pool.persistState()).toBe(true);
        expect((await stateFiles(dir)).sort()).toEqual(['SESSION_POOL_STATE.json', files[0]!]);
    });

    it.each<[string, unknown, RegExp]>([
        ['a foreign JSON document', { foo: 1 }, /format is undefined, expected "sessionkit\.session-pool"/],
        ['another format', { format: 'crawlee', version: 1, sessions: [], proxies: [] }, /format is "crawlee"/],
        ['another version', { format: STATE_FORMAT, version: 2, sessions: [], proxies: [] }, /version 2 is not supported \(expected 1\)/],
        ['sessions that are not an array', { format: STATE_FORMAT, version: 1, sessions: {}, proxies: [] }, /"sessions" is not an array/],
        ['an array', [1, 2], /not an object/],
    ])('ignores %s with a warning', async (_name, document, reason) => {
        await writeFile(join(dir, 'SESSION_POOL_STATE.json'), JSON.stringify(document), 'utf8');
        const { log, lines } = captureLog('warning');
        const pool = await openPool({ store: new FileSessionStore({ directory: dir }), persist: 'explicit', log });
        expect(pool.size).toBe(0);
        expect(lines).toHaveLength(1);
        expect(lines[0]!.level).toBe('warning');
        expect(lines[0]!.message).toMatch(/is not a sessionkit session pool state/);
        expect(lines[0]!.message).toMatch(reason);
        expect((await stateFiles(dir))[0]).toMatch(/\.corrupt-\d+$/);
    });

    it('rejects the whole state when one session entry is bad (never half-loaded)', async () => {
        const store = new FileSessionStore({ directory: dir });
        const first = await openPool({ store, persist: 'explicit' });
        await Promise.all([first.addSession(), first.addSession(), first.addSession()]);
        await first.persistState();
        const state = (await store.load('SESSION_POOL_STATE')) as PersistedPoolState;
        (state.sessions[1] as unknown as Record<string, unknown>).usageCount = 'lots';
        await writeFile(join(dir, 'SESSION_POOL_STATE.json'), JSON.stringify(state), 'utf8');

        const { log, lines } = captureLog('warning');
        const pool = await openPool({ store: new FileSessionStore({ directory: dir }), persist: 'explicit', log });
        expect(pool.size).toBe(0);
        expect(lines).toHaveLength(1);
        expect(lines[0]!.message).toContain(`Session state "${state.sessions[1]!.id}" is invalid`);
        expect(lines[0]!.message).toContain('usageCount');
    });

    it('skips sessions that expired or were used up while stored', async () => {
        const store = new MemorySessionStore();
        const pool = await openPool({ store, persist: 'explicit' });
        const keep = await pool.addSession();
        await pool.persistState();
        const state = JSON.parse(store.getRaw('SESSION_POOL_STATE')!) as PersistedPoolState;
        state.sessions.push({ ...state.sessions[0]!, id: 'old', expiresAt: new Date(Date.now() - 1000).toISOString() });
        state.sessions.push({ ...state.sessions[0]!, id: 'used', usageCount: 50 });
        store.setRaw('SESSION_POOL_STATE', JSON.stringify(state));
        const reopened = await openPool({ store, persist: 'explicit' });
        expect(reopened.getSessions().map((session) => session.id)).toEqual([keep.id]);
    });

    it('keeps at most maxPoolSize restored sessions', async () => {
        const store = new MemorySessionStore();
        const pool = await openPool({ store, persist: 'explicit' });
        await Promise.all(Array.from({ length: 4 }, () => pool.addSession()));
        await pool.persistState();
        const { log, lines } = captureLog('warning');
        const small = await openPool({ store, persist: 'explicit', maxPoolSize: 2, log });
        expect(small.size).toBe(2);
        expect(lines.map((line) => line.message)).toEqual(['memory:SESSION_POOL_STATE held 4 sessions; kept 2 (maxPoolSize).']);
    });
});

describe('persist modes', () => {
    it("'explicit' never writes on its own, but does on persistState()", async () => {
        const store = new SpyStore();
        const pool = await openPool({ store, persist: 'explicit', persistIntervalSecs: 0.02 });
        (await pool.acquire()).release();
        await sleep(100);
        expect(store.saves).toBe(0);
        await pool.teardown();
        pools.splice(pools.indexOf(pool), 1);
        expect(store.saves).toBe(0);
        expect(store.calls).toEqual(['load:SESSION_POOL_STATE']);

        const again = await openPool({ store, persist: 'explicit' });
        (await again.acquire()).release();
        expect(await again.persistState()).toBe(true);
        expect(store.saves).toBe(1);
    });

    it('true writes on its interval when something changed, and at teardown', async () => {
        const store = new SpyStore();
        const pool = await openPool({ store, persist: true, persistIntervalSecs: 0.02 });
        await sleep(80);
        expect(store.saves).toBe(0); // nothing changed yet
        const lease = await pool.acquire();
        for (let i = 0; i < 50 && store.saves === 0; i++) await sleep(20);
        expect(store.saves).toBe(1);
        lease.session.markGood();
        lease.release();
        await pool.teardown();
        pools.splice(pools.indexOf(pool), 1);
        const state = JSON.parse(store.getRaw('SESSION_POOL_STATE')!) as PersistedPoolState;
        expect(state.sessions[0]).toMatchObject({ id: lease.session.id, usageCount: 1 });
    });

    it('teardown persists a pool with persist: true', async () => {
        const store = new MemorySessionStore();
        const pool = await openPool({ store });
        const session = await pool.addSession({ userData: { saved: true } });
        expect(store.getRaw('SESSION_POOL_STATE')).toBeUndefined();
        await pool.teardown();
        pools.splice(pools.indexOf(pool), 1);
        const state = JSON.parse(store.getRaw('SESSION_POOL_STATE')!) as PersistedPoolState;
        expect(state.sessions.map((s) => [s.id, s.userData])).toEqual([[session.id, { saved: true }]]);
    });

    it('false never touches the store', async () => {
        const store = new SpyStore();
        store.setRaw('SESSION_POOL_STATE', '{"not": "loaded"}');
        const pool = await openPool({ store, persist: false, persistIntervalSecs: 0.02 });
        const lease = await pool.acquire();
        lease.session.markGood();
        lease.release();
        await sleep(60);
        await pool.teardown();
        pools.splice(pools.indexOf(pool), 1);
        expect(store.calls).toEqual([]);
        expect(store.getRaw('SESSION_POOL_STATE')).toBe('{"not": "loaded"}');

        const storeless = await openPool({ persist: false });
        await expect(storeless.persistState()).rejects.toThrow(/Option "store" is needed to persist state/);
    });

    it('uses persistStateKey', async () => {
        const store = new FileSessionStore({ directory: dir });
        const pool = await openPool({ store, persist: 'explicit', persistStateKey: 'crawler-1.pool' });
        await pool.addSession();
        await pool.persistState();
        expect(await stateFiles(dir)).toEqual(['crawler-1.pool.json']);
        expect(store.describe('crawler-1.pool')).toBe(join(dir, 'crawler-1.pool.json'));
    });

    it('a failed save keeps the state dirty so the next persist retries', async () => {
        const store = new MemorySessionStore();
        let fail = true;
        const flaky: SessionStore = {
            load: (key) => store.load(key),
            save: async (key, state) => {
                if (fail) throw new Error('disk full');
                await store.save(key, state);
            },
            describe: (key) => `flaky:${key}`,
        };
        const pool = await openPool({ store: flaky, persist: 'explicit' });
        await pool.addSession();
        await expect(pool.persistState()).rejects.toThrow('disk full');
        fail = false;
        expect(await pool.persistState()).toBe(true);
        expect(store.getRaw('SESSION_POOL_STATE')).toContain('"sessions":[{');
    });
});

describe('MemorySessionStore', () => {
    it('stores copies and quarantines unreadable documents', async () => {
        const store = new MemorySessionStore();
        expect(await store.load('k')).toBeUndefined();
        const state: PersistedPoolState = { format: STATE_FORMAT, version: STATE_VERSION, savedAt: new Date().toISOString(), sessions: [], proxies: [] };
        await store.save('k', state);
        state.sessions.push({} as never);
        expect(((await store.load('k')) as PersistedPoolState).sessions).toEqual([]);
        store.setRaw('bad', '{nope');
        await expect(store.load('bad')).rejects.toThrow(CorruptStateError);
        const target = await store.quarantine('bad');
        expect(target).toMatch(/^bad\.corrupt-\d+$/);
        expect(store.getRaw('bad')).toBeUndefined();
        expect(store.getRaw(target!)).toBe('{nope');
        expect(await store.quarantine('missing')).toBeUndefined();
    });

    it('a corrupt in-memory state gives a warning and a fresh pool', async () => {
        const store = new MemorySessionStore();
        store.setRaw('SESSION_POOL_STATE', 'not json');
        const { log, lines } = captureLog('warning');
        const pool = await openPool({ store, persist: 'explicit', log });
        expect(pool.size).toBe(0);
        expect(lines).toHaveLength(1);
        expect(lines[0]!.message).toMatch(/State "SESSION_POOL_STATE" in memory is not valid JSON\. The file was moved to SESSION_POOL_STATE\.corrupt-\d+\./);
    });
});
