import { NonRetryableError } from '@sessionkit/crawler';
import type { Response } from 'got-scraping';

/** Default `maxResponseBytes`: generous for HTML pages, small enough that a hostile site cannot exhaust memory. */
export const DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024;

/**
 * A response body was larger than `maxResponseBytes`: the download was stopped at the limit, nothing more was
 * buffered. The page is as large on every try, so the request fails without retries; neither the session nor
 * its proxy did anything wrong.
 */
export class ResponseTooLargeError extends NonRetryableError {
    readonly sessionFault = false;
    readonly maxResponseBytes: number;

    constructor(url: string, maxResponseBytes: number, announcedBytes: number | undefined) {
        super(
            `${url} sent a response larger than maxResponseBytes (${maxResponseBytes} bytes)` +
                `${announcedBytes !== undefined ? `: Content-Length ${announcedBytes}` : ''}; the download was stopped. ` +
                `Raise maxResponseBytes if such pages are expected.`,
        );
        this.maxResponseBytes = maxResponseBytes;
    }
}

/** The part of got's cancelable request promise the limit needs. */
interface CancelableRequest<T> extends PromiseLike<T> {
    on(event: 'response', listener: (response: { headers: Record<string, string | string[] | undefined> }) => void): unknown;
    on(event: 'downloadProgress', listener: (progress: { transferred: number }) => void): unknown;
    cancel(reason?: string): void;
}

/**
 * Awaits `request`, cancelling it as soon as the body is known to exceed `maxBytes`: up front from Content-Length,
 * else while it downloads. `Infinity` means no limit.
 */
export async function withResponseSizeLimit<T extends Response<string>>(request: CancelableRequest<T>, url: string, maxBytes: number): Promise<T> {
    if (maxBytes === Number.POSITIVE_INFINITY) return request;
    let tooLarge: ResponseTooLargeError | undefined;
    const stop = (announced: number | undefined) => {
        if (tooLarge) return;
        tooLarge = new ResponseTooLargeError(url, maxBytes, announced);
        request.cancel(tooLarge.message);
    };
    request.on('response', (response) => {
        const announced = Number(response.headers['content-length']);
        if (Number.isFinite(announced) && announced > maxBytes) stop(announced);
    });
    request.on('downloadProgress', ({ transferred }) => {
        if (transferred > maxBytes) stop(undefined);
    });
    try {
        return await request;
    } catch (error) {
        throw tooLarge ?? error;
    }
}
