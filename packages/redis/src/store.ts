import { Redis, type RedisOptions } from 'ioredis';
import {
    CorruptStateError,
    InvalidOptionError,
    Log,
    type PersistedPoolState,
    STATE_FORMAT,
    STATE_VERSION,
    type SessionState,
} from '@sessionkit/core';
import {
    type SharedPoolConnection,
    type SharedPoolListener,
    type SharedPoolSettings,
    type SharedSessionStore,
    checkKnownKeys,
    checkDurationSecs,
    checkNumber,
    checkObject,
    checkString,
    redactProxyUrl,
} from '@sessionkit/core/spi';
import { type ConnectionHost, RedisPoolConnection } from './connection.js';
import { RedisUnavailableError } from './errors.js';
import { RedisLink } from './link.js';
import { decodeStats } from './replies.js';
import { type ScriptArgs, settingsArgv } from './scripts.js';

export interface RedisSessionStoreOptions {
    /** Where Redis listens. Default: the REDIS_URL environment variable, else `redis://127.0.0.1:6379`. */
    url?: string;
    /** Which pool: every worker using the same `poolId` (and `keyPrefix`) on the same Redis shares one pool. 1-100 of `A-Z a-z 0-9 _ - .` */
    poolId: string;
    /** Start of every key. Default `'sk:'`: keys are `sk:{<poolId>}:…` (the braces keep a pool in one Redis Cluster slot). */
    keyPrefix?: string;
    /**
     * A lease its worker stops renewing expires after this long, and its session goes back to the pool (a
     * dead worker never keeps sessions). Held leases are renewed every third of it. Default 30.
     */
    leaseTtlSecs?: number;
    /** An ioredis client to use instead of connecting to `url`. The store never closes it (it closes the pub/sub duplicate it makes). */
    redis?: Redis;
    /** How long to wait for Redis when a pool starts. Default 5. */
    connectTimeoutSecs?: number;
    /**
     * Reconnection attempts (100 ms, 200 ms, … then every second) a command waits for when the connection is
     * lost before it fails with RedisUnavailableError. Default 10 (about 6 s). Ignored with `redis`.
     */
    maxRetriesPerRequest?: number;
    /** How long the record of a retired session (its counters, its reason) stays in Redis. Default 3600. */
    retiredSessionTtlSecs?: number;
    /** Default: a Log with prefix 'RedisSessionStore'. */
    log?: Log;
}

const OPTION_KEYS: ReadonlySet<string> = new Set([
    'url',
    'poolId',
    'keyPrefix',
    'leaseTtlSecs',
    'redis',
    'connectTimeoutSecs',
    'maxRetriesPerRequest',
    'retiredSessionTtlSecs',
    'log',
]);

/** Settings used by scripts run outside a pool (load, save): they touch no setting-dependent state. */
const NEUTRAL_HEADER: readonly string[] = settingsArgv({
    worker: 'store',
    random: '0.5',
    maxConcurrencyPerSession: '1',
    maxPoolSize: '1000000000',
    leaseTtlMs: '30000',
    retiredSessionTtlMs: '3600000',
    proxyBanThreshold: '3',
    proxyBenchMs: '30000',
    proxyMaxBenchMs: '600000',
    rateLimitBackoffMs: '1000',
    rateLimitMaxBackoffMs: '60000',
    maxCooldownMs: '600000',
    proxyMode: 'list',
    waiterTtlMs: '5000',
    learnUsageLimit: '0',
    sessionReuseStrategy: 'use-until-failure',
    epoch: '',
});

/**
 * A SharedSessionStore on Redis: `new SessionPool({ store: new RedisSessionStore({ url, poolId }) })` in any
 * number of processes, on any number of machines, gives them one session pool — sessions and their cookies,
 * error scores, usage counts, leases, retirements, cooldowns and proxy health — with every update one atomic
 * Lua script. See the package README for the Redis layout and the guarantees.
 */
