export type LogLevel = 'debug' | 'info' | 'warning' | 'error' | 'off';

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warning: 30, error: 40, off: 100 };

export interface LogSink {
    (level: Exclude<LogLevel, 'off'>, prefix: string, message: string, data?: Record<string, unknown>): void;
}

const consoleSink: LogSink = (level, prefix, message, data) => {
    const line = `${level.toUpperCase().padEnd(7)} ${prefix ? `${prefix}: ` : ''}${message}${data ? ` ${JSON.stringify(data)}` : ''}`;
    if (level === 'error' || level === 'warning') console.error(line);
    else console.log(line);
};

function defaultLevel(): LogLevel {
    const fromEnv = process.env.SESSIONKIT_LOG_LEVEL?.toLowerCase();
    if (fromEnv && fromEnv in LEVEL_RANK) return fromEnv as LogLevel;
    return 'info';
}

/** A tiny leveled logger; `child()` shares the level and sink but adds a prefix. */
export class Log {
    level: LogLevel;
    readonly prefix: string;
    readonly sink: LogSink;

    constructor(options: { level?: LogLevel; prefix?: string; sink?: LogSink } = {}) {
        this.level = options.level ?? defaultLevel();
        this.prefix = options.prefix ?? '';
        this.sink = options.sink ?? consoleSink;
    }

    child(prefix: string): Log {
        return new Log({ level: this.level, prefix: this.prefix ? `${this.prefix}:${prefix}` : prefix, sink: this.sink });
    }

    isEnabled(level: Exclude<LogLevel, 'off'>): boolean {
        return LEVEL_RANK[level] >= LEVEL_RANK[this.level];
    }

    debug(message: string, data?: Record<string, unknown>): void {
        if (LEVEL_RANK.debug >= LEVEL_RANK[this.level]) this.sink('debug', this.prefix, message, data);
    }

    info(message: string, data?: Record<string, unknown>): void {
        if (LEVEL_RANK.info >= LEVEL_RANK[this.level]) this.sink('info', this.prefix, message, data);
    }

    warning(message: string, data?: Record<string, unknown>): void {
        if (LEVEL_RANK.warning >= LEVEL_RANK[this.level]) this.sink('warning', this.prefix, message, data);
    }

    error(message: string, data?: Record<string, unknown>): void {
        if (LEVEL_RANK.error >= LEVEL_RANK[this.level]) this.sink('error', this.prefix, message, data);
    }
}
