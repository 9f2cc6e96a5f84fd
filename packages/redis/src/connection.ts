import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import {
    type Log,
    type ProxyStats,
    RETIRE_REASONS,
    type RetireReason,
} from '@sessionkit/core';
import {
    type NewSharedSession,
    type SharedAcquireResult,
    type SharedCommitResult,
    type SharedMintSlot,
    type SharedPeekResult,
    type SharedPoolConnection,
    type SharedPoolListener,
    type SharedPoolSettings,
    type SharedPoolSnapshot,
    type SharedReserveResult,
    type SharedSessionLookup,
    type SharedSessionRecord,
    type SharedSessionUpdate,
    type SharedUpdateResult,
    type SharedWaitInfo,
} from '@sessionkit/core/spi';
import type { ScriptArg, RedisLink } from './link.js';
import type { ScriptName } from './lua.js';

/** How long a "this worker waits" registration lasts (renewed by every acquire that has to wait). */
const WAITER_TTL_MS = 5000;

/** What a connection needs from its store. */
export interface ConnectionHost {
    readonly poolId: string;
    readonly leaseTtlMs: number;
    readonly retiredSessionTtlMs: number;
    describe(key?: string): string;
    detach(connection: RedisPoolConnection): Promise<void>;
}

/**
 * One worker in a shared pool on Redis: runs the scripts with this worker's settings, renews the leases it
 * holds (a heartbeat every third of the lease TTL), converts times between this machine's clock and Redis'.
 */
export class RedisPoolConnection implements SharedPoolConnection {
    readonly workerId: string;
    readonly description: string;
    readonly listener: SharedPoolListener;
    private readonly header: string[];
    private readonly tokenPrefix: string;
    private tokenCounter = 0;
    /** Leases this worker holds: token → session id. Renewed by the heartbeat. */
    private readonly held = new Map<string, string>();
    /** Slots reserved for sessions being created. Renewed by the heartbeat. */
    private readonly slots = new Set<string>();
    private heartbeat: NodeJS.Timeout | undefined;
    private renewing = false;
    private closed = false;

    constructor(
        private readonly host: ConnectionHost,
        private readonly link: RedisLink,
        settings: SharedPoolSettings,
        listener: SharedPoolListener,
        private readonly log: Log,
    ) {
        const random = randomBytes(6).toString('base64url');
        this.workerId = `${hostname().replace(/[^\w.-]/g, '_')}/${process.pid}/${random}`;
        this.tokenPrefix = `${random}.`;
        this.description = host.describe();
        this.listener = listener;
        this.header = [
            this.workerId,
            '0', // random, per call
            String(settings.maxConcurrencyPerSession),
            String(settings.maxPoolSize),
            String(host.leaseTtlMs),
            String(host.retiredSessionTtlMs),
            String(settings.proxyBanThreshold),
            String(settings.proxyBenchMs),
            String(settings.proxyMaxBenchMs),
            String(settings.rateLimitBackoffMs),
            String(settings.rateLimitMaxBackoffMs),
            String(settings.maxCooldownMs),
            settings.proxyMode,
            String(WAITER_TTL_MS),
            settings.learnUsageLimit ? '1' : '0',
        ];
    }

    /** Registers the worker's proxies, checks its settings against the pool's, starts the heartbeat. */
    async start(settings: SharedPoolSettings): Promise<void> {
        const fingerprint = settingsFingerprint(settings);
        const reply = (await this.call('register', 0, [JSON.stringify(fingerprint), ...settings.proxyUrls])) as [string, string, string];
        const learned = Number(reply[2]);
        if (settings.learnUsageLimit && Number.isInteger(learned) && learned > 0) this.listener.usageLimitLearned(learned);
        const differences = describeDifferences(fingerprint, reply[0]);
        if (differences) {
            this.log.warning(
                `This worker's settings differ from those of the shared pool "${this.host.poolId}" (${differences}). ` +
                    'Each worker applies its own settings to its own operations: give every worker the same.',
            );
        }
        const intervalMs = Math.max(50, Math.floor(this.host.leaseTtlMs / 3));
        this.heartbeat = setInterval(() => void this.renew(), intervalMs);
        this.heartbeat.unref();
    }

