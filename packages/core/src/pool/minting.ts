import { InvalidOptionError, SessionUnavailableError } from '../errors.js';
import { validateProxyUrl } from '../proxy.js';
import { Session, type SessionOptions, validateSessionOptions } from '../session.js';
import type { PoolSettings } from './options.js';
import type { SessionPool } from './session-pool.js';

/**
 * Makes the Session of a new pool session: through `createSessionFunction` (checked: it must return a
 * Session owned by the pool), or directly from the pool's limits and userData (no re-validation).
 */
export async function buildSession(pool: SessionPool, settings: PoolSettings, id: string, proxyUrl: string | undefined, now = Date.now()): Promise<Session> {
    const create = settings.createSessionFunction;
    if (create) {
        const sessionOptions = { ...settings.sessionOptions, id, sessionPool: pool, ...(proxyUrl ? { proxyUrl } : {}) };
        const session = await create(pool, { sessionOptions });
        if (!(session instanceof Session)) {
            throw new InvalidOptionError('createSessionFunction', session, 'must return a Session (from @sessionkit/core)');
        }
        if (!session._isOwnedBy(pool)) {
            throw new InvalidOptionError(
                'createSessionFunction',
                session.id,
                'must build its Session from the sessionOptions it is given (they carry sessionPool, without which the pool never hears of retirements)',
            );
        }
        return session;
    }
    const userData = settings.sessionOptions.userData ? structuredClone(settings.sessionOptions.userData) : undefined;
    return new Session({}, { id, limits: settings.sessionLimits, owner: pool, now, proxyUrl, userData });
}

/**
 * The Session that `addSession(options)` adds: a given Session of this pool, or one built from the pool's
 * `sessionOptions` and `options` (validated).
 */
export function sessionToAdd(pool: SessionPool, settings: PoolSettings, options: SessionOptions | Session): Session {
    let session: Session;
    if (options instanceof Session) {
        session = options;
        if (session.retired) throw new SessionUnavailableError(session.id, 'it is retired (a retired session never comes back)');
        if (!session._isOwnedBy(pool)) {
            throw new InvalidOptionError(
                'addSession()',
                session.id,
                'takes a Session built with { sessionPool: pool } for this pool (otherwise the pool never hears of its retirement)',
            );
        }
    } else {
        validateSessionOptions(options, 'addSession()');
        session = new Session({ ...settings.sessionOptions, ...options, sessionPool: pool });
    }
    if (session.proxyUrl !== undefined) validateProxyUrl('proxyUrl', session.proxyUrl);
    return session;
}

/** A session id already in the pool: not a capacity problem, a caller's mistake. */
export function duplicateIdError(id: string): InvalidOptionError {
    return new InvalidOptionError('id', id, 'is taken by a session already in the pool (ids are unique)');
}
