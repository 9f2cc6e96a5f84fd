import { type ProxyStats, RETIRE_REASONS, type RetireReason } from '@sessionkit/core';
import type {
    SharedAcquireResult,
    SharedCommitResult,
    SharedPeekResult,
    SharedPoolSnapshot,
    SharedReserveResult,
    SharedSessionLookup,
    SharedSessionRecord,
    SharedUpdateResult,
    SharedWaitInfo,
} from '@sessionkit/core/spi';

// Decodes the replies of the Lua scripts (./lua/*.lua): one function per reply shape, times converted from
// Redis' clock to this machine's (`skew` = server minus local, ms). Pure: what a worker does with a reply (the
// leases and slots it now holds) is the connection's business.

/** A session record: [kind, a, id, u, e, ec, cd, w, ver, wr, ca, ea, px, mA, mE, dE, mU, hasContent, jar, ud]. */
export function decodeRecord(reply: unknown[], skew: number): SharedSessionRecord {
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

/** A reserved slot: ['M', slot, proxy url ('' direct, '?' the worker's newUrlFunction picks)]. */
export function decodeSlot(reply: unknown[]): { kind: 'mint'; slot: string; proxyUrl: string | undefined; askProxy: boolean } {
    const url = String(reply[2] ?? '');
    return { kind: 'mint', slot: String(reply[1]), proxyUrl: url === '' || url === '?' ? undefined : url, askProxy: url === '?' };
}

/** Nothing to hand out: ['W', retry at, live, leased sessions, leases, cooling, benched proxies, proxies]. */
export function decodeWait(reply: unknown[], skew: number): { kind: 'wait'; untilMs: number | undefined; info: SharedWaitInfo } {
    const at = reply[1] === '' || reply[1] === null || reply[1] === undefined ? undefined : Number(reply[1]) - skew;
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

/** `acquire`: 'L' leased (a record), 'M' a slot, 'X' the pinned session is unavailable, 'W' wait. */
export function decodeAcquire(reply: unknown[], skew: number): SharedAcquireResult {
    switch (reply[0]) {
        case 'L':
            return { kind: 'leased', leaseId: String(reply[1]), session: decodeRecord(reply, skew) };
        case 'M':
            return decodeSlot(reply);
        case 'X':
            return { kind: 'unavailable', reason: reply[1] === 'unknown' ? 'it is retired or was never in this pool' : `it was retired (${String(reply[1])})` };
        default:
            return decodeWait(reply, skew);
    }
}

/** `peek`: 'S' a session, 'M' a slot, 'W' wait. */
export function decodePeek(reply: unknown[], skew: number): SharedPeekResult {
    if (reply[0] === 'S') return { kind: 'session', session: decodeRecord(reply, skew) };
    if (reply[0] === 'M') return decodeSlot(reply);
    return decodeWait(reply, skew);
}

/** `reserve`: 'M' a slot, 'F' the pool is full, 'N' no route takes a session. */
export function decodeReserve(reply: unknown[]): SharedReserveResult {
    if (reply[0] === 'M') return decodeSlot(reply);
    return reply[0] === 'F' ? { kind: 'full' } : { kind: 'noRoute' };
}

/** `commit`: 'C' committed (with the lease token when held), 'N' proxy rejected, 'T' id taken, 'E' the slot expired. */
export function decodeCommit(reply: unknown[]): SharedCommitResult {
    switch (reply[0]) {
        case 'C':
            return { kind: 'committed', leaseId: reply[1] ? String(reply[1]) : undefined };
        case 'N':
            return { kind: 'proxyRejected' };
        case 'T':
            return { kind: 'idTaken' };
        default:
            return { kind: 'expired' };
    }
}

/** `release` / `apply`: 'D' duplicate, 'G' gone, or ['R', retired reason, retired here, lease expired, version, merged]. */
export function decodeUpdate(reply: unknown[]): SharedUpdateResult {
    const none = { retired: undefined, retiredHere: false, leaseExpired: false, version: undefined, merged: false };
    if (reply[0] === 'D') return { ...none, duplicate: true, gone: false };
    if (reply[0] === 'G') return { ...none, duplicate: false, gone: true };
    return {
        retired: reply[1] ? decodeReason(reply[1]) : undefined,
        retiredHere: Number(reply[2]) === 1,
        leaseExpired: Number(reply[3]) === 1,
        duplicate: false,
        gone: false,
        version: reply[4] === null || reply[4] === undefined ? undefined : Number(reply[4]),
        merged: Number(reply[5]) === 1,
    };
}

/** `cool`: the session's cooldown end ('' unknown or retired session). */
export function decodeCooldown(reply: unknown, skew: number): number | undefined {
    if (reply === null || reply === '' || reply === undefined) return undefined;
    return Number(reply) - skew;
}

/** `get`: 'S' a session, or ['X', 'unknown' | retire reason]. */
export function decodeLookup(reply: unknown[], skew: number): SharedSessionLookup {
    if (reply[0] === 'S') return { kind: 'session', session: decodeRecord(reply, skew) };
    if (reply[1] === 'unknown') return { kind: 'unknown' };
    return { kind: 'retired', reason: decodeReason(reply[1]) };
}

/** `register`: [the pool's settings JSON, server time, learned usage limit ('' none)]. */
/** `register`: [settings JSON of the pool, now, learned usage limit ('' none), the pool's epoch]. */
export function decodeRegister(reply: unknown[]): { settingsJson: string; learnedUsageLimit: number | undefined; epoch: string } {
    const learned = Number(reply[2]);
    return {
        settingsJson: String(reply[0] ?? ''),
        learnedUsageLimit: Number.isInteger(learned) && learned > 0 ? learned : undefined,
        epoch: String(reply[3] ?? ''),
    };
}

export function decodeReason(value: unknown): RetireReason {
    return (RETIRE_REASONS as readonly unknown[]).includes(value) ? (value as RetireReason) : 'manual';
}

function pairs(flat: unknown): Map<string, string> {
    const map = new Map<string, string>();
    if (!Array.isArray(flat)) return map;
    for (let i = 0; i + 1 < flat.length; i += 2) map.set(String(flat[i]), String(flat[i + 1]));
    return map;
}

/** `stats`: [live, availableNow, cooling, leasedSessions, leases, stats hash, [url, proxy hash, …], now, learned usage limit]. */
export function decodeStats(reply: unknown[], skew: number): SharedPoolSnapshot {
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
        if (state === 'benched') stats.benchedUntil = new Date(field('bu') - skew).toISOString();
        if (field('cu') > serverNow) stats.cooldownUntil = new Date(field('cu') - skew).toISOString();
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
