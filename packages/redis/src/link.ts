import type { Redis } from 'ioredis';
import { redactCredentials, sanitizeError } from '@sessionkit/core/spi';
import { PoolStateLostError, RedisScriptError, RedisUnavailableError, isConnectionProblem, isStateLost } from './errors.js';
import { SCRIPTS, type ScriptArgs, type ScriptName, scriptArgv } from './scripts.js';

/**
 * One connection to Redis shared by the pools (workers) of a store: the command client, the pub/sub
 * subscriber, the clock difference with the server. Runs the scripts (EVALSHA, loading them when Redis
 * does not know them, e.g. after a restart).
 */
export class RedisLink {
    constructor(
        readonly client: Redis,
        readonly subscriber: Redis,
        private readonly ownsClient: boolean,
        /** Redis server time minus this machine's time, in ms. Scripts use the server's clock. */
        readonly skewMs: number,
        readonly serverVersion: string,
        private readonly keyPrefix: string,
        private readonly safeUrl: string,
        private readonly retries: number | null | undefined,
    ) {}

    /**
     * Loads every script into Redis' script cache, so that EVALSHA never misses in normal operation: a miss
     * would re-send that one script after the commands queued behind it, changing their order.
     */
    async loadScripts(): Promise<void> {
        await Promise.all(Object.values(SCRIPTS).map((script) => this.client.script('LOAD', script.source)));
    }

    /** Runs a script with the settings header (ARGV[1..16]) and its named arguments. */
    async run<N extends ScriptName>(name: N, settings: readonly string[], args: ScriptArgs<N>): Promise<unknown> {
        const script = SCRIPTS[name];
        const argv = scriptArgv(name, settings, args);
        try {
            return await this.client.evalsha(script.sha, 1, this.keyPrefix, ...argv);
        } catch (error) {
            if (!isNoScript(error)) throw this.wrap(name, error);
        }
        // NOSCRIPT (Redis restarted or its script cache was flushed): the script did not run. EVAL runs it and
        // caches it again for the next EVALSHA.
        try {
            return await this.client.eval(script.source, 1, this.keyPrefix, ...argv);
        } catch (error) {
            throw this.wrap(name, error);
        }
    }

    wrap(operation: string, error: unknown): Error {
        if (isStateLost(error)) return new PoolStateLostError(operation);
        const message = (error as Error)?.message ?? String(error);
        if (isConnectionProblem(error)) {
            return new RedisUnavailableError(
                this.safeUrl,
                `Lost the connection to Redis at ${this.safeUrl} (${operation}: ${message}) and it did not come back within ` +
                    `${this.retries ?? 'the'} reconnection attempts. Nothing was half-written (every update of the shared pool is one atomic script): ` +
                    'the operation can be retried once Redis is back.',
                { cause: sanitizeError(error) },
            );
        }
        // ioredis' error carries the command's arguments (proxy URLs with their passwords): keep a clean copy.
        return new RedisScriptError(operation, `Redis refused the "${operation}" script of the shared session pool: ${redactCredentials(message)}`, {
            cause: sanitizeError(error),
        });
    }

    async close(): Promise<void> {
        await quit(this.subscriber);
        if (this.ownsClient) await quit(this.client);
    }
}

function isNoScript(error: unknown): boolean {
    return typeof (error as Error)?.message === 'string' && (error as Error).message.startsWith('NOSCRIPT');
}

/** QUIT when connected (pending replies arrive first), otherwise just drop the connection attempts. */
async function quit(client: Redis): Promise<void> {
    if (client.status === 'ready') {
        try {
            await Promise.race([client.quit(), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
        } catch {
            // already closing
        }
    }
    client.disconnect();
}
