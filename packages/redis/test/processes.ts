import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const testDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(testDir, '..', '..', '..');
const tsxLoader = pathToFileURL(join(repoRoot, 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs')).href;
export const workerScript = join(testDir, 'workers', 'worker.ts');

/** Worker processes import the built @sessionkit/core, like any program would. */
export function assertCoreBuilt(): void {
    if (!existsSync(join(repoRoot, 'packages', 'core', 'dist', 'spi.js'))) {
        throw new Error('packages/core/dist has no /spi entry: run `npx pnpm@10.34.9 build` before the multi-process tests.');
    }
}

export interface Worker {
    child: ChildProcess;
    /** Lines printed so far. */
    lines: string[];
    /** Resolves with the first line matching, rejects when the process exits first. */
    waitForLine(match: (line: string) => boolean, timeoutMs?: number): Promise<string>;
    exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

/** Starts `workers/worker.ts` in its own Node.js process (no tsx CLI in between: a SIGKILL hits the worker itself). */
export function startWorker(config: Record<string, unknown>): Worker {
    const child = spawn(process.execPath, ['--import', tsxLoader, workerScript, JSON.stringify(config)], {
        cwd: testDir,
        env: { ...process.env, SESSIONKIT_LOG_LEVEL: 'off' },
        stdio: ['pipe', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    const listeners = new Set<() => void>();
    let buffer = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
        buffer += chunk;
        let index: number;
        while ((index = buffer.indexOf('\n')) >= 0) {
            lines.push(buffer.slice(0, index));
            buffer = buffer.slice(index + 1);
        }
        for (const listener of listeners) listener();
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
        stderr += chunk;
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
        child.on('exit', (code, signal) => {
            for (const listener of listeners) listener();
            resolve({ code, signal, stderr });
        });
    });
    const waitForLine = (match: (line: string) => boolean, timeoutMs = 30_000): Promise<string> =>
        new Promise((resolve, reject) => {
            const check = () => {
                const line = lines.find(match);
                if (line !== undefined) {
                    done();
                    resolve(line);
                } else if (child.exitCode !== null || child.signalCode !== null) {
                    done();
                    reject(new Error(`worker exited (${child.exitCode ?? child.signalCode}) before printing the line; stderr: ${stderr}`));
                }
            };
            const timer = setTimeout(() => {
                done();
                reject(new Error(`no matching line from the worker within ${timeoutMs} ms; stderr: ${stderr}`));
            }, timeoutMs);
            const done = () => {
                clearTimeout(timer);
                listeners.delete(check);
            };
            listeners.add(check);
            check();
        });
    return { child, lines, waitForLine, exited };
}
