import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

// The Lua scripts of the shared pool live in ./lua/*.lua. This module is their one schema: the settings every
// script receives first (ARGV[1..17], read by prelude.lua), and each script's arguments by name, in ARGV
// order. From the names it generates the line that opens each script, `local ARG = { token = ARGV[A + 1], … }`,
// so the Lua reads `ARG.token`, never a position. Replies are decoded in ./replies.ts.
//
// Keys, under the prefix P = `<keyPrefix>{<poolId>}:` (one hash tag: every key of a pool is in one cluster slot):
//   P s:<id>      hash   a session: u usage, e errorScore, ec errorCount, l leases held, w warm (1 after its first
//                        use), cd cooldown end, ca/ea created/expires, px proxy ('' direct), ep epoch (its proxy's
//                        timesBenched when bound), mA/mE/dE/mU limits, jar/ud cookies and userData JSON, ver
//                        their version, wr the worker that wrote them ('' after a merge), r retire reason (once
//                        retired: the hash then expires after retiredSessionTtl)
//   P live        set    ids of live sessions (SCARD + minting slots ≤ maxPoolSize)
//   P avail       zset   sessions that can be leased, scored by the time they can: last release (LRU, in µs so
//                        releases within one ms keep their order) or cooldown end
//   P leases      zset   lease tokens scored by expiry (renewed by the holder's heartbeat)
//   P lease       hash   lease token → session id
//   P reaped      zset   tokens of expired leases taken back (a late release still counts its marks), for 1 h
//   P minting     zset   slots reserved for sessions being created ("<token> <proxy>"), scored by expiry
//   P mints       hash   token → slot (a re-sent reservation gets the same slot)
//   P waiters     zset   workers with queued acquires (a release publishes a wake-up only when there are some)
//   P px:<sha1 of url> hash a proxy (P px:direct: no proxy): state, active, created, succ, blocks, errors, rl, tb
//                        timesBenched, cf consecutive failures, rls rate-limit streak, bu bench end, cu cooldown end
//   P proxies     list   proxies new sessions are spread over (P pickset dedupes it)
//   P known       list   every proxy seen, for stats (P proxyset dedupes it)
//   P stats       hash   pool-wide counters (created, retired, retired:<reason>, leasesGranted, leasesExpired,
//                        markedGood, markedBad, rateLimited, proxiesBenched, gLeased = sessions with a lease)
//   P meta        hash   settings of the first worker, round-robin cursor, ul the learned usage limit, epoch the
//                        pool's generation (written by the first register): a worker whose epoch is not there
//                        any more (Redis restarted empty, keys deleted) gets the error "SKLOST" from every script
//   P usage       list   usage counts of the last 9 blocked sessions (learnUsageLimit)
//   P op:<id>     string idempotency keys of calls that are not idempotent by nature (10 min)
//   P events      pub/sub "f" something freed up, "r <reason> <id>" retired, "b <until> <times> <url>" proxy
//                        benched, "v <times> <url>" proxy back on probation, "u <uses>" usage limit learned

/** The settings every script receives first, in ARGV order (prelude.lua names them). */
export const SETTINGS = [
    'worker',
    'random',
    'maxConcurrencyPerSession',
    'maxPoolSize',
    'leaseTtlMs',
    'retiredSessionTtlMs',
    'proxyBanThreshold',
    'proxyBenchMs',
    'proxyMaxBenchMs',
    'rateLimitBackoffMs',
    'rateLimitMaxBackoffMs',
    'maxCooldownMs',
    'proxyMode',
    'waiterTtlMs',
    'learnUsageLimit',
    // 'use-until-failure', 'round-robin' or 'random' (acquire and peek: mint up to maxPoolSize first, how to pick).
    'sessionReuseStrategy',
    // The pool generation this worker registered in; '' skips the check (register, load, save).
    'epoch',
] as const;

export type Settings = Record<(typeof SETTINGS)[number], string>;

/** Content of a release or an update: '0' none, '1' the jar, '2' the jar and its changes since `baseVersion`. */
const CONTENT = ['content', 'jar', 'userData', 'changes', 'baseVersion'] as const;