    // ------------------------------------------------------------------ SharedPoolConnection

    async acquire(sessionId: string | undefined, random: number): Promise<SharedAcquireResult> {
        const token = this.nextToken();
        const reply = (await this.call('acquire', random, [token, sessionId ?? ''])) as unknown[];
        switch (reply[0]) {
            case 'L':
                this.held.set(token, String(reply[2]));
                return { kind: 'leased', leaseId: token, session: this.toRecord(reply) };
            case 'M':
                return this.toSlot(reply);
            case 'X':
                return { kind: 'unavailable', reason: reply[1] === 'unknown' ? 'it is retired or was never in this pool' : `it was retired (${String(reply[1])})` };
            default:
                return this.toWait(reply);
        }
    }

    async peek(random: number): Promise<SharedPeekResult> {
        const reply = (await this.call('peek', random, [this.nextToken()])) as unknown[];
        if (reply[0] === 'S') return { kind: 'session', session: this.toRecord(reply) };
        if (reply[0] === 'M') return this.toSlot(reply);
        return this.toWait(reply);
    }

    async reserve(proxyUrl: string | null, random: number): Promise<SharedReserveResult> {
        const reply = (await this.call('reserve', random, [this.nextToken(), proxyUrl === null ? 'choose' : 'given', proxyUrl ?? ''])) as unknown[];
        if (reply[0] === 'M') return this.toSlot(reply);
        return reply[0] === 'F' ? { kind: 'full' } : { kind: 'noRoute' };
    }

    async commit(slot: string, session: NewSharedSession, lease: boolean): Promise<SharedCommitResult> {
        const skew = this.link.skewMs;
        const reply = (await this.call('commit', 0, [
            slot,
            session.id,
            lease ? '1' : '0',
            session.proxyUrl ?? '',
            String(Math.round(session.createdAtMs + skew)),
            String(Math.round(session.expiresAtMs + skew)),
            session.usageCount,
            session.errorScore,
            session.errorCount,
            session.maxAgeSecs,
            session.maxErrorScore,
            session.errorScoreDecrement,
            session.maxUsageCount,
            session.cooldownUntilMs > 0 ? Math.round(session.cooldownUntilMs + skew) : 0,
            session.cookieJar !== undefined ? '1' : '0',
            session.cookieJar ?? '',
            session.userData ?? '{}',
        ])) as unknown[];
        switch (reply[0]) {
            case 'C': {
                this.slots.delete(slot);
                const leaseId = reply[1] ? String(reply[1]) : undefined;
                if (leaseId) this.held.set(leaseId, session.id);
                return { kind: 'committed', leaseId };
            }
            case 'N':
                return { kind: 'proxyRejected' };
            case 'T':
                return { kind: 'idTaken' };
            default:
                this.slots.delete(slot);
                return { kind: 'expired' };
        }
    }

    async abort(slot: string): Promise<void> {
        this.slots.delete(slot);
        await this.call('abort', 0, [slot]);
    }

    async release(leaseId: string, sessionId: string, update: SharedSessionUpdate): Promise<SharedUpdateResult> {
        // Not renewed any more from now on: if this release does not get through, the lease expires and the
        // session comes back; a later retry of this release still counts its marks.
        this.held.delete(leaseId);
        const reply = (await this.call('release', update.random, [leaseId, sessionId, update.marks, ...contentArgs(update)])) as unknown[];
        return toUpdateResult(reply);
    }

    async apply(sessionId: string, update: SharedSessionUpdate): Promise<SharedUpdateResult> {
        const reply = (await this.call('apply', update.random, [update.opId, sessionId, update.marks, ...contentArgs(update)])) as unknown[];
        return toUpdateResult(reply);
    }

    async retire(sessionId: string, reason: RetireReason, random: number, opId: string): Promise<boolean> {
        return Number(await this.call('retire', random, [sessionId, reason, opId])) === 1;
    }

