/**
 * Renders a bad option value for an error message: strings quoted, numbers as written
 * (`NaN`, `Infinity`, `1.5`), objects as (truncated) JSON.
 */
export function describeValue(value: unknown): string {
    if (typeof value === 'string') return JSON.stringify(value);
    if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
    if (value === undefined) return 'undefined';
    if (value === null) return 'null';
    if (typeof value === 'function') return 'a function';
    if (typeof value === 'symbol') return value.toString();
    let json: string;
    try {
        json = JSON.stringify(value) ?? String(value);
    } catch {
        json = Object.prototype.toString.call(value);
    }
    return json.length > 120 ? `${json.slice(0, 117)}...` : json;
}

/**
 * Thrown by `startAntiBotSite()` when an option is invalid. The message names the option and the bad value,
 * e.g. `startAntiBotSite: option "softBlockRate" must be a number between 0 and 1, got 1.5`.
 */
export class AntiBotSiteOptionError extends TypeError {
    override readonly name = 'AntiBotSiteOptionError';
    /** Option path, e.g. `softBlockRate` or `newVisitorLimit.max`. */
    readonly option: string;
    /** The rejected value. */
    readonly value: unknown;

    constructor(option: string, requirement: string, value: unknown) {
        super(`startAntiBotSite: option "${option}" ${requirement}, got ${describeValue(value)}`);
        this.option = option;
        this.value = value;
    }
}

/**
 * Thrown by `startProxyFarm()` when an option is invalid. The message names the option and the bad value,
 * e.g. `startProxyFarm: option "count" must be an integer from 1 to 250, got 0`.
 */
export class ProxyFarmOptionError extends TypeError {
    override readonly name = 'ProxyFarmOptionError';
    /** Option path, e.g. `count` or `credentials.username`. */
    readonly option: string;
    /** The rejected value. */
    readonly value: unknown;

    constructor(option: string, requirement: string, value: unknown) {
        super(`startProxyFarm: option "${option}" ${requirement}, got ${describeValue(value)}`);
        this.option = option;
        this.value = value;
    }
}
