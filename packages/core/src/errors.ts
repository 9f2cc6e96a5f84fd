/** Base class of every error sessionkit throws on purpose; `code` is stable and machine-readable. */
export class SessionkitError extends Error {
    readonly code: string;

    constructor(code: string, message: string, options?: { cause?: unknown }) {
        super(message, options);
        this.name = new.target.name;
        this.code = code;
    }
}

/** An option has a value that cannot work. The message names the option, the value and what is expected. */
export class InvalidOptionError extends SessionkitError {
    readonly option: string;
    readonly value: unknown;

    constructor(option: string, value: unknown, expectation: string) {
        super('ERR_INVALID_OPTION', `Option "${option}" ${expectation}, got ${describeValue(value)}.`);
        this.option = option;
        this.value = value;
    }
}

/** `acquire()` waited longer than its timeout for a session to become free. */
export class SessionPoolTimeoutError extends SessionkitError {
    constructor(message: string) {
        super('ERR_SESSION_POOL_TIMEOUT', message);
    }
}

/** The pool cannot take another session (`addSession` on a full pool, a duplicate id, …). */
export class SessionPoolCapacityError extends SessionkitError {
    constructor(message: string) {
        super('ERR_SESSION_POOL_CAPACITY', message);
    }
}

/** A specific session was asked for (`acquire({ sessionId })`) but it is retired or unknown. */
export class SessionUnavailableError extends SessionkitError {
    readonly sessionId: string;

    constructor(sessionId: string, reason: string) {
        super('ERR_SESSION_UNAVAILABLE', `Session "${sessionId}" is not available: ${reason}.`);
        this.sessionId = sessionId;
    }
}

/** The pool was used after `teardown()`. */
export class SessionPoolClosedError extends SessionkitError {
    constructor(operation: string) {
        super('ERR_SESSION_POOL_CLOSED', `Cannot ${operation}: the session pool has been torn down.`);
    }
}

/** A persisted state could not be read as a session pool state. */
export class CorruptStateError extends SessionkitError {
    constructor(message: string, options?: { cause?: unknown }) {
        super('ERR_CORRUPT_STATE', message, options);
    }
}

export function describeValue(value: unknown): string {
    if (typeof value === 'string') return JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);
    if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
    if (typeof value === 'function') return `a function`;
    if (Array.isArray(value)) {
        try {
            const json = JSON.stringify(value);
            return json.length > 200 ? `an array of ${value.length} items` : json;
        } catch {
            return `an array of ${value.length} items`;
        }
    }
    try {
        const json = JSON.stringify(value);
        return json === undefined ? typeof value : json.length > 200 ? `an object` : json;
    } catch {
        return 'an object';
    }
}

/** Another live process holds the state file of this key: two writers would overwrite each other's sessions. */
export class StateLockedError extends SessionkitError {
    readonly path: string;
    readonly holderPid: number;

    constructor(path: string, holder: { pid: number; hostname: string; since: string }) {
        super(
            'ERR_STATE_LOCKED',
            `State file ${path} is in use by process ${holder.pid} on ${holder.hostname} (since ${holder.since}); ` +
                `two processes saving one state overwrite each other's sessions. Give each process its own ` +
                `persistStateKey (or store directory), or share one pool between processes with @sessionkit/redis ` +
                `(RedisSessionStore). If that process is gone, delete ${path}.lock.`,
        );
        this.path = path;
        this.holderPid = holder.pid;
    }
}