    async coolDown(sessionId: string, retryAfterMs: number | undefined, random: number, opId: string): Promise<number | undefined> {
        const reply = await this.call('cool', random, [opId, sessionId, retryAfterMs === undefined ? -1 : Math.max(0, Math.round(retryAfterMs))]);
        if (reply === null || reply === '' || reply === undefined) return undefined;
        return Number(reply) - this.link.skewMs;
    }

    async get(sessionId: string): Promise<SharedSessionLookup> {
        const reply = (await this.call('get', 0, [sessionId])) as unknown[];
        if (reply[0] === 'S') return { kind: 'session', session: this.toRecord(reply) };
        if (reply[1] === 'unknown') return { kind: 'unknown' };
        return { kind: 'retired', reason: toReason(reply[1]) };
    }

    async stats(): Promise<SharedPoolSnapshot> {
        return parseStats((await this.call('stats', 0, [])) as unknown[], this.link.skewMs);
    }

    async close(): Promise<void> {
        if (this.closed) return;
        this.closed = true;
        if (this.heartbeat) clearInterval(this.heartbeat);
        this.heartbeat = undefined;
        // Leases still held (the user never released them) and unfinished slots go back at once instead of
        // after the lease TTL.
        const giveBack: Promise<unknown>[] = [];
        for (const [token, sessionId] of this.held) giveBack.push(this.call('release', 0, [token, sessionId, '', '0', '', '{}']));
        for (const slot of this.slots) giveBack.push(this.call('abort', 0, [slot]));
        this.held.clear();
        this.slots.clear();
        if (giveBack.length > 0) {
            const settled = await Promise.race([Promise.allSettled(giveBack).then(() => true), delay(3000).then(() => false)]);
            if (!settled) this.log.warning(`Could not give back ${giveBack.length} leases at close: they expire after the lease TTL.`);
        }
        await this.host.detach(this);
    }

    // ------------------------------------------------------------------ internals

    /** Leases and slots this worker holds (for tests and diagnostics). */
    get heldLeaseCount(): number {
        return this.held.size;
    }

    /** Stops renewing leases without giving them back, as a worker that hangs or dies would (tests). */
    stopHeartbeat(): void {
        if (this.heartbeat) clearInterval(this.heartbeat);
        this.heartbeat = undefined;
    }

    private async renew(): Promise<void> {
        if (this.renewing || this.closed || (this.held.size === 0 && this.slots.size === 0)) return;
        this.renewing = true;
        try {
            const items: string[] = [];
            for (const token of this.held.keys()) items.push(`l${token}`);
            for (const slot of this.slots) items.push(`m${slot}`);
            const lost = (await this.call('renew', 0, items)) as string[];
            for (const item of lost) {
                const key = item.slice(1);
                if (item[0] === 'l' && this.held.has(key)) {
                    this.log.warning(
                        `The lease of session ${this.held.get(key)} expired before its heartbeat (leaseTtlSecs ${this.host.leaseTtlMs / 1000}): ` +
                            'another worker may use the session now. Raise leaseTtlSecs if this worker is often blocked that long.',
                    );
                    this.held.delete(key);
                } else if (item[0] === 'm') {
                    this.slots.delete(key);
                }
            }
        } catch (error) {
            this.log.debug(`Lease heartbeat failed (will try again): ${(error as Error).message}`);
        } finally {
            this.renewing = false;
        }
    }

    private call(name: ScriptName, random: number, args: readonly ScriptArg[]): Promise<unknown> {
        const argv: ScriptArg[] = this.header.slice();
        argv[1] = String(random);
        for (const arg of args) argv.push(arg);
        return this.link.run(name, argv);
    }

    private nextToken(): string {
        this.tokenCounter += 1;
        return this.tokenPrefix + this.tokenCounter.toString(36);
    }

    private toSlot(reply: unknown[]): SharedMintSlot {
        const slot = String(reply[1]);
        const url = String(reply[2] ?? '');
        this.slots.add(slot);
        return { kind: 'mint', slot, proxyUrl: url === '' || url === '?' ? undefined : url, askProxy: url === '?' };
    }