export class RedisSessionStore implements SharedSessionStore, ConnectionHost {
    readonly url: string;
    readonly poolId: string;
    /** `<keyPrefix>{<poolId>}:`, the start of every key of this pool. */
    readonly prefix: string;
    readonly leaseTtlMs: number;
    readonly retiredSessionTtlMs: number;
    readonly log: Log;
    private readonly options: RedisSessionStoreOptions;
    private readonly connectTimeoutMs: number;
    private readonly maxRetriesPerRequest: number;
    private link: RedisLink | undefined;
    private linking: Promise<RedisLink> | undefined;
    /** Pools connected plus direct operations (load, save, clear) under way: the link closes when none is left. */
    private users = 0;
    private readonly connections = new Set<RedisPoolConnection>();
    private outage = false;

    constructor(options: RedisSessionStoreOptions) {
        checkObject('RedisSessionStore options', options);
        if (options === undefined) throw new InvalidOptionError('poolId', undefined, 'is required (the name of the shared pool, e.g. "shop-crawl")');
        checkKnownKeys('(of RedisSessionStore)', options as unknown as Record<string, unknown>, OPTION_KEYS);
        if (typeof options.poolId !== 'string' || !/^[\w.-]{1,100}$/.test(options.poolId)) {
            throw new InvalidOptionError('poolId', options.poolId, 'must be 1-100 characters of letters, digits, "_", "-" or "." (the name of the shared pool, e.g. "shop-crawl")');
        }
        checkString('url', options.url);
        const url = options.url ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
        if (!URL.canParse(url) || !/^rediss?:$/.test(new URL(url).protocol)) {
            throw new InvalidOptionError(options.url !== undefined ? 'url' : 'REDIS_URL', url, 'must be a Redis URL such as "redis://127.0.0.1:6379" or "rediss://user:pass@host:6380/0"');
        }
        checkString('keyPrefix', options.keyPrefix, { nonEmpty: false });
        if (options.keyPrefix !== undefined && /[*?[\]\\{}]/.test(options.keyPrefix)) {
            throw new InvalidOptionError('keyPrefix', options.keyPrefix, 'must not contain * ? [ ] \\ { or }');
        }
        checkDurationSecs('leaseTtlSecs', options.leaseTtlSecs);
        checkNumber('leaseTtlSecs', options.leaseTtlSecs, { min: 0.1 });
        checkNumber('connectTimeoutSecs', options.connectTimeoutSecs, { min: 0, exclusiveMin: true });
        checkNumber('maxRetriesPerRequest', options.maxRetriesPerRequest, { min: 0, integer: true });
        checkNumber('retiredSessionTtlSecs', options.retiredSessionTtlSecs, { min: 1 });
        if (options.redis !== undefined && (typeof options.redis !== 'object' || typeof (options.redis as Redis).evalsha !== 'function')) {
            throw new InvalidOptionError('redis', options.redis, 'must be an ioredis client (new Redis(...))');
        }
        if (options.redis !== undefined && options.url !== undefined) {
            throw new InvalidOptionError('url', options.url, 'cannot be combined with an existing redis client (it has its own address)');
        }
        this.options = options;
        this.url = options.redis ? describeClient(options.redis) : redactProxyUrl(url);
        this.poolId = options.poolId;
        this.prefix = `${options.keyPrefix ?? 'sk:'}{${options.poolId}}:`;
        this.leaseTtlMs = Math.round((options.leaseTtlSecs ?? 30) * 1000);
        this.retiredSessionTtlMs = Math.round((options.retiredSessionTtlSecs ?? 3600) * 1000);
        this.connectTimeoutMs = Math.round((options.connectTimeoutSecs ?? 5) * 1000);
        this.maxRetriesPerRequest = options.maxRetriesPerRequest ?? 10;
        this.log = options.log ?? new Log({ prefix: 'RedisSessionStore' });
    }

