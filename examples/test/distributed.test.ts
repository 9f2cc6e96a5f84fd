import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// examples/distributed/main.ts as a user runs it (built packages, tsx): 3 worker processes, one pool on Redis.
const examplesDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsx = join(examplesDir, '..', 'node_modules', '.bin', 'tsx');

interface Summary {
    workers: number;
    pagesOk: number;
    pagesFailed: number;
    sessionsCreated: number;
    sessionsUsed: number;
    sessionsUsedByTwoOrMoreWorkers: number;
    pool: { sessions: number; sessionsCreated: number; sessionsRetired: number; leasesGranted: number; markedGood: number };
    site: { newVisitors: number; blockedIpMove: number };
    reports: { pid: number; pagesOk: number; sessionsCreated: number; sessionsRetired: number; sessionsUsed: number }[];
}

describe('examples/distributed', () => {
    it('3 Cheerio workers in 3 processes crawl every page through one shared Redis pool', async () => {
        const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
            execFile(
                tsx,
                [join(examplesDir, 'distributed', 'main.ts'), '--json', '--pages=150', '--workers=3'],
                { cwd: examplesDir, env: { ...process.env, SESSIONKIT_LOG_LEVEL: 'warning' }, timeout: 60_000 },
                (error, out, err) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout: out, stderr: err }),
            );
        });
        expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
        const summary = JSON.parse(stdout.trim().split('\n').pop()!) as Summary;
        // every page fetched, split over 3 distinct processes
        expect(summary.pagesOk).toBe(150);
        expect(summary.pagesFailed).toBe(0);
        expect(summary.reports).toHaveLength(3);
        expect(new Set(summary.reports.map((report) => report.pid)).size).toBe(3);
        for (const report of summary.reports) expect(report.pagesOk).toBe(50);
        // one pool: what the workers created adds up to the shared pool's count, and sessions moved between workers
        expect(summary.reports.reduce((sum, report) => sum + report.sessionsCreated, 0)).toBe(summary.pool.sessionsCreated);
        expect(summary.pool.sessions).toBe(summary.pool.sessionsCreated - summary.pool.sessionsRetired);
        expect(summary.sessionsUsedByTwoOrMoreWorkers).toBeGreaterThan(0);
        expect(summary.pool.markedGood).toBe(150);
        // cookies travelled with the sessions: the site never minted a second visitor for one session, never saw a cookie change IP
        expect(summary.site.newVisitors).toBeLessThanOrEqual(summary.pool.sessionsCreated);
        expect(summary.site.blockedIpMove).toBe(0);
    }, 90_000);
});
