import { type AntiBotSite, type AntiBotSiteOptions, type ProxyFarm, startAntiBotSite, startProxyFarm } from '@sessionkit/testing';

/**
 * Where an example crawls: the URL given on the command line, or else a freshly started anti-bot simulator
 * (on 127.0.0.1) so that every example runs offline with no setup.
 */
export interface Target {
    /** Start URLs. */
    urls: string[];
    /** The simulator, when no URL was given. */
    site: AntiBotSite | undefined;
    close(): Promise<void>;
}

export async function openTarget(pages: number, siteOptions: AntiBotSiteOptions = {}): Promise<Target> {
    const given = process.argv.slice(2).filter((arg) => /^https?:\/\//.test(arg));
    if (given.length > 0) return { urls: given, site: undefined, close: async () => {} };
    const site = await startAntiBotSite({ pageCount: Math.max(pages, 1), ...siteOptions });
    return { urls: site.pageUrls(pages), site, close: () => site.close() };
}

/** A farm of real proxies on 127.0.0.2… when crawling the simulator; none for a real URL (bring your own). */
export async function openProxies(target: Target, count: number): Promise<ProxyFarm | undefined> {
    return target.site ? startProxyFarm({ count }) : undefined;
}

export function isQuiet(): boolean {
    return process.argv.includes('--quiet') || process.env.SESSIONKIT_EXAMPLE_QUIET === '1';
}
