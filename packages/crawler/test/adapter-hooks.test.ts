import { afterEach, describe, expect, it } from '@jest/globals';
import { ProxyConfiguration, type Session, SessionPool } from '@sessionkit/core';
import {
    type AttemptStage,
    BasicCrawler,
    type BasicCrawlerOptions,
    type Blame,
    type CrawlerAdapter,
    type CrawlingContext,
    type NavigationResult,
    NoFaultError,
    blameFor,
} from '@sessionkit/crawler';

// The adapter hooks besides the stages: prepare (before hooks, with or without a session), classifyError
// (sees handler errors too), NoFaultError, and persistCookiesPerSession as part of the contract.

const QUIET = { statusIntervalSecs: 0, logLevel: 'off' } as const;
const pools: SessionPool[] = [];
afterEach(async () => {
    await Promise.all(pools.splice(0).map((pool) => pool.teardown()));
});

interface HookContext extends CrawlingContext {
    prepared: string[];
}

/** An adapter that records what the middleware called, in order, and answers 200 without a network. */
class RecordingAdapter implements CrawlerAdapter<HookContext> {
    readonly name = 'RecordingCrawler';
    readonly calls: string[] = [];
    readonly verdicts: Array<[string, AttemptStage]> = [];

    constructor(private readonly verdict: (error: Error, stage: AttemptStage) => Blame | undefined = () => undefined) {}

    async prepare(context: HookContext): Promise<void> {
        await Promise.resolve();
        context.prepared.push(context.session ? 'with session' : 'without session');
        this.calls.push('prepare');
    }

    applySession(): void {
        this.calls.push('apply');
    }

    async navigate(context: HookContext): Promise<NavigationResult> {
        this.calls.push('navigate');
        return { statusCode: 200, headers: {}, url: context.request.url };
    }

    saveCookies(): void {
        this.calls.push('save');
    }

    cleanup(): void {
        this.calls.push('cleanup');
    }

    classifyError(error: Error, _context: HookContext, stage: AttemptStage): Blame | undefined {
        this.verdicts.push([error.message, stage]);
        return this.verdict(error, stage);
    }
}

class RecordingCrawler extends BasicCrawler<HookContext> {
    constructor(options: BasicCrawlerOptions<HookContext>, adapter: RecordingAdapter) {
        super(options, adapter);
    }

    protected override extendContext(base: CrawlingContext): HookContext {
        return Object.assign(base, { prepared: [] as string[] });
    }
}

describe('adapter.prepare', () => {
    it('runs before the navigation hooks, with and without a session', async () => {
        for (const useSessionPool of [true, false]) {
            const adapter = new RecordingAdapter();
            const seenByHook: string[][] = [];
            const crawler = new RecordingCrawler(
                {
                    ...QUIET,
                    useSessionPool,
                    ...(useSessionPool ? { sessionPoolOptions: { persist: false } } : {}),
                    preNavigationHooks: [({ prepared }) => void seenByHook.push([...prepared])],
                    requestHandler: () => {},
                },
                adapter,
            );
            await crawler.run(['http://127.0.0.1:9/a']);
            expect(seenByHook).toEqual([[useSessionPool ? 'with session' : 'without session']]);
            expect(adapter.calls).toEqual(useSessionPool ? ['prepare', 'apply', 'navigate', 'save', 'cleanup'] : ['prepare', 'navigate', 'cleanup']);
        }
    });

    it('an error in prepare is an error of the attempt: retried, cleanup still runs', async () => {
        const adapter = new RecordingAdapter();
        let failures = 1;
        adapter.prepare = async () => {
            adapter.calls.push('prepare');
            if (failures-- > 0) throw new Error('no page');
        };
        const crawler = new RecordingCrawler({ ...QUIET, sessionPoolOptions: { persist: false }, requestHandler: () => {} }, adapter);
        const stats = await crawler.run(['http://127.0.0.1:9/a']);
        expect(stats).toMatchObject({ requestsFinished: 1, requestsRetried: 1 });
        expect(adapter.verdicts).toEqual([['no page', 'prepare']]);
        expect(adapter.calls.slice(0, 3)).toEqual(['prepare', 'save', 'cleanup']);
    });
});

