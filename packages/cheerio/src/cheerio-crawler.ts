import { InvalidOptionError } from '@sessionkit/core';
import type { AddRequestsResult, CrawlingContext } from '@sessionkit/crawler';
import { HttpCrawler, type HttpCrawlerOptions, type HttpCrawlingContext } from '@sessionkit/http';
// htmlparser2 only (as Crawlee): twice as fast as parse5, and parse5 is never loaded.
import { type CheerioAPI, load } from 'cheerio/slim';

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

export interface CheerioCrawlingContext extends HttpCrawlingContext {
    /** The parsed page (an empty document before navigation or for non-HTML bodies). */
    $: CheerioAPI;
    /** Queues the page's links (resolved against the final URL). */
    enqueueLinks(options?: EnqueueLinksOptions): Promise<AddRequestsResult>;
}

export type CheerioCrawlerOptions = HttpCrawlerOptions<CheerioCrawlingContext>;

const HTML_TYPES = new Set(['text/html', 'application/xhtml+xml', 'text/xml', 'application/xml']);

/** HttpCrawler plus a parsed `$` (cheerio) and `enqueueLinks` in the context. */
export class CheerioCrawler extends HttpCrawler<CheerioCrawlingContext> {
    constructor(options: CheerioCrawlerOptions = {}) {
        super(options, 'CheerioCrawler');
    }

    protected override extendContext(base: CrawlingContext): CheerioCrawlingContext {
        const context = super.extendContext(base);
        // A fresh empty document per attempt: a shared one would carry what a handler added to it to every later page.
        context.$ = load('');
        context.enqueueLinks = (options = {}) => enqueueLinks(context, options);
        return context;
    }

    protected override afterNavigation(context: CheerioCrawlingContext): void {
        // Parse only markup: a JSON or binary body stays in `body`.
        if (context.contentType === undefined || HTML_TYPES.has(context.contentType)) context.$ = load(context.body);
    }
}

async function enqueueLinks(context: CheerioCrawlingContext, options: EnqueueLinksOptions): Promise<AddRequestsResult> {
    const { selector = 'a[href]', sameOrigin = true, filter, label } = options;
    if (typeof selector !== 'string' || selector.length === 0) throw new InvalidOptionError('enqueueLinks.selector', selector, 'must be a CSS selector');
    const base = context.navigation?.url ?? context.request.url;
    const origin = new URL(base).origin;
    const urls = new Set<string>();
    context.$(selector).each((_, element) => {
        const href = context.$(element).attr('href');
        if (!href) return;
        let url: URL;
        try {
            url = new URL(href, base);
        } catch {
            return; // not a URL: skip it, never fail the page
        }
        if (url.protocol !== 'http:' && url.protocol !== 'https:') return;
        if (sameOrigin && url.origin !== origin) return;
        url.hash = '';
        const href2 = url.toString();
        if (filter && !filter(href2)) return;
        urls.add(href2);
    });
    return context.addRequests([...urls].map((url) => (label ? { url, label } : { url })));
}