/** Each script's arguments, in ARGV order after the settings. `rest`: a variable list follows (read from `REST`). */
const SCHEMA = {
    acquire: { args: ['token', 'pinned'] },
    peek: { args: ['token'] },
    reserve: { args: ['token', 'mode', 'url'] },
    commit: {
        args: [
            'slot', 'id', 'hold', 'proxyUrl', 'createdAt', 'expiresAt', 'usage', 'errorScore', 'errorCount', 'maxAgeSecs',
            'maxErrorScore', 'errorScoreDecrement', 'maxUsageCount', 'cooldownUntil', 'hasJar', 'jar', 'userData',
        ],
    },
    abort: { args: ['slot'] },
    release: { args: ['token', 'id', 'marks', ...CONTENT] },
    apply: { args: ['op', 'id', 'marks', ...CONTENT] },
    retire: { args: ['id', 'reason', 'op'] },
    cool: { args: ['op', 'id', 'retryAfter'] },
    get: { args: ['id'] },
    renew: { args: [], rest: 'items' },
    stats: { args: [] },
    register: { args: ['fingerprint', 'epoch'], rest: 'proxyUrls' },
    import: {
        args: [
            'id', 'proxyUrl', 'createdAt', 'expiresAt', 'usage', 'errorScore', 'errorCount', 'maxAgeSecs', 'maxErrorScore',
            'errorScoreDecrement', 'maxUsageCount', 'cooldownUntil', 'warm', 'userData', 'jar',
        ],
    },
    importProxy: { args: ['url', 'state', 'benchedUntil', 'cooldownUntil', 'successes', 'blocks', 'errors', 'rateLimits', 'timesBenched', 'created'] },
} as const satisfies Record<string, { args: readonly string[]; rest?: string }>;

export type ScriptName = keyof typeof SCHEMA;
export type ScriptArg = string | number;
/** The named arguments of a script (and its variable list, when it has one). */
export type ScriptArgs<N extends ScriptName> = Record<(typeof SCHEMA)[N]['args'][number], ScriptArg> &
    ((typeof SCHEMA)[N] extends { rest: string } ? { rest: readonly ScriptArg[] } : unknown);

export interface CompiledScript {
    readonly source: string;
    readonly sha: string;
}

const FILES: Record<ScriptName, string> = {
    acquire: 'acquire',
    peek: 'peek',
    reserve: 'reserve',
    commit: 'commit',
    abort: 'abort',
    release: 'release',
    apply: 'apply',
    retire: 'retire',
    cool: 'cool',
    get: 'get',
    renew: 'renew',
    stats: 'stats',
    register: 'register',
    import: 'import',
    importProxy: 'import-proxy',
};

function readLua(file: string): string {
    return readFileSync(new URL(`./lua/${file}.lua`, import.meta.url), 'utf8');
}

/** The full source of a script: the prelude (settings, key names, helpers), its named arguments, its body. */
function compile(name: ScriptName): CompiledScript {
    const schema: { args: readonly string[]; rest?: string } = SCHEMA[name];
    const fields = schema.args.map((arg, index) => `${arg} = ARGV[A + ${index + 1}]`);
    const opening = `local ARG = {${fields.join(', ')}}\nlocal REST = A + ${schema.args.length + 1}`;
    const source = `${readLua('prelude')}\n${opening}\n${readLua(FILES[name])}`;
    return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/** Every script, compiled once (at first use): loaded into Redis' script cache when a store connects, run by SHA. */
export const SCRIPTS: Readonly<Record<ScriptName, CompiledScript>> = Object.fromEntries(
    (Object.keys(SCHEMA) as ScriptName[]).map((name) => [name, compile(name)]),
) as Record<ScriptName, CompiledScript>;

/** ARGV of one call: the settings, then the script's arguments in schema order, then its variable list. */
export function scriptArgv<N extends ScriptName>(name: N, settings: readonly string[], args: ScriptArgs<N>): ScriptArg[] {
    const schema: { args: readonly string[]; rest?: string } = SCHEMA[name];
    const argv: ScriptArg[] = settings.slice();
    const named = args as Record<string, ScriptArg>;
    for (const arg of schema.args) {
        const value = named[arg];
        if (value === undefined) throw new Error(`Script "${name}": argument "${arg}" is missing.`);
        argv.push(value);
    }
    if (schema.rest) for (const item of (args as unknown as { rest: readonly ScriptArg[] }).rest) argv.push(item);
    return argv;
}

/** The settings header in ARGV order. */
export function settingsArgv(settings: Settings): string[] {
    return SETTINGS.map((name) => settings[name]);
}
