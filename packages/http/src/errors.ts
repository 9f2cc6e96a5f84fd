import { NonRetryableError } from '@sessionkit/crawler';

/**
 * A Cookie header given with a request (its `headers`, a pre-navigation hook, `requestOptions`) has a part
 * that is not `name=value`. Thrown before anything is sent, as Crawlee does, rather than dropping the part
 * silently: the request would reach the site without a cookie the caller meant to send. Retrying cannot
 * help, and neither the session nor its proxy is at fault.
 */
export class CookieHeaderError extends NonRetryableError {
    /** The offending part, trimmed. */
    readonly fragment: string;
    readonly sessionFault = false;

    constructor(fragment: string) {
        super(`The Cookie header has a malformed part "${fragment}": every ";"-separated part must be name=value. Fix the request's Cookie header.`);
        this.fragment = fragment;
    }
}
