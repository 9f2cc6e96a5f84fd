import net from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { InvalidProxyUrlError, ProxyAnonymizer, chromiumProxyRoute } from '@sessionkit/browser';
import { Server as ProxyServer } from 'proxy-chain';

function canConnect(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = net.connect(port, '127.0.0.1');
        socket.once('connect', () => {
            socket.destroy();
            resolve(true);
        });
        socket.once('error', () => resolve(false));
    });
}

let upstream: ProxyServer;
let upstreamUrl: string;

beforeAll(async () => {
    upstream = new ProxyServer({
        host: '127.0.0.2',
        port: 0,
        prepareRequestFunction: ({ username, password }) => ({ requestAuthentication: username !== 'alice' || password !== 's3cr3t' }),
    });
    await upstream.listen();
    upstreamUrl = `http://alice:s3cr3t@127.0.0.2:${upstream.port}`;
});

afterAll(async () => {
    await upstream.close(true);
});

describe('chromiumProxyRoute', () => {
    it('passes a proxy without credentials straight to Chromium, and asks to anonymize one with credentials', () => {
        expect(chromiumProxyRoute('http://127.0.0.2:8000', 'session "a"')).toEqual({ directServer: 'http://127.0.0.2:8000' });
        expect(chromiumProxyRoute('socks5h://127.0.0.2:1080', 'session "a"')).toEqual({ directServer: 'socks5://127.0.0.2:1080' });
        expect(chromiumProxyRoute(upstreamUrl, 'session "a"')).toEqual({ directServer: undefined });
    });

    it('refuses what Chromium cannot use, without showing the password', () => {
        expect(() => chromiumProxyRoute('not a url', 'session "a"')).toThrow(InvalidProxyUrlError);
        expect(() => chromiumProxyRoute('ftp://u:hunter2@127.0.0.1:21', 'session "a"')).toThrow(/not usable by Chromium.*ftp:\/\/u:<redacted>@/);
    });
});

describe('ProxyAnonymizer', () => {
    it('keeps one local proxy per upstream however many contexts use it, closed with the last one', async () => {
        const anonymizer = new ProxyAnonymizer(5_000);
        const [first, second] = await Promise.all([anonymizer.acquire(upstreamUrl, 'a'), anonymizer.acquire(upstreamUrl, 'b')]);
        expect(first).toBe(second);
        expect(first).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect(anonymizer.stats()).toEqual({ anonymizedProxiesOpen: 1, anonymizedProxiesOpened: 1 });
        const port = Number(new URL(first).port);
        await anonymizer.release(upstreamUrl);
        expect(await canConnect(port)).toBe(true);
        await anonymizer.release(upstreamUrl);
        expect(await canConnect(port)).toBe(false);
        expect(anonymizer.stats()).toEqual({ anonymizedProxiesOpen: 0, anonymizedProxiesOpened: 1 });
        // A later use opens a new one.
        const third = await anonymizer.acquire(upstreamUrl, 'c');
        expect(anonymizer.stats()).toEqual({ anonymizedProxiesOpen: 1, anonymizedProxiesOpened: 2 });
        expect(third).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        await anonymizer.release(upstreamUrl);
        expect(anonymizer.stats().anonymizedProxiesOpen).toBe(0);
    });
});