    // ------------------------------------------------------------------ SharedSessionStore

    /** @internal Called by a SessionPool with this store when it starts (its shared backend connects). */
    async openSharedPool(settings: SharedPoolSettings, listener: SharedPoolListener, log: Log): Promise<SharedPoolConnection> {
        const link = await this.retainLink();
        const connection = new RedisPoolConnection(this, link, settings, listener, log);
        try {
            await connection.start(settings);
        } catch (error) {
            connection.stopHeartbeat();
            await this.releaseLink();
            throw error;
        }
        this.connections.add(connection);
        return connection;
    }

    /** @internal Called by a connection when its pool closes it. */
    async detach(connection: RedisPoolConnection): Promise<void> {
        if (!this.connections.delete(connection)) return;
        await this.releaseLink();
    }

    /** Where the pool lives, for log messages: `redis://host:port sk:{poolId}:` (no password). */
    describe(_key?: string): string {
        return `${this.url} ${this.prefix}`;
    }

    /**
     * A snapshot of the pool (live sessions with their cookies, proxies with their health) in the format
     * of a persisted state, or undefined when the pool has no sessions and no proxies. `key` is ignored:
     * one store is one pool. O(pool size): for backups and inspection, never on a hot path.
     */
    async load(_key?: string): Promise<PersistedPoolState | undefined> {
        return this.withLink(async (link) => {
            const ids: string[] = [];
            let cursor = '0';
            do {
                const [next, batch] = await link.client.sscan(`${this.prefix}live`, cursor, 'COUNT', 1000);
                cursor = next;
                ids.push(...batch);
            } while (cursor !== '0');
            const sessions: SessionState[] = [];
            for (let i = 0; i < ids.length; i += 500) {
                const pipeline = link.client.pipeline();
                for (const id of ids.slice(i, i + 500)) pipeline.hgetall(`${this.prefix}s:${id}`);
                const replies = (await pipeline.exec()) ?? [];
                for (const [error, hash] of replies) {
                    if (error || !hash || typeof hash !== 'object') continue;
                    const state = toSessionState(hash as Record<string, string>, link.skewMs);
                    if (state) sessions.push(state);
                }
            }
            const stats = decodeStats((await link.run('stats', NEUTRAL_HEADER, {})) as unknown[], link.skewMs);
            if (sessions.length === 0 && stats.proxies.length === 0) return undefined;
            return { format: STATE_FORMAT, version: STATE_VERSION, savedAt: new Date().toISOString(), sessions, proxies: stats.proxies };
        });
    }