    private toWait(reply: unknown[]): { kind: 'wait'; untilMs: number | undefined; info: SharedWaitInfo } {
        const at = reply[1] === '' || reply[1] === null || reply[1] === undefined ? undefined : Number(reply[1]) - this.link.skewMs;
        return {
            kind: 'wait',
            untilMs: at,
            info: {
                sessions: Number(reply[2] ?? 0),
                leasedSessions: Math.max(0, Number(reply[3] ?? 0)),
                activeLeases: Number(reply[4] ?? 0),
                coolingSessions: Number(reply[5] ?? 0),
                benchedProxies: Number(reply[6] ?? 0),
                proxies: Number(reply[7] ?? 0),
            },
        };
    }

    /** [kind, a, id, u, e, ec, cd, w, ver, wr, ca, ea, px, mA, mE, dE, mU, hasContent, jar, ud] */
    private toRecord(reply: unknown[]): SharedSessionRecord {
        const skew = this.link.skewMs;
        const cooldown = Number(reply[6] ?? 0);
        const jar = reply[18];
        const userData = reply[19];
        return {
            id: String(reply[2]),
            usageCount: Number(reply[3] ?? 0),
            errorScore: Number(reply[4] ?? 0),
            errorCount: Number(reply[5] ?? 0),
            cooldownUntilMs: cooldown > 0 ? cooldown - skew : 0,
            warm: reply[7] === '1',
            version: Number(reply[8] ?? 0),
            createdAtMs: Number(reply[10]) - skew,
            expiresAtMs: Number(reply[11]) - skew,
            proxyUrl: typeof reply[12] === 'string' && reply[12] !== '' ? reply[12] : undefined,
            maxAgeSecs: Number(reply[13]),
            maxErrorScore: Number(reply[14]),
            errorScoreDecrement: Number(reply[15]),
            maxUsageCount: Number(reply[16]),
            hasContent: reply[17] === '1',
            cookieJar: typeof jar === 'string' && jar !== '' ? jar : undefined,
            userData: typeof userData === 'string' && userData !== '' ? userData : undefined,
        };
    }
}

/** Content flag ('0' none, '1' the jar, '2' the jar and its changes since `baseVersion`), jar, userData, changes, base version. */
function contentArgs(update: SharedSessionUpdate): ScriptArg[] {
    if (update.cookieJar === undefined) return ['0', '', update.userData ?? '{}', '', ''];
    if (update.cookieChanges === undefined) return ['1', update.cookieJar, update.userData ?? '{}', '', ''];
    return ['2', update.cookieJar, update.userData ?? '{}', update.cookieChanges, update.baseVersion ?? -1];
}

function toUpdateResult(reply: unknown[]): SharedUpdateResult {
    if (reply[0] === 'D') return { retired: undefined, retiredHere: false, leaseExpired: false, duplicate: true, gone: false, version: undefined, merged: false };
    if (reply[0] === 'G') return { retired: undefined, retiredHere: false, leaseExpired: false, duplicate: false, gone: true, version: undefined, merged: false };
    const reason = reply[1] ? toReason(reply[1]) : undefined;
    return {
        retired: reason,
        retiredHere: Number(reply[2]) === 1,
        leaseExpired: Number(reply[3]) === 1,
        duplicate: false,
        gone: false,
        version: reply[4] === null || reply[4] === undefined ? undefined : Number(reply[4]),
        merged: reply[5] === 1 || reply[5] === '1',
    };
}

function toReason(value: unknown): RetireReason {
    return (RETIRE_REASONS as readonly unknown[]).includes(value) ? (value as RetireReason) : 'manual';
}

function pairs(flat: unknown): Map<string, string> {
    const map = new Map<string, string>();
    if (!Array.isArray(flat)) return map;
    for (let i = 0; i + 1 < flat.length; i += 2) map.set(String(flat[i]), String(flat[i + 1]));
    return map;
}

