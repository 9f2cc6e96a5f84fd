import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Log, type LogLevel, type SessionLease, type SessionPool } from '../src/index.js';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

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
    return mkdtemp(join(tmpdir(), 'sessionkit-core-'));
}

export function removeTempDir(dir: string): Promise<void> {
    return rm(dir, { recursive: true, force: true });
}

/** Deterministic PRNG (mulberry32) for the stress test. */
export function prng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

/** Settles within `ms` or reports that it is still pending (never rejects on its own). */
export async function settledWithin<T>(promise: Promise<T>, ms: number): Promise<'pending' | { value: T } | { error: unknown }> {
    let timer: NodeJS.Timeout | undefined;
    const pending = new Promise<'pending'>((resolve) => {
        timer = setTimeout(() => resolve('pending'), ms);
    });
    try {
        return await Promise.race([promise.then((value) => ({ value }), (error: unknown) => ({ error })), pending]);
    } finally {
        clearTimeout(timer);
    }
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