    /**
     * Imports a saved state (e.g. a FileSessionStore's JSON) into the pool: its sessions whose ids are not in
     * the pool yet, and the health of proxies the pool has not used yet. `key` is ignored.
     * A pool never calls this: its state is in Redis already.
     */
    async save(_key: string, state: PersistedPoolState): Promise<void> {
        if (!state || state.format !== STATE_FORMAT || !Array.isArray(state.sessions) || !Array.isArray(state.proxies)) {
            throw new CorruptStateError(`RedisSessionStore.save() takes a sessionkit pool state ({ format: "${STATE_FORMAT}", sessions, proxies }).`);
        }
        await this.withLink(async (link) => {
            const skew = link.skewMs;
            const now = Date.now();
            for (const proxy of state.proxies) {
                if (typeof proxy?.url !== 'string' || proxy.url === 'direct') continue;
                const benchedUntil = proxy.benchedUntil ? Date.parse(proxy.benchedUntil) : 0;
                const cooldownUntil = proxy.cooldownUntil ? Date.parse(proxy.cooldownUntil) : 0;
                const benched = proxy.state === 'benched' && benchedUntil > now;
                await link.run('importProxy', NEUTRAL_HEADER, {
                    url: proxy.url,
                    state: benched ? 'benched' : proxy.state === 'healthy' ? 'healthy' : 'probation',
                    benchedUntil: benched ? Math.round(benchedUntil + skew) : 0,
                    cooldownUntil: cooldownUntil > now ? Math.round(cooldownUntil + skew) : 0,
                    successes: proxy.successes ?? 0,
                    blocks: proxy.blocks ?? 0,
                    errors: proxy.errors ?? 0,
                    rateLimits: proxy.rateLimits ?? 0,
                    timesBenched: proxy.timesBenched ?? 0,
                    created: proxy.sessionsCreated ?? 0,
                });
            }
            for (const session of state.sessions) {
                const createdAt = Date.parse(session.createdAt);
                const expiresAt = Date.parse(session.expiresAt);
                if (!session.id || !Number.isFinite(createdAt) || !Number.isFinite(expiresAt) || expiresAt <= now) continue;
                const cooldownUntil = session.cooldownUntil ? Date.parse(session.cooldownUntil) : 0;
                const args: ScriptArgs<'import'> = {
                    id: session.id,
                    proxyUrl: session.proxyUrl ?? '',
                    createdAt: Math.round(createdAt + skew),
                    expiresAt: Math.round(expiresAt + skew),
                    usage: session.usageCount,
                    errorScore: session.errorScore,
                    errorCount: session.errorCount ?? 0,
                    maxAgeSecs: session.maxAgeSecs,
                    maxErrorScore: session.maxErrorScore,
                    errorScoreDecrement: session.errorScoreDecrement,
                    maxUsageCount: session.maxUsageCount,
                    cooldownUntil: cooldownUntil > now ? Math.round(cooldownUntil + skew) : 0,
                    warm: session.usageCount > 0 ? '1' : '0',
                    userData: JSON.stringify(session.userData ?? {}),
                    jar: session.cookieJar ? JSON.stringify(session.cookieJar) : '',
                };
                await link.run('import', NEUTRAL_HEADER, args);
            }
        });
    }

    /** Deletes every key of this pool (SCAN + UNLINK). For tests and for starting over; never while workers use the pool. */
    async clear(): Promise<number> {
        return this.withLink(async (link) => {
            let deleted = 0;
            let cursor = '0';
            do {
                const [next, keys] = await link.client.scan(cursor, 'MATCH', `${this.prefix}*`, 'COUNT', 1000);
                cursor = next;
                if (keys.length > 0) deleted += await link.client.unlink(...keys);
            } while (cursor !== '0');
            return deleted;
        });
    }

    /** Closes the pools' connections that are still open (giving their leases back) and the Redis connection. */
    async close(): Promise<void> {
        for (const connection of [...this.connections]) await connection.close();
    }

    /** The ioredis client while a pool (or an operation) uses the store; undefined otherwise. */
    get client(): Redis | undefined {
        return this.link?.client;
    }

    // ------------------------------------------------------------------ the Redis connection

    private async withLink<T>(operation: (link: RedisLink) => Promise<T>): Promise<T> {
        const link = await this.retainLink();
        try {
            return await operation(link);
        } finally {
            await this.releaseLink();
        }
    }

    private async retainLink(): Promise<RedisLink> {
        this.users += 1;
        try {
            if (this.link) return this.link;
            this.linking ??= this.openLink().finally(() => {
                this.linking = undefined;
            });
            return await this.linking;
        } catch (error) {
            this.users -= 1;
            throw error;
        }
    }

    private async releaseLink(): Promise<void> {
        this.users -= 1;
        if (this.users > 0 || !this.link) return;
        const link = this.link;
        this.link = undefined;
        await link.close();
    }

    private clientOptions(): RedisOptions {
        return {
            lazyConnect: true,
            connectTimeout: this.connectTimeoutMs,
            maxRetriesPerRequest: this.maxRetriesPerRequest,
            retryStrategy: (times) => Math.min(times * 100, 1000),
            enableOfflineQueue: true,
            connectionName: `sessionkit:${this.poolId}`,
        };
    }