/** [live, availableNow, cooling, leasedSessions, leases, stats hash, [url, proxy hash, …], now, learned usage limit] */
export function parseStats(reply: unknown[], skewMs: number): SharedPoolSnapshot {
    const counters = pairs(reply[5]);
    const count = (key: string) => Number(counters.get(key) ?? 0);
    const retiredByReason = Object.fromEntries(RETIRE_REASONS.map((reason) => [reason, count(`retired:${reason}`)])) as Record<RetireReason, number>;
    const serverNow = Number(reply[7]);
    const proxies: ProxyStats[] = [];
    const list = Array.isArray(reply[6]) ? (reply[6] as unknown[]) : [];
    for (let i = 0; i + 1 < list.length; i += 2) {
        const hash = pairs(list[i + 1]);
        const field = (key: string) => Number(hash.get(key) ?? 0);
        const state = (hash.get('state') ?? 'healthy') as ProxyStats['state'];
        const stats: ProxyStats = {
            url: String(list[i]),
            state,
            activeSessions: Math.max(0, field('active')),
            sessionsCreated: field('created'),
            successes: field('succ'),
            blocks: field('blocks'),
            errors: field('errors'),
            rateLimits: field('rl'),
            timesBenched: field('tb'),
        };
        if (state === 'benched') stats.benchedUntil = new Date(field('bu') - skewMs).toISOString();
        if (field('cu') > serverNow) stats.cooldownUntil = new Date(field('cu') - skewMs).toISOString();
        proxies.push(stats);
    }
    return {
        sessions: Number(reply[0] ?? 0),
        availableSessions: Number(reply[1] ?? 0),
        coolingSessions: Number(reply[2] ?? 0),
        leasedSessions: Math.max(0, Number(reply[3] ?? 0)),
        activeLeases: Number(reply[4] ?? 0),
        sessionsCreated: count('created'),
        sessionsRetired: count('retired'),
        retiredByReason,
        leasesGranted: count('leasesGranted'),
        leasesExpired: count('leasesExpired'),
        markedGood: count('markedGood'),
        markedBad: count('markedBad'),
        rateLimited: count('rateLimited'),
        proxiesBenched: count('proxiesBenched'),
        learnedUsageLimit: Number(reply[8]) > 0 ? Number(reply[8]) : undefined,
        proxies,
    };
}

/** The settings whose difference between workers is worth a warning. */
function settingsFingerprint(settings: SharedPoolSettings): Record<string, unknown> {
    return {
        maxPoolSize: settings.maxPoolSize,
        maxConcurrencyPerSession: settings.maxConcurrencyPerSession,
        maxAgeSecs: settings.sessionLimits.maxAgeSecs,
        maxErrorScore: settings.sessionLimits.maxErrorScore,
        errorScoreDecrement: settings.sessionLimits.errorScoreDecrement,
        maxUsageCount: settings.sessionLimits.maxUsageCount,
        proxyBanThreshold: settings.proxyBanThreshold,
        proxyBenchSecs: settings.proxyBenchMs / 1000,
        proxyMaxBenchSecs: settings.proxyMaxBenchMs / 1000,
        rateLimitBackoffSecs: settings.rateLimitBackoffMs / 1000,
        rateLimitMaxBackoffSecs: settings.rateLimitMaxBackoffMs / 1000,
        maxCooldownSecs: settings.maxCooldownMs / 1000,
        learnUsageLimit: settings.learnUsageLimit,
        proxies: settings.proxyMode === 'list' ? [...settings.proxyUrls].sort() : settings.proxyMode,
    };
}

function describeDifferences(mine: Record<string, unknown>, storedJson: string): string {
    let stored: Record<string, unknown>;
    try {
        stored = JSON.parse(storedJson) as Record<string, unknown>;
    } catch {
        return '';
    }
    const differences: string[] = [];
    for (const [key, value] of Object.entries(mine)) {
        const other = stored[key];
        if (JSON.stringify(other) !== JSON.stringify(value)) {
            differences.push(`${key} ${JSON.stringify(value)} here, ${JSON.stringify(other)} in the pool`);
        }
    }
    return differences.join('; ');
}

function delay(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
