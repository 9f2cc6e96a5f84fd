import { describe, expect, it } from '@jest/globals';
import { type BrowserCookie, CookieSyncTracker, type SessionCookieLike, pushCookies } from '@sessionkit/browser';

const now = 1_800_000_000;
const cookie = (name: string, value: string, extra: Partial<SessionCookieLike> = {}): SessionCookieLike => ({
    name,
    value,
    domain: 'a.test',
    path: '/',
    httpOnly: false,
    secure: false,
    ...extra,
});
const inBrowser = (name: string, value: string, extra: Partial<BrowserCookie> = {}): BrowserCookie => ({
    name,
    value,
    domain: 'a.test',
    path: '/',
    expires: -1,
    httpOnly: false,
    secure: false,
    ...extra,
});

describe('CookieSyncTracker', () => {
    it('pushes every live cookie into a fresh context, then only changes; expired cookies never', () => {
        const tracker = new CookieSyncTracker();
        const first = tracker.planPush([cookie('a', '1'), cookie('b', '2', { domain: '.a.test' }), cookie('old', 'x', { expires: now - 1 })], now);
        expect(first.set.map((c) => [c.name, c.domain])).toEqual([
            ['a', 'a.test'],
            ['b', '.a.test'],
        ]);
        expect(first.remove).toEqual([]);
        tracker.markPushed(first.set);
        expect(tracker.planPush([cookie('a', '1'), cookie('b', '2', { domain: '.a.test' })], now)).toEqual({ set: [], remove: [] });
        const changed = tracker.planPush([cookie('a', '1'), cookie('b', '3', { domain: '.a.test' })], now);
        expect(changed.set.map((c) => `${c.name}=${c.value}`)).toEqual(['b=3']);
    });

    it('removes from the context what the session dropped', () => {
        const tracker = new CookieSyncTracker();
        tracker.markPushed([inBrowser('a', '1'), inBrowser('gone', '1', { domain: '.a.test', path: '/x' })]);
        const plan = tracker.planPush([cookie('a', '1')], now);
        expect(plan.set).toEqual([]);
        expect(plan.remove.map((c) => [c.name, c.domain, c.path])).toEqual([['gone', '.a.test', '/x']]);
        tracker.markRemoved(plan.remove);
        expect(tracker.size).toBe(1);
    });

    it('pulls only new or changed cookies, and reports the ones the browser deleted', () => {
        const tracker = new CookieSyncTracker();
        expect(tracker.pull([inBrowser('a', '1'), inBrowser('b', '1', { domain: '.a.test' }), inBrowser('chips', '1', { partitioned: true })]).changed.map((c) => c.name)).toEqual([
            'a',
            'b',
        ]);
        const { changed, deleted } = tracker.pull([inBrowser('a', '2'), inBrowser('c', '1', { httpOnly: true })]);
        expect(changed.map((c) => `${c.name}=${c.value}`)).toEqual(['a=2', 'c=1']);
        expect(deleted).toEqual([{ name: 'b', value: '', domain: '.a.test', path: '/', httpOnly: false, secure: false, hostOnly: false, expires: 1 }]);
        // A flag change is a change; the same cookie again is not.
        expect(tracker.pull([inBrowser('a', '2'), inBrowser('c', '1')]).changed.map((c) => c.name)).toEqual(['c']);
        expect(tracker.pull([inBrowser('a', '2'), inBrowser('c', '1')])).toEqual({ changed: [], deleted: [] });
    });
});

describe('pushCookies', () => {
    it('falls back to one by one when the browser refuses the batch, keeping the valid cookies', async () => {
        const stored: string[] = [];
        const set = async (batch: BrowserCookie[]) => {
            if (batch.some((c) => c.name.startsWith('__Host-') && !c.secure)) throw new Error('Invalid cookie fields');
            stored.push(...batch.map((c) => c.name));
        };
        const result = await pushCookies(set, [inBrowser('a', '1'), inBrowser('__Host-bad', '1'), inBrowser('b', '1')], () => false);
        expect(result.accepted.map((c) => c.name)).toEqual(['a', 'b']);
        expect(result.rejected.map(({ cookie, error }) => [cookie.name, error.message])).toEqual([['__Host-bad', 'Invalid cookie fields']]);
        expect(stored).toEqual(['a', 'b']);
    });

    it('rethrows when the context is gone instead of retrying', async () => {
        const set = async () => {
            throw new Error('Target closed');
        };
        await expect(pushCookies(set, [inBrowser('a', '1')], () => true)).rejects.toThrow('Target closed');
        expect(await pushCookies(set, [], () => true)).toEqual({ accepted: [], rejected: [] });
    });
});
