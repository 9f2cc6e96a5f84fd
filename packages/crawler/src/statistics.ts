import type { RetireReason, SessionPool, SessionPoolStats } from '@sessionkit/core';

/** What `crawler.run()` returns. */
export interface CrawlerRunStatistics {
    crawler: string;
    requestsFinished: number;
    requestsFailed: number;
    /** Retries that spent a request retry (errors). */
    requestsRetried: number;
    /** Retries with another session because the session was blocked (spend no request retry). */
    sessionRotations: number;
    /** Retries after a rate limit (spend no request retry). */
    rateLimitRetries: number;
    /** Navigations (attempts that reached the site), with their status codes. */
    navigations: number;
    statusCodes: Record<string, number>;
    blockedResponses: number;
    rateLimitedResponses: number;
    /** Attempts per finished request. */
    attemptsPerRequest: number;
    sessionsCreated: number;
    sessionsRetired: number;
    retiredByReason: Partial<Record<RetireReason, number>>;
    proxiesBenched: number;
    durationMs: number;
    requestsPerMinute: number;
}

/** Counters of a crawl; cheap to update from the hot path. */
export class CrawlerStatistics {
    requestsFinished = 0;
    requestsFailed = 0;
    requestsRetried = 0;
    sessionRotations = 0;
    rateLimitRetries = 0;
    attempts = 0;
    navigations = 0;
    blockedResponses = 0;
    rateLimitedResponses = 0;
    readonly statusCodes = new Map<number, number>();
    startedAt = 0;
    finishedAt = 0;

    recordNavigation(statusCode: number, verdict: 'ok' | 'blocked' | 'rateLimited' | 'error'): void {
        this.navigations += 1;
        this.statusCodes.set(statusCode, (this.statusCodes.get(statusCode) ?? 0) + 1);
        if (verdict === 'blocked') this.blockedResponses += 1;
        else if (verdict === 'rateLimited') this.rateLimitedResponses += 1;
    }

    elapsedMs(now = Date.now()): number {
        if (this.startedAt === 0) return 0;
        return (this.finishedAt || now) - this.startedAt;
    }

    snapshot(crawler: string, pool: SessionPool | undefined): CrawlerRunStatistics {
        const durationMs = this.elapsedMs();
        const poolStats: SessionPoolStats | undefined = pool?.getStats();
        const retiredByReason: Partial<Record<RetireReason, number>> = {};
        if (poolStats) {
            for (const [reason, count] of Object.entries(poolStats.retiredByReason)) if (count > 0) retiredByReason[reason as RetireReason] = count;
        }
        const done = this.requestsFinished + this.requestsFailed;
        return {
            crawler,
            requestsFinished: this.requestsFinished,
            requestsFailed: this.requestsFailed,
            requestsRetried: this.requestsRetried,
            sessionRotations: this.sessionRotations,
            rateLimitRetries: this.rateLimitRetries,
            navigations: this.navigations,
            statusCodes: Object.fromEntries([...this.statusCodes].sort((a, b) => a[0] - b[0]).map(([code, count]) => [String(code), count])),
            blockedResponses: this.blockedResponses,
            rateLimitedResponses: this.rateLimitedResponses,
            attemptsPerRequest: done === 0 ? 0 : round(this.attempts / done, 2),
            sessionsCreated: poolStats?.sessionsCreated ?? 0,
            sessionsRetired: poolStats?.sessionsRetired ?? 0,
            retiredByReason,
            proxiesBenched: poolStats?.proxiesBenched ?? 0,
            durationMs,
            requestsPerMinute: durationMs === 0 ? 0 : round((this.requestsFinished / durationMs) * 60_000, 1),
        };
    }

    /** One line for the periodic progress log. */
    progressLine(pool: SessionPool | undefined, pending: number, inProgress: number): string {
        const elapsed = this.elapsedMs();
        const rate = elapsed === 0 ? 0 : round((this.requestsFinished / elapsed) * 60_000, 1);
        let line = `${this.requestsFinished} ok, ${this.requestsFailed} failed, ${inProgress} running, ${pending} queued | ${rate} pages/min | ${round(elapsed / 1000, 1)} s`;
        if (pool) {
            const stats = pool.getStats();
            const benched = stats.proxies.filter((proxy) => proxy.state === 'benched').length;
            line +=
                ` | sessions ${stats.sessions} alive (${stats.leasedSessions} leased, ${stats.coolingSessions} cooling), ` +
                `${stats.sessionsCreated} created, ${stats.sessionsRetired} retired`;
            if (stats.proxies.length > 0) line += ` | proxies ${benched}/${stats.proxies.length} benched`;
        }
        return line;
    }
}

/** A human summary of one or more runs, as a fixed-width table. */
export function formatRunStatistics(runs: CrawlerRunStatistics[]): string {
    const rows: [string, (run: CrawlerRunStatistics) => string][] = [
        ['pages ok', (run) => String(run.requestsFinished)],
        ['pages failed', (run) => String(run.requestsFailed)],
        ['requests per page', (run) => (run.requestsFinished ? round(run.navigations / run.requestsFinished, 2).toString() : '-')],
        ['blocked responses', (run) => String(run.blockedResponses)],
        ['rate-limited responses', (run) => String(run.rateLimitedResponses)],
        ['retries (errors)', (run) => String(run.requestsRetried)],
        ['session rotations', (run) => String(run.sessionRotations)],
        ['sessions created', (run) => String(run.sessionsCreated)],
        ['sessions retired', (run) => String(run.sessionsRetired)],
        [
            '  by reason',
            (run) =>
                Object.entries(run.retiredByReason)
                    .map(([reason, count]) => `${reason} ${count}`)
                    .join(', ') || '-',
        ],
        ['proxies benched', (run) => String(run.proxiesBenched)],
        ['time', (run) => `${round(run.durationMs / 1000, 1)} s`],
        ['pages per minute', (run) => String(run.requestsPerMinute)],
    ];
    const labelWidth = Math.max(...rows.map(([label]) => label.length));
    const columns = runs.map((run) => {
        const cells = rows.map(([, value]) => value(run));
        return { header: run.crawler, cells, width: Math.max(run.crawler.length, ...cells.map((cell) => cell.length)) };
    });
    const line = (label: string, cells: string[]) =>
        `${label.padEnd(labelWidth)} | ${cells.map((cell, index) => cell.padStart(columns[index]!.width)).join(' | ')}`;
    const header = line('', columns.map((column) => column.header));
    const separator = '-'.repeat(header.length);
    return [header, separator, ...rows.map(([label], rowIndex) => line(label, columns.map((column) => column.cells[rowIndex]!)))].join('\n');
}

function round(value: number, digits: number): number {
    const factor = 10 ** digits;
    return Math.round(value * factor) / factor;
}