describe('adapter.classifyError', () => {
    it('sees handler errors with their stage and overrides the default blame', async () => {
        const pool = new SessionPool({ persist: false, proxyConfiguration: new ProxyConfiguration({ proxyUrls: ['http://127.0.0.2:9'] }) });
        pools.push(pool);
        const adapter = new RecordingAdapter((error) => (error.message === 'browser went away' ? 'none' : undefined));
        let session: Session | undefined;
        let calls = 0;
        const crawler = new RecordingCrawler(
            {
                ...QUIET,
                sessionPool: pool,
                maxRequestRetries: 1,
                requestHandler: (context) => {
                    session = context.session;
                    calls += 1;
                    throw new Error(calls === 1 ? 'browser went away' : 'a bug');
                },
            },
            adapter,
        );
        const stats = await crawler.run(['http://127.0.0.1:9/a']);
        expect(stats).toMatchObject({ requestsFailed: 1, requestsRetried: 1 });
        expect(adapter.verdicts).toEqual([
            ['browser went away', 'handler'],
            ['a bug', 'handler'],
        ]);
        // Only the second error (default rules: the handler's bug, the session only) was held against anyone.
        expect(pool.getStats().markedBad).toBe(1);
        expect(session!.errorScore).toBe(1);
        expect(pool.getStats().proxies[0]).toMatchObject({ errors: 0 });
    });

    it('a classifyError that throws falls back to the default rules', async () => {
        const pool = new SessionPool({ persist: false });
        pools.push(pool);
        const adapter = new RecordingAdapter(() => {
            throw new Error('classifier bug');
        });
        const crawler = new RecordingCrawler(
            {
                ...QUIET,
                sessionPool: pool,
                maxRequestRetries: 0,
                requestHandler: () => {
                    throw new Error('boom');
                },
            },
            adapter,
        );
        await crawler.run(['http://127.0.0.1:9/a']);
        expect(pool.getStats().markedBad).toBe(1);
    });
});

describe('NoFaultError', () => {
    it('is retried and costs neither the session nor its proxy', async () => {
        const pool = new SessionPool({ persist: false, proxyConfiguration: new ProxyConfiguration({ proxyUrls: ['http://127.0.0.2:9'] }) });
        pools.push(pool);
        const error = new NoFaultError('the crawler is shutting down', { cause: new Error('SIGTERM') });
        expect(error).toMatchObject({ sessionFault: false, code: 'ERR_NO_FAULT' });
        expect(blameFor(error, false)).toBe('none');
        let attempts = 0;
        const crawler = new BasicCrawler({
            ...QUIET,
            sessionPool: pool,
            maxRequestRetries: 2,
            requestHandler: () => {
                attempts += 1;
                throw error;
            },
        });
        const stats = await crawler.run(['http://127.0.0.1:9/a']);
        expect(attempts).toBe(3);
        expect(stats.requestsFailed).toBe(1);
        expect(pool.getStats()).toMatchObject({ markedBad: 0 });
        expect(pool.getStats().proxies[0]).toMatchObject({ errors: 0, state: 'healthy' });
    });
});

describe('persistCookiesPerSession: false', () => {
    it('is on the crawler handle, and saveCookies is not called', async () => {
        const adapter = new RecordingAdapter();
        const flags: boolean[] = [];
        const crawler = new RecordingCrawler(
            {
                ...QUIET,
                persistCookiesPerSession: false,
                sessionPoolOptions: { persist: false },
                requestHandler: ({ crawler: handle }) => void flags.push(handle.persistCookiesPerSession),
            },
            adapter,
        );
        await crawler.run(['http://127.0.0.1:9/a']);
        expect(flags).toEqual([false]);
        expect(adapter.calls).toEqual(['prepare', 'apply', 'navigate', 'cleanup']);
    });
});
