import { SharedStoreUnavailableError } from '@sessionkit/core';

/**
 * Redis cannot be reached: nothing answers at the URL when the pool starts, or the connection was lost
 * mid-crawl and did not come back within the retries. Nothing was half-written: every update of the
 * shared pool is one atomic Lua script.
 */
export class RedisUnavailableError extends SharedStoreUnavailableError {
    /** The Redis URL, without its password. */
    readonly url: string;

    constructor(url: string, message: string, options?: { cause?: unknown }) {
        super(message, options);
        this.url = url;
    }
}

/** Redis answered with an error to a script (a bug, or a server refusing writes such as OOM): the update did not happen. */
export class RedisScriptError extends Error {
    readonly script: string;

    constructor(script: string, message: string, options?: { cause?: unknown }) {
        super(message, options);
        this.name = 'RedisScriptError';
        this.script = script;
    }
}

const CONNECTION_PROBLEM =
    /Connection is closed|Stream isn't writeable|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN|Command timed out|max retries per request|LOADING|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN/i;

/** Whether an ioredis error means "Redis is not reachable (now)" rather than "Redis refused this command". */
export function isConnectionProblem(error: unknown): boolean {
    if (!error || typeof error !== 'object') return false;
    const { name, message, code } = error as { name?: string; message?: string; code?: string };
    return name === 'MaxRetriesPerRequestError' || CONNECTION_PROBLEM.test(message ?? '') || (code !== undefined && CONNECTION_PROBLEM.test(code));
}

/**
 * A script found that the pool this worker registered in is gone (Redis restarted empty, or its keys were
 * deleted): it wrote nothing. Internal: the connection re-registers and runs the call again.
 */
export class PoolStateLostError extends Error {
    constructor(script: string) {
        super(`The shared pool state is gone (seen by the "${script}" script).`);
        this.name = 'PoolStateLostError';
    }
}

/** Whether Redis answered a script with the "state lost" error of prelude.lua. */
export function isStateLost(error: unknown): boolean {
    return typeof (error as Error)?.message === 'string' && (error as Error).message.startsWith('SKLOST');
}
