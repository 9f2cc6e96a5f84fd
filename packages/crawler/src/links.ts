import { InvalidOptionError } from '@sessionkit/core';

export interface EnqueueLinksOptions {
    /** CSS selector of the links. Default 'a[href]'. */
    selector?: string;
    /** Keep only links on the page's origin. Default true. */
    sameOrigin?: boolean;
    /** Keep only URLs this returns true for. */
    filter?: (url: string) => boolean;
    /** Label of the new requests. */
    label?: string;
}

/** The selector of `enqueueLinks` options, validated. */
export function linkSelector(options: EnqueueLinksOptions): string {
    const { selector = 'a[href]' } = options;
    if (typeof selector !== 'string' || selector.length === 0) throw new InvalidOptionError('enqueueLinks.selector', selector, 'must be a CSS selector');
    return selector;
}

/**
 * The requests `enqueueLinks` adds for the `href` values found on a page: resolved against the page's final
 * URL, http(s) only, without fragments, deduplicated, filtered by origin and `filter`. Every crawler type's
 * `enqueueLinks` goes through it, so they all pick the same links.
 */
export function linkRequests(hrefs: Iterable<string | null | undefined>, baseUrl: string, options: EnqueueLinksOptions): Array<{ url: string; label?: string }> {
    const { sameOrigin = true, filter, label } = options;
    const origin = new URL(baseUrl).origin;
    const urls = new Set<string>();
    for (const href of hrefs) {
        if (!href) continue;
        let url: URL;
        try {
            url = new URL(href, baseUrl);
        } catch {
            continue; // not a URL: skip it, never fail the page
        }
        if (url.protocol !== 'http:' && url.protocol !== 'https:') continue;
        if (sameOrigin && url.origin !== origin) continue;
        url.hash = '';
        const resolved = url.toString();
        if (filter && !filter(resolved)) continue;
        urls.add(resolved);
    }
    return [...urls].map((url) => (label ? { url, label } : { url }));
}
