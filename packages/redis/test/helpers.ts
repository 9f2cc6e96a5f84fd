import { Redis } from 'ioredis';
import { Log, type SessionPool, SessionPool as Pool, type SessionPoolOptions } from '@sessionkit/core';
import type { SharedPoolConnection } from '@sessionkit/core/spi';
import { closedPort } from '@sessionkit/test-utils';
import { RedisSessionStore, type RedisSessionStoreOptions } from '../src/index.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export { sleep, waitFor } from '@sessionkit/test-utils';

let counter = 0;
/** A pool id no other test (or test run) uses. */
export function uniquePoolId(name: string): string {
    counter += 1;
    return `t-${name}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

export function quietLog(): Log {
    return new Log({ level: 'off' });
}

/** A Log that records its lines. */
export function captureLog(): { log: Log; lines: { level: string; message: string }[] } {
    const lines: { level: string; message: string }[] = [];
    const log = new Log({ level: 'debug', sink: (level, _prefix, message) => lines.push({ level, message }) });
    return { log, lines };
}

/**
 * Stores and pools made by one test file; `cleanup()` tears the pools down and deletes every key of every
 * pool id used (each test uses its own pool id).
 */
export class Fixture {
    readonly pools: SessionPool[] = [];
    readonly poolIds = new Set<string>();

    store(poolId: string, options: Partial<RedisSessionStoreOptions> = {}): RedisSessionStore {
        this.poolIds.add(poolId);
        return new RedisSessionStore({ url: REDIS_URL, poolId, log: quietLog(), ...options });
    }

    /** `new SessionPool({ store })` (the documented way), initialized. */
    async pool(poolId: string, options: SessionPoolOptions = {}, storeOptions: Partial<RedisSessionStoreOptions> = {}): Promise<SessionPool> {
        const pool = new Pool({ store: this.store(poolId, storeOptions), log: quietLog(), ...options });
        this.pools.push(pool);
        await pool.initialize();
        return pool;
    }

    async cleanup(): Promise<void> {
        for (const pool of this.pools.splice(0)) await pool.teardown().catch(() => undefined);
        for (const poolId of this.poolIds) {
            const store = new RedisSessionStore({ url: REDIS_URL, poolId, log: quietLog() });
            await store.clear();
        }
        this.poolIds.clear();
    }
}

/** A plain client for looking at the keys. */
export function rawClient(): Redis {
    return new Redis(REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 2 });
}

export function keyPrefix(poolId: string): string {
    return `sk:{${poolId}}:`;
}

/**
 * A TCP forwarder to Redis on a loopback port: `stop()` drops every connection and stops listening (Redis
 * "goes away" for the clients behind it), `start()` listens again on the same port.
 */
export class RedisForwarder {
    port = 0;
    private server: import('node:net').Server | undefined;
    private readonly sockets = new Set<import('node:net').Socket>();

    get url(): string {
        return `redis://127.0.0.1:${this.port}`;
    }

    async start(): Promise<void> {
        const net = await import('node:net');
        const target = new URL(REDIS_URL);
        const server = net.createServer((client) => {
            const upstream = net.connect(Number(target.port || 6379), target.hostname);
            this.sockets.add(client);
            this.sockets.add(upstream);
            client.pipe(upstream).pipe(client);
            const drop = () => {
                client.destroy();
                upstream.destroy();
                this.sockets.delete(client);
                this.sockets.delete(upstream);
            };
            client.on('error', drop).on('close', drop);
            upstream.on('error', drop).on('close', drop);
        });
        await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
        this.port = (server.address() as { port: number }).port;
        this.server = server;
    }

    /** Reserves a port without listening on it yet. */
    async reservePort(): Promise<void> {
        await this.start();
        await this.stop();
    }

    async stop(): Promise<void> {
        const server = this.server;
        this.server = undefined;
        for (const socket of this.sockets) socket.destroy();
        this.sockets.clear();
        if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    }
}

/** The store connection of a pool on a shared store (tests drive the store protocol directly). */
export function connectionOfPool(pool: SessionPool): SharedPoolConnection {
    const backend = (pool as unknown as { backend: { storeConnection: SharedPoolConnection | undefined } }).backend;
    if (!backend.storeConnection) throw new Error('the pool is not connected to a shared store');
    return backend.storeConnection;
}

/**
 * A redis-server of the test's own, on a free loopback port, with no persistence: `kill()` SIGKILLs it (its data is
 * gone), `start()` starts it again empty on the same port.
 */
export class OwnRedisServer {
    port = 0;
    private child: import('node:child_process').ChildProcess | undefined;

    get url(): string {
        return `redis://127.0.0.1:${this.port}`;
    }

    async start(): Promise<void> {
        const { spawn } = await import('node:child_process');
        if (this.port === 0) this.port = await closedPort();
        const child = spawn('redis-server', ['--port', String(this.port), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'], {
            stdio: ['ignore', 'pipe', 'pipe'],
        });
        this.child = child;
        await new Promise<void>((resolve, reject) => {
            let output = '';
            const timer = setTimeout(() => reject(new Error(`redis-server did not start on port ${this.port}: ${output}`)), 10_000);
            child.stdout!.on('data', (chunk: Buffer) => {
                output += chunk.toString();
                if (output.includes('Ready to accept connections')) {
                    clearTimeout(timer);
                    resolve();
                }
            });
            child.once('exit', (code) => {
                clearTimeout(timer);
                reject(new Error(`redis-server exited (${code}) on port ${this.port}: ${output}`));
            });
        });
        child.stdout!.resume();
        child.stderr!.resume();
    }

    /** SIGKILL: no shutdown, no save. */
    async kill(): Promise<void> {
        const child = this.child;
        this.child = undefined;
        if (!child || child.exitCode !== null) return;
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGKILL');
        await exited;
    }
}
