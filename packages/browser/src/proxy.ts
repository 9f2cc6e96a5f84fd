import { anonymizeProxy, closeAnonymizedProxy, redactUrl } from 'proxy-chain';

import { ContextCreateTimeoutError, InvalidProxyUrlError } from './errors.js';
import { withTimeout } from './timeout.js';

const DIRECT_PROXY_PROTOCOLS: Readonly<Record<string, string>> = {
    'http:': 'http:',
    'https:': 'https:',
    'socks:': 'socks5:',
    'socks5:': 'socks5:',
    'socks5h:': 'socks5:',
    'socks4:': 'socks4:',
    'socks4a:': 'socks4:',
};

/** The proxy URL with its password hidden, for messages (also for strings that are no URL). */
export function redactProxy(url: string): string {
    try {
        return redactUrl(url);
    } catch {
        return url.replace(/\/\/[^@/]*@/, '//<redacted>@');
    }
}

/** How Chromium can reach a session's proxy. */
export interface ChromiumProxyRoute {
    /** `proxyServer` for Chromium when the proxy needs no credentials; undefined when it must be anonymized. */
    directServer: string | undefined;
}

/**
 * Validates a proxy URL for Chromium. Chromium cannot take credentials in `proxyServer`, so a URL with
 * credentials has no direct server and goes through {@link ProxyAnonymizer}.
 */
export function chromiumProxyRoute(proxyUrl: string, owner: string): ChromiumProxyRoute {
    let parsed: URL;
    try {
        parsed = new URL(proxyUrl);
    } catch {
        throw new InvalidProxyUrlError(
            `Proxy URL for ${owner} is not a valid URL: "${redactProxy(proxyUrl)}". Use e.g. http://host:port or http://user:password@host:port.`,
        );
    }
    const protocol = DIRECT_PROXY_PROTOCOLS[parsed.protocol];
    if (protocol === undefined || parsed.hostname === '') {
        throw new InvalidProxyUrlError(
            `Proxy URL for ${owner} is not usable by Chromium: "${redactProxy(proxyUrl)}". ` +
                `Use an http, https, socks4 or socks5 URL with a host, e.g. http://host:port.`,
        );
    }
    if (parsed.username !== '' || parsed.password !== '') return { directServer: undefined };
    return { directServer: `${protocol}//${parsed.host}` };
}

interface Anonymized {
    promise: Promise<string>;
    refs: number;
    url?: string;
}

export interface ProxyAnonymizerStats {
    /** Local proxy-chain servers open right now (one per upstream proxy URL in use). */
    anonymizedProxiesOpen: number;
    anonymizedProxiesOpened: number;
}

/**
 * Local proxies (proxy-chain's `anonymizeProxy`) for upstream proxies with credentials, one per upstream
 * URL however many contexts use it: contexts of sessions sharing a proxy share its local server, which is
 * closed when the last of them lets go.
 */
export class ProxyAnonymizer {
    readonly #byUpstream = new Map<string, Anonymized>();
    #opened = 0;
    #open = 0;

    constructor(private readonly timeoutMillis: number) {}

    stats(): ProxyAnonymizerStats {
        return { anonymizedProxiesOpen: this.#open, anonymizedProxiesOpened: this.#opened };
    }

    /** The local proxy URL for `upstream`; every call must be matched by one {@link release}. */
    acquire(upstream: string, owner: string): Promise<string> {
        let entry = this.#byUpstream.get(upstream);
        if (entry === undefined) {
            const anonymizing = anonymizeProxy({ url: upstream, port: 0 });
            const created: Anonymized = { refs: 0, promise: Promise.resolve('') };
            created.promise = withTimeout(anonymizing, this.timeoutMillis, () => {
                anonymizing.then((late) => closeAnonymizedProxy(late, true)).catch(() => undefined);
                return new ContextCreateTimeoutError(
                    `Anonymizing proxy ${redactProxy(upstream)} for ${owner} took more than contextTimeoutMillis=${this.timeoutMillis} ms.`,
                );
            }).then(
                (url) => {
                    created.url = url;
                    this.#open += 1;
                    this.#opened += 1;
                    return url;
                },
                (error: unknown) => {
                    if (this.#byUpstream.get(upstream) === created) this.#byUpstream.delete(upstream);
                    throw error;
                },
            );
            entry = created;
            this.#byUpstream.set(upstream, entry);
        }
        entry.refs += 1;
        return entry.promise;
    }

    /** Lets go of one {@link acquire} of `upstream`; the local server closes with the last one. */
    async release(upstream: string): Promise<void> {
        const entry = this.#byUpstream.get(upstream);
        if (entry === undefined) return;
        entry.refs -= 1;
        if (entry.refs > 0) return;
        this.#byUpstream.delete(upstream);
        const url = await entry.promise.catch(() => undefined);
        if (url === undefined) return;
        this.#open -= 1;
        await closeAnonymizedProxy(url, true).catch(() => false);
    }
}
