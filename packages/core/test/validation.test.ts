import { describe, expect, it } from '@jest/globals';

import {
    FileSessionStore,
    InvalidOptionError,
    MemorySessionStore,
    ProxyConfiguration,
    type ProxyConfigurationOptions,
    SessionPool,
    type SessionPoolOptions,
    describeValue,
} from '../src/index.js';
import { redactProxyUrl } from '../src/spi.js';

function invalidOption(fn: () => unknown): InvalidOptionError {
    try {
        fn();
    } catch (error) {
        expect(error).toBeInstanceOf(InvalidOptionError);
        return error as InvalidOptionError;
    }
    throw new Error('expected an InvalidOptionError, nothing was thrown');
}

describe('SessionPool option validation', () => {
    it.each<[string, Record<string, unknown>, string, RegExp]>([
        ['negative maxPoolSize', { maxPoolSize: -1 }, 'maxPoolSize', /Option "maxPoolSize" must be an integer >= 1, got -1\./],
        ['zero maxPoolSize', { maxPoolSize: 0 }, 'maxPoolSize', /Option "maxPoolSize" must be an integer >= 1, got 0\./],
        ['non-integer maxPoolSize', { maxPoolSize: 2.5 }, 'maxPoolSize', /Option "maxPoolSize" must be an integer >= 1, got 2\.5\./],
        ['string maxPoolSize', { maxPoolSize: '10' }, 'maxPoolSize', /Option "maxPoolSize" must be an integer >= 1, got "10"\./],
        ['maxConcurrencyPerSession', { maxConcurrencyPerSession: 0 }, 'maxConcurrencyPerSession', /must be an integer >= 1, got 0\./],
        ['acquireTimeoutSecs', { acquireTimeoutSecs: 0 }, 'acquireTimeoutSecs', /must be a number of seconds > 0 and <= 2147483 \(about 24\.8 days\), got 0\./],
        ['proxyBanThreshold', { proxyBanThreshold: 0.5 }, 'proxyBanThreshold', /must be an integer >= 1, got 0\.5\./],
        ['proxyBenchSecs', { proxyBenchSecs: -1 }, 'proxyBenchSecs', /must be a number of seconds >= 0 and <= 2147483 \(about 24\.8 days\), got -1\./],
        ['proxyMaxBenchSecs below proxyBenchSecs', { proxyBenchSecs: 10, proxyMaxBenchSecs: 5 }, 'proxyMaxBenchSecs', /must be >= proxyBenchSecs \(10\), got 5\./],
        ['rateLimitBackoffSecs', { rateLimitBackoffSecs: Number.NaN }, 'rateLimitBackoffSecs', /must be a number of seconds >= 0 and <= 2147483 \(about 24\.8 days\), got NaN\./],
        ['persistIntervalSecs', { persistIntervalSecs: 0 }, 'persistIntervalSecs', /must be a number of seconds > 0 and <= 2147483 \(about 24\.8 days\), got 0\./],
        ['persist', { persist: 'yes' }, 'persist', /Option "persist" must be true or false, got "yes"\./],
        ['persistStateKey', { persistStateKey: '' }, 'persistStateKey', /must be a non-empty string, got ""\./],
        ['random', { random: 0.5 }, 'random', /Option "random" must be a function, got 0\.5\./],
        ['sessionReuseStrategy', { sessionReuseStrategy: 'lru' }, 'sessionReuseStrategy', /Option "sessionReuseStrategy" must be one of use-until-failure, round-robin, random, got "lru"\./],
        ['logLevel', { logLevel: 'loud' }, 'logLevel', /must be one of debug, info, warning, error, off, got "loud"\./],
        ['blocked status code out of range', { blockedStatusCodes: [403, 700] }, 'blockedStatusCodes', /700 is not one, got \[403,700\]\./],
        ['non-integer rate-limit code', { rateLimitStatusCodes: [429.5] }, 'rateLimitStatusCodes', /429\.5 is not one/],
        ['unknown key', { maxPoolSise: 10 }, 'maxPoolSise', /Option "maxPoolSise" is not a known option of SessionPool \(did you mean "maxPoolSize"\?\), got 10\./],
        ['unknown key without suggestion', { colour: 'red' }, 'colour', /Option "colour" is not a known option of SessionPool, got "red"\./],
        ['sessionOptions.id', { sessionOptions: { id: 'same' } }, 'sessionOptions.id', /Option "sessionOptions.id" cannot be shared by every session of a pool, got "same"\./],
        ['sessionOptions limit', { sessionOptions: { maxErrorScore: 0 } }, 'sessionOptions.maxErrorScore', /must be a number greater than 0, got 0\./],
        ['sessionOptions unknown key', { sessionOptions: { maxAge: 10 } }, 'sessionOptions.maxAge', /Option "sessionOptions.maxAge" is not a known option/],
        ['store without methods', { store: {} }, 'store', /Option "store" must implement SessionStore \(load, save, describe\), got \{\}\./],
        ['store that is a string', { store: './storage' }, 'store', /must implement SessionStore.*got "\.\/storage"\./],
        ['proxyConfiguration not an object', { proxyConfiguration: 'http://127.0.0.2:8000' }, 'proxyConfiguration', /must be an object, got "http:\/\/127\.0\.0\.2:8000"\./],
        ['bad proxy URL', { proxyConfiguration: { proxyUrls: ['not a url'] } }, 'proxyConfiguration.proxyUrls[0]', /must be a proxy URL.*got "not a url"\./],
    ])('rejects %s', (_name, options, option, message) => {
        const error = invalidOption(() => new SessionPool({ persist: 'explicit', store: new MemorySessionStore(), ...options } as SessionPoolOptions));
        expect(error.option).toBe(option);
        expect(error.message).toMatch(message);
        expect(error.code).toBe('ERR_INVALID_OPTION');
    });

    it('validates persistStateKey against the default file store', () => {
        const error = invalidOption(() => new SessionPool({ persistStateKey: '.hidden' }));
        expect(error.option).toBe('persistStateKey');
        expect(error.message).toContain('".hidden"');
        const store = new FileSessionStore({ directory: '/tmp/unused-sessionkit-dir' });
        expect(() => store.pathFor('a/b')).toThrow(/Option "persistStateKey".*"a\/b"/);
        expect(store.pathFor('ok-key_1.v2')).toBe('/tmp/unused-sessionkit-dir/ok-key_1.v2.json');
    });

    it('rejects a non-object options argument', () => {
        const error = invalidOption(() => new SessionPool(42 as unknown as SessionPoolOptions));
        expect(error.message).toMatch(/must be an object, got 42\./);
    });

    it('accepts the documented options', async () => {
        const pool = new SessionPool({
            maxPoolSize: 5,
            maxConcurrencyPerSession: 2,
            acquireTimeoutSecs: 1,
            blockedStatusCodes: [401, 403],
            rateLimitStatusCodes: [429, 420],
            proxyConfiguration: { proxyUrls: ['http://127.0.0.2:8000'] },
            proxyBanThreshold: 2,
            proxyBenchSecs: 1,
            proxyMaxBenchSecs: 2,
            rateLimitBackoffSecs: 0.5,
            rateLimitMaxBackoffSecs: 4,
            persist: false,
            persistStateKey: 'KEY',
            persistIntervalSecs: 5,
            logLevel: 'off',
            random: () => 0.5,
            sessionOptions: { maxAgeSecs: 10, maxErrorScore: 2, maxSessionUsageCount: 3, userData: { a: 1 } },
        });
        expect(pool.maxPoolSize).toBe(5);
        expect(pool.maxConcurrencyPerSession).toBe(2);
        expect(pool.acquireTimeoutMs).toBe(1000);
        expect(pool.sessionLimits).toEqual({
            maxAgeSecs: 10,
            maxErrorScore: 2,
            errorScoreDecrement: 0.5,
            maxUsageCount: 3,
            blockedStatusCodes: [401, 403],
            rateLimitStatusCodes: [429, 420],
        });
        expect(pool.store).toBeUndefined();
        await pool.teardown();
    });

    it('has the documented defaults', async () => {
        const pool = new SessionPool({ persist: false });
        expect(pool.maxPoolSize).toBe(1000);
        expect(pool.maxConcurrencyPerSession).toBe(1);
        expect(pool.acquireTimeoutMs).toBe(60_000);
        expect(pool.persistStateKey).toBe('SESSION_POOL_STATE');
        expect(pool.persistMode).toBe(false);
        expect(pool.sessionLimits).toEqual({
            maxAgeSecs: 3000,
            maxErrorScore: 3,
            errorScoreDecrement: 0.5,
            maxUsageCount: 50,
            blockedStatusCodes: [401, 403],
            rateLimitStatusCodes: [429],
        });
        expect(new SessionPool({ persist: false, blockedStatusCodes: [403, 429] }).sessionLimits.rateLimitStatusCodes).toEqual([]);
        expect(new SessionPool({ store: new MemorySessionStore() }).persistMode).toBe(true);
        await pool.teardown();
    });
});