    private async openLink(): Promise<RedisLink> {
        const given = this.options.redis;
        const client = given ?? new Redis(this.options.url ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', this.clientOptions());
        let lastError: unknown;
        const onError = (error: unknown) => {
            lastError = error;
        };
        client.on('error', onError);
        let skewMs: number;
        let version: string;
        try {
            await this.waitUntilReady(client);
            const before = Date.now();
            const [seconds, micros] = await client.time();
            const after = Date.now();
            skewMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) - (before + after) / 2;
            version = /redis_version:(\S+)/.exec(await client.info('server'))?.[1] ?? '0';
        } catch (error) {
            client.off('error', onError);
            if (!given) client.disconnect();
            throw this.unavailable(lastError ?? error);
        }
        client.off('error', onError);
        if (Number(version.split('.')[0]) < 5) {
            if (!given) client.disconnect();
            throw new RedisUnavailableError(this.url, `Redis at ${this.url} is version ${version}; the shared session pool needs Redis 5 or newer (Lua with TIME in scripts).`);
        }
        const subscriber = client.duplicate({ lazyConnect: true, maxRetriesPerRequest: null, connectionName: `sessionkit:${this.poolId}:events` });
        subscriber.on('error', (error: Error) => this.log.debug(`Pub/sub connection to Redis at ${this.url}: ${error.message}`));
        try {
            await subscriber.connect();
            await subscriber.subscribe(`${this.prefix}events`);
        } catch (error) {
            subscriber.disconnect();
            if (!given) client.disconnect();
            throw this.unavailable(error);
        }
        subscriber.on('message', (_channel: string, message: string) => this.dispatch(message));
        // After a reconnection the events sent meanwhile are lost: waiters look again.
        subscriber.on('ready', () => this.wakeAll());
        client.on('error', (error: Error) => {
            if (this.outage) return;
            this.outage = true;
            this.log.warning(`Lost the connection to Redis at ${this.url} (${error.message}); reconnecting. Updates wait for it (up to ${this.maxRetriesPerRequest} attempts).`);
        });
        client.on('ready', () => {
            if (!this.outage) return;
            this.outage = false;
            this.log.info(`Reconnected to Redis at ${this.url}.`);
            this.wakeAll();
        });
        const link = new RedisLink(client, subscriber, !given, skewMs, version, this.prefix, this.url, given ? given.options.maxRetriesPerRequest : this.maxRetriesPerRequest);
        try {
            await link.loadScripts();
        } catch (error) {
            await link.close();
            throw link.wrap('SCRIPT LOAD', error);
        }
        this.link = link;
        return link;
    }

