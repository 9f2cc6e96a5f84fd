import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Log, RetireReason } from '@sessionkit/core';
import type {
    NewSharedSession,
    SharedAcquireResult,
    SharedCommitResult,
    SharedPeekResult,
    SharedPoolConnection,
    SharedPoolListener,
    SharedPoolSettings,
    SharedPoolSnapshot,
    SharedReserveResult,
    SharedSessionLookup,
    SharedSessionUpdate,
    SharedUpdateResult,
} from '@sessionkit/core/spi';
import { PoolStateLostError } from './errors.js';
import type { RedisLink } from './link.js';
import {
    decodeAcquire,
    decodeCommit,
    decodeCooldown,
    decodeLookup,
    decodePeek,
    decodeRegister,
    decodeReserve,
    decodeStats,
    decodeUpdate,
} from './replies.js';
import { SETTINGS, type ScriptArgs, type ScriptName, settingsArgv } from './scripts.js';

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
    private readonly settings: SharedPoolSettings;
    /** The pool generation this worker registered in (see P meta in ./scripts.ts). */
    private epoch = '';
    /** The re-registration under way after the pool state was lost (concurrent calls wait for the same one). */
    private recovering: Promise<void> | undefined;
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
        this.settings = settings;
        this.header = settingsArgv({
            worker: this.workerId,
            random: '0', // per call
            maxConcurrencyPerSession: String(settings.maxConcurrencyPerSession),
            maxPoolSize: String(settings.maxPoolSize),
            leaseTtlMs: String(host.leaseTtlMs),
            retiredSessionTtlMs: String(host.retiredSessionTtlMs),
            proxyBanThreshold: String(settings.proxyBanThreshold),
            proxyBenchMs: String(settings.proxyBenchMs),
            proxyMaxBenchMs: String(settings.proxyMaxBenchMs),
            rateLimitBackoffMs: String(settings.rateLimitBackoffMs),
            rateLimitMaxBackoffMs: String(settings.rateLimitMaxBackoffMs),
            maxCooldownMs: String(settings.maxCooldownMs),
            proxyMode: settings.proxyMode,
            waiterTtlMs: String(WAITER_TTL_MS),
            learnUsageLimit: settings.learnUsageLimit ? '1' : '0',
            sessionReuseStrategy: settings.sessionReuseStrategy,
            epoch: '',
        });
    }

    /** Registers the worker's proxies, checks its settings against the pool's, starts the heartbeat. */
    async start(settings: SharedPoolSettings): Promise<void> {
        const fingerprint = settingsFingerprint(settings);
        const reply = await this.register();
        const differences = describeDifferences(fingerprint, reply.settingsJson);
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
        const result = decodeAcquire((await this.call('acquire', random, { token, pinned: sessionId ?? '' })) as unknown[], this.link.skewMs);
        if (result.kind === 'leased') this.held.set(result.leaseId, result.session.id);
        if (result.kind === 'mint') this.slots.add(result.slot);
        return result;
    }

    async peek(random: number): Promise<SharedPeekResult> {
        const result = decodePeek((await this.call('peek', random, { token: this.nextToken() })) as unknown[], this.link.skewMs);
        if (result.kind === 'mint') this.slots.add(result.slot);
        return result;
    }

    async reserve(proxyUrl: string | null, random: number): Promise<SharedReserveResult> {
        const args = { token: this.nextToken(), mode: proxyUrl === null ? 'choose' : 'given', url: proxyUrl ?? '' };
        const result = decodeReserve((await this.call('reserve', random, args)) as unknown[]);
        if (result.kind === 'mint') this.slots.add(result.slot);
        return result;
    }

    async commit(slot: string, session: NewSharedSession, { lease }: { lease: boolean }): Promise<SharedCommitResult> {
        const skew = this.link.skewMs;
        const reply = (await this.call('commit', 0, {
            slot,
            id: session.id,
            hold: lease ? '1' : '0',
            proxyUrl: session.proxyUrl ?? '',
            createdAt: String(Math.round(session.createdAtMs + skew)),
            expiresAt: String(Math.round(session.expiresAtMs + skew)),
            usage: session.usageCount,
            errorScore: session.errorScore,
            errorCount: session.errorCount,
            maxAgeSecs: session.maxAgeSecs,
            maxErrorScore: session.maxErrorScore,
            errorScoreDecrement: session.errorScoreDecrement,
            maxUsageCount: session.maxUsageCount,
            cooldownUntil: session.cooldownUntilMs > 0 ? Math.round(session.cooldownUntilMs + skew) : 0,
            hasJar: session.cookieJar !== undefined ? '1' : '0',
            jar: session.cookieJar ?? '',
            userData: session.userData ?? '{}',
        })) as unknown[];
        const result = decodeCommit(reply);
        if (result.kind === 'committed' || result.kind === 'expired') this.slots.delete(slot);
        if (result.kind === 'committed' && result.leaseId) this.held.set(result.leaseId, session.id);
        return result;
    }

    async abort(slot: string): Promise<void> {
        this.slots.delete(slot);
        await this.call('abort', 0, { slot });
    }

    async release(leaseId: string, sessionId: string, update: SharedSessionUpdate): Promise<SharedUpdateResult> {
        // Not renewed any more from now on: if this release does not get through, the lease expires and the
        // session comes back; a later retry of this release still counts its marks.
        this.held.delete(leaseId);
        return decodeUpdate((await this.call('release', update.random, { token: leaseId, id: sessionId, marks: update.marks, ...contentArgs(update) })) as unknown[]);
    }

    async apply(sessionId: string, update: SharedSessionUpdate): Promise<SharedUpdateResult> {
        return decodeUpdate((await this.call('apply', update.random, { op: update.opId, id: sessionId, marks: update.marks, ...contentArgs(update) })) as unknown[]);
    }

    async retire(sessionId: string, reason: RetireReason, random: number, opId: string): Promise<boolean> {
        return Number(await this.call('retire', random, { id: sessionId, reason, op: opId })) === 1;
    }

    async coolDown(sessionId: string, retryAfterMs: number | undefined, random: number, opId: string): Promise<number | undefined> {
        const retryAfter = retryAfterMs === undefined ? -1 : Math.max(0, Math.round(retryAfterMs));
        return decodeCooldown(await this.call('cool', random, { op: opId, id: sessionId, retryAfter }), this.link.skewMs);
    }

    async get(sessionId: string): Promise<SharedSessionLookup> {
        return decodeLookup((await this.call('get', 0, { id: sessionId })) as unknown[], this.link.skewMs);
    }

    async stats(): Promise<SharedPoolSnapshot> {
        return decodeStats((await this.call('stats', 0, {})) as unknown[], this.link.skewMs);
    }

    async close(): Promise<void> {
        if (this.closed) return;
        this.closed = true;
        if (this.heartbeat) clearInterval(this.heartbeat);
        this.heartbeat = undefined;
        // Leases still held (the user never released them) and unfinished slots go back at once instead of
        // after the lease TTL.
        const giveBack: Promise<unknown>[] = [];
        for (const [token, sessionId] of this.held) giveBack.push(this.call('release', 0, { token, id: sessionId, marks: '', ...NO_CONTENT }));
        for (const slot of this.slots) giveBack.push(this.call('abort', 0, { slot }));
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
            const lost = (await this.call('renew', 0, { rest: items })) as string[];
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

    /**
     * Writes what this worker knows of the pool (its proxies, its settings, a new epoch unless the pool has
     * one) and adopts the pool's epoch. Runs without the epoch check: it is what seeds the pool.
     */
    private async register(): Promise<ReturnType<typeof decodeRegister>> {
        const header = this.header.slice();
        header[SETTING_EPOCH] = '';
        const reply = decodeRegister(
            (await this.link.run('register', header, {
                fingerprint: JSON.stringify(settingsFingerprint(this.settings)),
                epoch: randomBytes(9).toString('base64url'),
                rest: this.settings.proxyUrls,
            })) as unknown[],
        );
        this.epoch = reply.epoch;
        this.header[SETTING_EPOCH] = reply.epoch;
        if (this.settings.learnUsageLimit && reply.learnedUsageLimit !== undefined) this.listener.usageLimitLearned(reply.learnedUsageLimit);
        return reply;
    }

    /**
     * Runs a script. When the pool state is gone (Redis restarted empty: no sessions, no proxies, no
     * settings), the script wrote nothing: this worker re-seeds the pool, forgets what it held, and runs the
     * call again on the new pool (a release of a lost lease is then a no-op, an acquire mints).
     */
    private async call<N extends ScriptName>(name: N, random: number, args: ScriptArgs<N>): Promise<unknown> {
        for (let attempt = 0; ; attempt += 1) {
            const epoch = this.epoch;
            this.header[1] = String(random);
            try {
                return await this.link.run(name, this.header, args);
            } catch (error) {
                if (!(error instanceof PoolStateLostError) || attempt >= 2 || this.closed) throw error;
                await this.recover(epoch);
            }
        }
    }

    /** One re-registration per loss, however many calls saw it. */
    private async recover(seenEpoch: string): Promise<void> {
        if (this.epoch !== seenEpoch) return; // another call of this worker re-registered already
        this.recovering ??= this.reseed().finally(() => {
            this.recovering = undefined;
        });
        await this.recovering;
    }

    private async reseed(): Promise<void> {
        const leases = this.held.size;
        this.held.clear();
        this.slots.clear();
        await this.register();
        const proxies = this.settings.proxyUrls.length;
        this.log.warning(
            `The shared session pool ${this.description} lost its state (Redis restarted empty, or its keys were deleted): ` +
                `the sessions and leases of all workers are gone (${leases} held by this worker). ` +
                `Re-registered this worker's settings${proxies > 0 ? ` and ${proxies} proxies (their health starts over)` : ''}; new sessions will be created.`,
        );
        this.listener.stateLost();
        this.listener.wake();
    }

    private nextToken(): string {
        this.tokenCounter += 1;
        return this.tokenPrefix + this.tokenCounter.toString(36);
    }
}

const SETTING_EPOCH = SETTINGS.indexOf('epoch');

const NO_CONTENT = { content: '0', jar: '', userData: '{}', changes: '', baseVersion: '' } as const;

/** The content of an update: none, the jar, or the jar and its changes since `baseVersion` (merged when others wrote since). */
function contentArgs(update: SharedSessionUpdate): Pick<ScriptArgs<'release'>, 'content' | 'jar' | 'userData' | 'changes' | 'baseVersion'> {
    if (update.cookieJar === undefined) return { ...NO_CONTENT, userData: update.userData ?? '{}' };
    if (update.cookieChanges === undefined) return { ...NO_CONTENT, content: '1', jar: update.cookieJar, userData: update.userData ?? '{}' };
    return { content: '2', jar: update.cookieJar, userData: update.userData ?? '{}', changes: update.cookieChanges, baseVersion: update.baseVersion ?? -1 };
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
        sessionReuseStrategy: settings.sessionReuseStrategy,
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
