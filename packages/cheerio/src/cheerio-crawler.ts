import { type AddRequestsResult, type CrawlingContext, type EnqueueLinksOptions, linkRequests, linkSelector } from '@sessionkit/crawler';
import { HttpCrawler, type HttpCrawlerOptions, type HttpCrawlingContext } from '@sessionkit/http';
// htmlparser2 only (as Crawlee): twice as fast as parse5, and parse5 is never loaded.
import { type CheerioAPI, load } from 'cheerio/slim';

export type { EnqueueLinksOptions } from '@sessionkit/crawler';

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
    const selector = linkSelector(options);
    const hrefs = context.$(selector).map((_, element) => context.$(element).attr('href')).get();
    return context.addRequests(linkRequests(hrefs, context.navigation?.url ?? context.request.url, options));
}