describe('ProxyConfiguration validation', () => {
    it.each<[string, unknown, string, RegExp]>([
        ['an empty proxyUrls', { proxyUrls: [] }, 'proxyConfiguration.proxyUrls', /must be a non-empty array of proxy URLs, got \[\]\./],
        ['proxyUrls not an array', { proxyUrls: 'http://127.0.0.2:8000' }, 'proxyConfiguration.proxyUrls', /must be a non-empty array/],
        ['a URL that does not parse', { proxyUrls: ['http://127.0.0.2:8000', '127.0.0.3'] }, 'proxyConfiguration.proxyUrls[1]', /must be a proxy URL such as "http:\/\/user:pass@127\.0\.0\.2:8000", got "127\.0\.0\.3"\./],
        ['a non-proxy protocol', { proxyUrls: ['ftp://127.0.0.2:21'] }, 'proxyConfiguration.proxyUrls[0]', /must use one of http: https: socks: socks4: socks5: as protocol, got "ftp:\/\/127\.0\.0\.2:21"\./],
        ['a non-string URL', { proxyUrls: [8000] }, 'proxyConfiguration.proxyUrls[0]', /got 8000\./],
        ['a duplicate', { proxyUrls: ['http://127.0.0.2:8000', 'http://127.0.0.2:8000'] }, 'proxyConfiguration.proxyUrls', /must not list the same proxy twice/],
        ['both proxyUrls and newUrlFunction', { proxyUrls: ['http://127.0.0.2:8000'], newUrlFunction: () => 'http://127.0.0.3:8000' }, 'proxyConfiguration', /takes either proxyUrls or newUrlFunction, not both, got "\{ proxyUrls, newUrlFunction \}"\./],
        ['neither', {}, 'proxyConfiguration', /needs proxyUrls or newUrlFunction, got \{\}\./],
        ['a non-function newUrlFunction', { newUrlFunction: 'http://x' }, 'proxyConfiguration.newUrlFunction', /must be a function, got "http:\/\/x"\./],
    ])('rejects %s', (_name, options, option, message) => {
        const error = invalidOption(() => new ProxyConfiguration(options as ProxyConfigurationOptions));
        expect(error.option).toBe(option);
        expect(error.message).toMatch(message);
    });

    it('rejects a bad newUrlFunction result when asked for a URL', async () => {
        const config = new ProxyConfiguration({ newUrlFunction: () => 'not a url' });
        await expect(config.newUrl('s1')).rejects.toThrow(/Option "proxyConfiguration.newUrlFunction\(\) result" must be a proxy URL.*got "not a url"/);
    });

    it('round-robins proxyUrls and passes the session id to newUrlFunction', async () => {
        const config = new ProxyConfiguration({ proxyUrls: ['http://127.0.0.2:8000', 'http://127.0.0.3:8000'] });
        expect([await config.newUrl(), await config.newUrl(), await config.newUrl()]).toEqual([
            'http://127.0.0.2:8000',
            'http://127.0.0.3:8000',
            'http://127.0.0.2:8000',
        ]);
        const seen: (string | undefined)[] = [];
        const fn = new ProxyConfiguration({
            newUrlFunction: (sessionId) => {
                seen.push(sessionId);
                return sessionId === 'none' ? null : `http://user-${sessionId}:p%40ss@127.0.0.4:9000`;
            },
        });
        const info = await fn.newProxyInfo('abc');
        expect(info).toEqual({
            url: 'http://user-abc:p%40ss@127.0.0.4:9000',
            protocol: 'http:',
            hostname: '127.0.0.4',
            port: 9000,
            username: 'user-abc',
            password: 'p@ss',
            sessionId: 'abc',
        });
        expect(await fn.newUrl('none')).toBeUndefined();
        expect(seen).toEqual(['abc', 'none']);
    });
});

