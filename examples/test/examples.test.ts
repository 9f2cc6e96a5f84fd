import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Each example runs as its own process, exactly as a user runs it (built packages, tsx), against the simulator.
const examplesDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsx = join(examplesDir, '..', 'node_modules', '.bin', 'tsx');

function runExample(name: string, args: string[] = [], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        execFile(
            tsx,
            [join(examplesDir, `${name}.ts`), '--quiet', ...args],
            { cwd: examplesDir, env: { ...process.env, SESSIONKIT_LOG_LEVEL: 'warning', ...env }, timeout: 120_000 },
            (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
    });
}

describe('examples run end to end against the simulator', () => {
    it('solo-pool', async () => {
        const { code, stdout, stderr } = await runExample('solo-pool');
        expect(stderr).toBe('');
        expect(code).toBe(0);
        expect(stdout).toContain('cookie header for example.com: visitor=42');
        expect(stdout).toMatch(/created 1, retired 1/);
    }, 60_000);

    it('basic-crawler (sendRequest)', async () => {
        const { code, stdout } = await runExample('basic-crawler');
        expect(code).toBe(0);
        expect(stdout).toMatch(/BasicCrawler: 40 pages ok, 0 failed/);
    }, 60_000);

    it('cheerio-crawler', async () => {
        const { code, stdout } = await runExample('cheerio-crawler');
        expect(code).toBe(0);
        expect(stdout).toMatch(/CheerioCrawler: 100 pages ok, 0 failed/);
    }, 60_000);

    it('puppeteer-crawler', async () => {
        const { code, stdout, stderr } = await runExample('puppeteer-crawler');
        expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
        expect(stdout).toMatch(/PuppeteerCrawler: 20 pages ok, 0 failed/);
    }, 120_000);

    it('playwright-crawler', async () => {
        const { code, stdout, stderr } = await runExample('playwright-crawler');
        expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
        expect(stdout).toMatch(/PlaywrightCrawler: 20 pages ok, 0 failed/);
    }, 120_000);

    it('persistence: the same session comes back after a restart', async () => {
        const env = { SESSIONKIT_EXAMPLE_STORAGE: mkdtempSync(join(tmpdir(), 'sessionkit-example-')) };
        const first = await runExample('persistence', [], env);
        expect(first.code).toBe(0);
        expect(first.stdout).toContain('loaded 0 sessions');
        const id = /session (\S+): visit #1/.exec(first.stdout)?.[1];
        expect(id).toBeDefined();
        const second = await runExample('persistence', [], env);
        expect(second.code).toBe(0);
        expect(second.stdout).toContain('loaded 1 sessions');
        expect(second.stdout).toContain(`session ${id}: visit #2, usageCount 2`);
    }, 60_000);

    it('proxies: the banned proxies get benched', async () => {
        const { code, stdout } = await runExample('proxies');
        expect(code).toBe(0);
        expect(stdout).toMatch(/200 pages ok/);
        expect(stdout).toMatch(/2 proxies benched/);
        const banned = /banned IPs were (\S+), (\S+)/.exec(stdout)!;
        for (const ip of [banned[1]!, banned[2]!]) expect(stdout).toMatch(new RegExp(`${ip.replace(/\./g, '\\.')}:\\d+\\s+benched`));
    }, 60_000);

    it('custom-adapter', async () => {
        const { code, stdout } = await runExample('custom-adapter');
        expect(code).toBe(0);
        expect(stdout).toMatch(/FetchCrawler: 30 pages ok, 0 failed/);
    }, 60_000);

    it('demo (the main job)', async () => {
        const { code, stdout } = await runExample('demo', ['--pages=120', '--browser-pages=12']);
        expect(code).toBe(0);
        expect(stdout).toContain('Session health summary');
        for (const crawler of ['HttpCrawler', 'CheerioCrawler', 'PuppeteerCrawler', 'PlaywrightCrawler']) expect(stdout).toContain(crawler);
        expect(stdout).toMatch(/pages ok\s+\|\s+120\s+\|\s+120\s+\|\s+12\s+\|\s+12/);
    }, 180_000);
});
