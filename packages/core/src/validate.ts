import { InvalidOptionError } from './errors.js';

// Option checks run once per pool (or per standalone Session), never per pooled session.

export function checkObject(option: string, value: unknown): asserts value is Record<string, unknown> | undefined {
    if (value !== undefined && (value === null || typeof value !== 'object' || Array.isArray(value))) {
        throw new InvalidOptionError(option, value, 'must be an object');
    }
}

/** `owner` is an option path ("sessionOptions") or, in parentheses, a description ("(SessionPool options)"). */
export function checkKnownKeys(owner: string, value: Record<string, unknown>, known: ReadonlySet<string>): void {
    for (const key of Object.keys(value)) {
        if (!known.has(key)) {
            const suggestion = closest(key, known);
            throw new InvalidOptionError(
                owner.startsWith('(') ? key : `${owner}.${key}`,
                value[key],
                `is not a known option${owner.startsWith('(') ? ` ${owner.slice(1, -1)}` : ''}${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`,
            );
        }
    }
}

export function checkNumber(
    option: string,
    value: unknown,
    { min, max, integer = false, exclusiveMin = false }: { min?: number; max?: number; integer?: boolean; exclusiveMin?: boolean },
): asserts value is number | undefined {
    if (value === undefined) return;
    const kind = integer ? 'an integer' : 'a number';
    const range =
        min !== undefined && max !== undefined
            ? ` between ${min} and ${max}`
            : min !== undefined
              ? exclusiveMin
                  ? ` greater than ${min}`
                  : ` >= ${min}`
              : max !== undefined
                ? ` <= ${max}`
                : '';
    if (typeof value !== 'number' || Number.isNaN(value) || (integer && !Number.isInteger(value))) {
        throw new InvalidOptionError(option, value, `must be ${kind}${range}`);
    }
    if ((min !== undefined && (exclusiveMin ? value <= min : value < min)) || (max !== undefined && value > max)) {
        throw new InvalidOptionError(option, value, `must be ${kind}${range}`);
    }
}

export function checkString(option: string, value: unknown, { nonEmpty = true } = {}): asserts value is string | undefined {
    if (value === undefined) return;
    if (typeof value !== 'string' || (nonEmpty && value.length === 0)) {
        throw new InvalidOptionError(option, value, nonEmpty ? 'must be a non-empty string' : 'must be a string');
    }
}

export function checkFunction(option: string, value: unknown): asserts value is ((...args: never[]) => unknown) | undefined {
    if (value !== undefined && typeof value !== 'function') throw new InvalidOptionError(option, value, 'must be a function');
}

export function checkBoolean(option: string, value: unknown): asserts value is boolean | undefined {
    if (value !== undefined && typeof value !== 'boolean') throw new InvalidOptionError(option, value, 'must be true or false');
}

export function checkStatusCodes(option: string, value: unknown): asserts value is number[] | undefined {
    if (value === undefined) return;
    if (!Array.isArray(value)) throw new InvalidOptionError(option, value, 'must be an array of HTTP status codes (100-599)');
    for (const code of value) {
        if (typeof code !== 'number' || !Number.isInteger(code) || code < 100 || code > 599) {
            throw new InvalidOptionError(option, value, `must be an array of HTTP status codes (100-599); ${String(code)} is not one`);
        }
    }
}

export function checkDate(option: string, value: unknown): asserts value is Date | string | number | undefined {
    if (value === undefined) return;
    const ms = toEpochMs(value);
    if (ms === undefined) throw new InvalidOptionError(option, value, 'must be a Date, an ISO date string or epoch milliseconds');
}

export function toEpochMs(value: unknown): number | undefined {
    let ms: number;
    if (value instanceof Date) ms = value.getTime();
    else if (typeof value === 'string') ms = Date.parse(value);
    else if (typeof value === 'number') ms = value;
    else return undefined;
    return Number.isFinite(ms) ? ms : undefined;
}

function closest(key: string, known: ReadonlySet<string>): string | undefined {
    let best: string | undefined;
    let bestDistance = 3;
    const lower = key.toLowerCase();
    for (const candidate of known) {
        const distance = editDistance(lower, candidate.toLowerCase());
        if (distance < bestDistance) {
            best = candidate;
            bestDistance = distance;
        }
    }
    return best;
}

function editDistance(a: string, b: string): number {
    if (Math.abs(a.length - b.length) > 3) return 99;
    let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
        const current = [i];
        for (let j = 1; j <= b.length; j++) {
            current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
        }
        previous = current;
    }
    return previous[b.length]!;
}
