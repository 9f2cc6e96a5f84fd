/**
 * Proxy passwords must never reach what users print: messages, stats, events, `util.inspect()` of errors. Errors
 * of HTTP clients carry their whole request options (got's `options`, ioredis' `args`) and print them, so errors
 * that leave sessionkit are reduced to what explains them: name, message, code and stack, credentials masked.
 */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:@/?#]*):([^\s@/?#]*)@/gi;

/** `scheme://user:password@` → `scheme://user:***@` anywhere in `text`. */
export function redactCredentials(text: string): string {
    return text.replace(URL_CREDENTIALS, (_, scheme: string, user: string) => `${scheme}${user}:***@`);
}

const KEPT_FIELDS = ['code', 'errno', 'syscall', 'address', 'port', 'statusCode'] as const;

/**
 * A copy of `error` safe to keep as a `cause` and to print: same name, message, stack and error codes (what
 * blame rules and users read), credentials masked, and none of the client's objects (options, request, args).
 */
export function sanitizeError(error: unknown, depth = 0): Error {
    if (!(error instanceof Error)) return new Error(redactCredentials(String(error)));
    const copy = new Error(redactCredentials(error.message));
    Object.defineProperty(copy, 'name', { value: error.name, enumerable: false, writable: true, configurable: true });
    copy.stack = error.stack === undefined ? undefined : redactCredentials(error.stack);
    const source = error as unknown as Record<string, unknown>;
    const target = copy as unknown as Record<string, unknown>;
    for (const field of KEPT_FIELDS) {
        const value = source[field];
        if (typeof value === 'string') target[field] = redactCredentials(value);
        else if (typeof value === 'number') target[field] = value;
    }
    if (error.cause !== undefined && depth < 5) copy.cause = sanitizeError(error.cause, depth + 1);
    return copy;
}
