// A worker process of the multi-process tests (run with `node --import tsx/esm worker.ts '<json config>'`).
// It uses the BUILT @sessionkit/core (packages/core/dist) like any other process would.
//   hammer: `cycles` × (acquire → mark or retire → release) with `concurrency` loops; writes its lease
//           intervals to `outFile` and prints a JSON summary.
//   hold:   leases `hold` sessions, prints their ids, then hangs (the test kills it with SIGKILL).
//   watch:  acquires/releases in a loop until it reads "stop" on stdin; records sessionRetired events.
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Log, SessionPool, type SessionLease } from '@sessionkit/core';
import { RedisSessionStore } from '../../src/index.js';

interface Config {
    mode: 'hammer' | 'hold' | 'watch';
    redisUrl: string;
    poolId: string;
    seed: number;
    maxPoolSize: number;
    leaseTtlSecs?: number;
    cycles?: number;
    concurrency?: number;
    maxUsageCount?: number;
    outFile?: string;
    hold?: number;
}

const config = JSON.parse(process.argv[2]!) as Config;
const now = (): number => performance.timeOrigin + performance.now();

function prng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

const random = prng(config.seed);
const log = new Log({ level: 'off' });
const store = new RedisSessionStore({ url: config.redisUrl, poolId: config.poolId, leaseTtlSecs: config.leaseTtlSecs ?? 30, log });
const pool = new SessionPool({
    store,
    maxPoolSize: config.maxPoolSize,
    sessionOptions: { maxUsageCount: config.maxUsageCount ?? 50, maxErrorScore: 3 },
    acquireTimeoutSecs: 60,
    log,
    random,
});
await pool.initialize();

const retiredEvents: { id: string; reason: string; at: number }[] = [];
pool.on('sessionRetired', (session, reason) => retiredEvents.push({ id: session.id, reason, at: now() }));

if (config.mode === 'hammer') {
    const intervals: [string, number, number][] = [];
    let marks = 0;
    let retires = 0;
    const cycles = config.cycles ?? 1000;
    const concurrency = config.concurrency ?? 4;
    let started = 0;
    const loop = async (): Promise<void> => {
        while (started < cycles) {
            started += 1;
            const lease = await pool.acquire();
            const start = now();
            const { session } = lease;
            const r = random();
            if (!session.retired) {
                if (r < 0.8) {
                    session.markGood();
                    marks += 1;
                } else if (r < 0.96) {
                    session.markBad();
                    marks += 1;
                } else {
                    session.retire();
                    retires += 1;
                }
            }
            if (random() < 0.5) await new Promise((resolve) => setImmediate(resolve));
            intervals.push([session.id, start, now()]);
            lease.release();
        }
    };
    const t0 = now();
    await Promise.all(Array.from({ length: concurrency }, loop));
    const elapsedMs = now() - t0;
    await pool.teardown();
    const stats = pool.getStats();
    if (config.outFile) writeFileSync(config.outFile, JSON.stringify(intervals));
    process.stdout.write(
        `${JSON.stringify({
            marks,
            retires,
            cycles,
            elapsedMs,
            created: stats.sessionsCreated,
            retired: stats.sessionsRetired,
            markedGood: stats.markedGood,
            markedBad: stats.markedBad,
            retiredEvents: retiredEvents.length,
        })}\n`,
    );
} else if (config.mode === 'hold') {
    const leases: SessionLease[] = [];
    for (let i = 0; i < (config.hold ?? 1); i++) leases.push(await pool.acquire());
    process.stdout.write(`${JSON.stringify({ held: leases.map((lease) => lease.session.id) })}\n`);
    setInterval(() => {}, 1000); // hang until killed
} else {
    const leases: { id: string; requested: number; start: number }[] = [];
    let stop = false;
    createInterface({ input: process.stdin }).on('line', (line) => {
        if (line.trim() === 'stop') stop = true;
    });
    process.stdout.write('ready\n');
    while (!stop) {
        const requested = now();
        const lease = await pool.acquire({ timeoutSecs: 10 });
        leases.push({ id: lease.session.id, requested, start: now() });
        lease.session.markGood();
        await new Promise((resolve) => setTimeout(resolve, 2 + random() * 5));
        lease.release();
    }
    await pool.teardown();
    process.stdout.write(`${JSON.stringify({ leases, retiredEvents })}\n`);
}
process.exit(0);