describe('error helpers', () => {
    it('describeValue and redactProxyUrl', () => {
        expect(describeValue('x'.repeat(300))).toHaveLength(203);
        expect(describeValue(undefined)).toBe('undefined');
        expect(describeValue(() => 1)).toBe('a function');
        expect(describeValue(new Array(100).fill('abcdef'))).toBe('an array of 100 items');
        const circular: Record<string, unknown> = {};
        circular.self = circular;
        expect(describeValue(circular)).toBe('an object');
        expect(redactProxyUrl('http://user:secret@127.0.0.2:8000')).toBe('http://user:***@127.0.0.2:8000');
        expect(redactProxyUrl('not a url')).toBe('not a url');
    });
});

describe('sessionOptions of a pool', () => {
    it.each([
        ['proxyUrl', 'http://127.0.0.2:8000'],
        ['usageCount', 3],
        ['cookies', [{ name: 'a', value: '1', domain: 'example.com' }]],
    ])('refuses the per-session option %s (it would be silently dropped)', (key, value) => {
        let thrown: unknown;
        try {
            new SessionPool({ persist: false, sessionOptions: { [key]: value } });
        } catch (error) {
            thrown = error;
        }
        expect(thrown).toBeInstanceOf(InvalidOptionError);
        expect((thrown as InvalidOptionError).option).toBe(`sessionOptions.${key}`);
        expect((thrown as Error).message).toMatch(/describes one session, not every session of a pool/);
    });

    it('still accepts limits and userData', () => {
        expect(() => new SessionPool({ persist: false, sessionOptions: { maxAgeSecs: 10, maxUsageCount: 5, userData: { a: 1 } } })).not.toThrow();
    });
});
