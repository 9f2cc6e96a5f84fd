import { CorruptStateError } from '../errors.js';
import type { Log } from '../log.js';
import type { ProxyStats } from '../proxy.js';
import { Session, type SessionOwner, type SessionState } from '../session.js';
import { type PersistedPoolState, STATE_FORMAT, STATE_VERSION, type SessionStore } from '../store.js';

/** A state document from what a pool holds now. */
export function buildState(sessions: SessionState[], proxies: ProxyStats[], now: number): PersistedPoolState {
    return { format: STATE_FORMAT, version: STATE_VERSION, savedAt: new Date(now).toISOString(), sessions, proxies };
}

/**
 * Reads a pool's state from its store: the usable sessions (rebuilt for `owner`) and the proxies' health, or
 * undefined when there is none. A state that cannot be trusted is never half-loaded: it is moved aside with
 * a warning and the pool starts fresh.
 */
export async function loadState(
    store: SessionStore,
    key: string,
    owner: SessionOwner,
    log: Log,
): Promise<{ sessions: Session[]; proxies: ProxyStats[]; where: string } | undefined> {
    const where = store.describe(key);
    let raw: unknown;
    try {
        raw = await store.load(key);
    } catch (error) {
        if (!(error instanceof CorruptStateError)) throw error;
        await discardState(store, key, error.message, log);
        return undefined;
    }
    if (raw === undefined) return undefined;
    const problem = describeStateProblem(raw);
    if (problem) {
        await discardState(store, key, `${where} is not a sessionkit session pool state (${problem})`, log);
        return undefined;
    }
    const state = raw as PersistedPoolState;
    const now = Date.now();
    const sessions: Session[] = [];
    try {
        for (const sessionState of state.sessions) {
            const session = Session.fromState(sessionState, owner);
            if (session.isUsable(now)) sessions.push(session);
        }
    } catch (error) {
        await discardState(store, key, (error as Error).message, log);
        return undefined;
    }
    return { sessions, proxies: state.proxies, where };
}

async function discardState(store: SessionStore, key: string, reason: string, log: Log): Promise<void> {
    let movedTo: string | undefined;
    try {
        movedTo = await store.quarantine?.(key);
    } catch (error) {
        log.debug(`Could not move the unreadable state aside: ${(error as Error).message}`);
    }
    log.warning(`Ignoring the persisted session pool state and starting with a fresh pool: ${reason}${movedTo ? ` The file was moved to ${movedTo}.` : ''}`);
}

function describeStateProblem(raw: unknown): string | undefined {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return 'not an object';
    const state = raw as Partial<PersistedPoolState>;
    if (state.format !== STATE_FORMAT) return `format is ${JSON.stringify(state.format)}, expected "${STATE_FORMAT}"`;
    if (state.version !== STATE_VERSION) return `version ${JSON.stringify(state.version)} is not supported (expected ${STATE_VERSION})`;
    if (!Array.isArray(state.sessions)) return '"sessions" is not an array';
    if (!Array.isArray(state.proxies)) return '"proxies" is not an array';
    return undefined;
}
