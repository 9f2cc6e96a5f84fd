import { InvalidOptionError } from './errors.js';

/**
 * Durations in options: one rule for every `…Secs` option. Node's timers overflow past 2^31-1 ms (~24.8 days) and
 * then fire at once, so a finite value beyond that is refused; where "no limit" makes sense, `Infinity` says so and
 * arms no timer at all. Nothing is clamped silently.
 */
export const MAX_TIMER_SECS = Math.floor((2 ** 31 - 1) / 1000);

export interface DurationRule {
    /** Whether 0 is allowed (e.g. an interval of 0 = off). Default false: the value must be > 0. */
    allowZero?: boolean;
    /** Whether `Infinity` is accepted, meaning "no limit" / "never". Default false. */
    allowInfinity?: boolean;
}

/** Validates a duration in seconds (undefined passes: the default applies). */
export function checkDurationSecs(option: string, value: unknown, rule: DurationRule = {}): asserts value is number | undefined {
    if (value === undefined) return;
    const lower = rule.allowZero ? '>= 0' : '> 0';
    const expectation = `must be a number of seconds ${lower} and <= ${MAX_TIMER_SECS} (about 24.8 days)${rule.allowInfinity ? ', or Infinity for no limit' : ''}`;
    if (typeof value !== 'number' || Number.isNaN(value)) throw new InvalidOptionError(option, value, expectation);
    if (value === Number.POSITIVE_INFINITY) {
        if (rule.allowInfinity) return;
        throw new InvalidOptionError(option, value, expectation);
    }
    if (value < 0 || (value === 0 && !rule.allowZero) || value > MAX_TIMER_SECS) throw new InvalidOptionError(option, value, expectation);
}

/** Milliseconds of a validated duration; `Infinity` stays `Infinity`. */
export function durationMs(secs: number): number {
    return secs === Number.POSITIVE_INFINITY ? secs : secs * 1000;
}
