/**
 * Parses an HTTP Retry-After value (delta-seconds or an HTTP date) into milliseconds from `now`.
 * Returns undefined when absent or unparseable, so callers fall back to their own backoff.
 */
export function parseRetryAfterMs(value: string | string[] | number | undefined | null, now = Date.now()): number | undefined {
    if (value === undefined || value === null) return undefined;
    const raw = Array.isArray(value) ? value[0] : value;
    if (raw === undefined) return undefined;
    if (typeof raw === 'number') return Number.isFinite(raw) && raw >= 0 ? raw * 1000 : undefined;
    const trimmed = raw.trim();
    if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
    // An HTTP date names its month; without that, Date.parse reads "-5" as the year -5 (= retry now).
    if (!/[a-z]{3}/i.test(trimmed)) return undefined;
    const date = Date.parse(trimmed);
    if (!Number.isFinite(date)) return undefined;
    return Math.max(0, date - now);
}

/** Exponential backoff with "equal jitter": half fixed, half random, so retries spread but never collapse to zero. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
    const exponential = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt));
    return Math.round(exponential / 2 + (exponential / 2) * random());
}
