import { makeTempDir as makeTemp } from '@sessionkit/test-utils';
import { Log, type LogLevel, type SessionLease, type SessionPool } from '../src/index.js';

export { prng, removeTempDir, settledWithin, sleep } from '@sessionkit/test-utils';

/** A Log that records every line instead of printing it. */
export function captureLog(level: LogLevel = 'debug'): { log: Log; lines: { level: string; message: string }[] } {
    const lines: { level: string; message: string }[] = [];
    const log = new Log({ level, sink: (lineLevel, _prefix, message) => lines.push({ level: lineLevel, message }) });
    return { log, lines };
}

/** A Log that prints nothing (pools log proxy benching at info level). */
export function quietLog(): Log {
    return new Log({ level: 'off' });
}

/** A fresh temporary directory; remove it with `removeTempDir`. */
export function makeTempDir(): Promise<string> {
    return makeTemp('sessionkit-core-');
}

/** Leases sessions until one on `proxyUrl` comes up; gives the others back unjudged. */
export async function leaseOnProxy(pool: SessionPool, proxyUrl: string, attempts = 20): Promise<SessionLease> {
    const others: SessionLease[] = [];
    try {
        for (let i = 0; i < attempts; i++) {
            const lease = await pool.acquire({ timeoutSecs: 5 });
            if (lease.proxyUrl === proxyUrl) return lease;
            others.push(lease);
        }
        throw new Error(`no session on ${proxyUrl} after ${attempts} leases`);
    } finally {
        for (const lease of others) lease.release();
    }
}