    private async waitUntilReady(client: Redis): Promise<void> {
        if (client.status === 'ready') return;
        if (client.status === 'wait') {
            await client.connect();
            return;
        }
        await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => {
                cleanup();
                reject(new Error(`not ready after ${this.connectTimeoutMs} ms (status ${client.status})`));
            }, this.connectTimeoutMs);
            const onReady = () => {
                cleanup();
                resolve();
            };
            const onEnd = () => {
                cleanup();
                reject(new Error('Connection is closed.'));
            };
            const cleanup = () => {
                clearTimeout(timer);
                client.off('ready', onReady);
                client.off('end', onEnd);
            };
            client.on('ready', onReady);
            client.on('end', onEnd);
        });
    }

    private unavailable(cause: unknown): RedisUnavailableError {
        const reason = (cause as Error)?.message ?? String(cause);
        if (/NOAUTH|WRONGPASS|invalid password|invalid username/i.test(reason)) {
            return new RedisUnavailableError(
                this.url,
                `Redis at ${this.url} refused the shared session pool "${this.poolId}": ${reason} ` +
                    'Give the credentials in the URL (redis://user:password@host:port) or in the ioredis client passed as "redis".',
                { cause },
            );
        }
        let port = '6379';
        try {
            port = new URL(this.url).port || '6379';
        } catch {
            // a described client
        }
        return new RedisUnavailableError(
            this.url,
            `Cannot connect to Redis at ${this.url} (${reason}) for the shared session pool "${this.poolId}". ` +
                `Start a Redis server there (e.g. \`redis-server --port ${port}\`, or \`docker run -d -p ${port}:6379 redis:7\`), ` +
                'or point the "url" option of RedisSessionStore (or REDIS_URL) at a running one.',
            { cause },
        );
    }

    /** Pub/sub messages: "f", "r <reason> <id>", "b <until> <timesBenched> <url>", "v <timesBenched> <url>", "u <uses>". */
    private dispatch(message: string): void {
        const kind = message[0];
        if (kind === 'f') {
            this.wakeAll();
            return;
        }
        if (kind === 'u') {
            const uses = Number(message.slice(2));
            if (Number.isInteger(uses) && uses > 0) for (const connection of this.connections) connection.listener.usageLimitLearned(uses);
            return;
        }
        const first = message.indexOf(' ', 2);
        if (first < 0) return;
        if (kind === 'r') {
            const reason = message.slice(2, first) as Parameters<SharedPoolListener['sessionRetired']>[1];
            const id = message.slice(first + 1);
            for (const connection of this.connections) connection.listener.sessionRetired(id, reason);
            return;
        }
        const skew = this.link?.skewMs ?? 0;
        if (kind === 'b') {
            const second = message.indexOf(' ', first + 1);
            if (second < 0) return;
            const until = Number(message.slice(2, first)) - skew;
            const times = Number(message.slice(first + 1, second));
            const url = message.slice(second + 1);
            for (const connection of this.connections) connection.listener.proxyChanged(url, 'benched', times, until);
            return;
        }
        if (kind === 'v') {
            const times = Number(message.slice(2, first));
            const url = message.slice(first + 1);
            for (const connection of this.connections) connection.listener.proxyChanged(url, 'probation', times, undefined);
        }
    }

    private wakeAll(): void {
        for (const connection of this.connections) connection.listener.wake();
    }
}

/** The state of one session hash, or undefined for an incomplete one. */
function toSessionState(hash: Record<string, string>, skewMs: number): SessionState | undefined {
    if (!hash.id || hash.r || !hash.ca || !hash.ea) return undefined;
    const state: SessionState = {
        id: hash.id,
        userData: parseJson(hash.ud) ?? {},
        maxAgeSecs: Number(hash.mA),
        maxErrorScore: Number(hash.mE),
        errorScoreDecrement: Number(hash.dE),
        maxUsageCount: Number(hash.mU),
        usageCount: Number(hash.u ?? 0),
        errorScore: Number(hash.e ?? 0),
        errorCount: Number(hash.ec ?? 0),
        createdAt: new Date(Number(hash.ca) - skewMs).toISOString(),
        expiresAt: new Date(Number(hash.ea) - skewMs).toISOString(),
    };
    const jar = parseJson(hash.jar);
    if (jar && Array.isArray((jar as { cookies?: unknown }).cookies) && (jar as { cookies: unknown[] }).cookies.length > 0) {
        state.cookieJar = jar as unknown as SessionState['cookieJar'];
    }
    if (hash.px) state.proxyUrl = hash.px;
    const cooldown = Number(hash.cd ?? 0) - skewMs;
    if (cooldown > Date.now()) state.cooldownUntil = new Date(cooldown).toISOString();
    return state;
}

function parseJson(text: string | undefined): Record<string, unknown> | undefined {
    if (!text) return undefined;
    try {
        const value: unknown = JSON.parse(text);
        return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
    } catch {
        return undefined;
    }
}


function describeClient(client: Redis): string {
    const { host, port, db, path } = client.options;
    if (path) return `redis+unix://${path}`;
    return `redis://${host ?? '127.0.0.1'}:${port ?? 6379}${db ? `/${db}` : ''}`;
}

