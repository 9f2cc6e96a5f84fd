/**
 * `pnpm bench`: the pool micro-benchmark, then the end-to-end crawl benchmark, each as its own child process
 * (in sequence, so they never compete for the CPU), with their output passed through.
 * Flags after `--` go to the crawl benchmark (e.g. `pnpm bench -- --pages=1000`).
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const benchDir = join(here, '..');
const tsxLoader = ['--import', 'tsx'];

function run(title: string, args: string[]): Promise<number> {
    console.log(`\n=== ${title} (load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}) ===\n`);
    return new Promise((resolve) => {
        const child = spawn(process.execPath, args, { cwd: benchDir, stdio: 'inherit' });
        child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    });
}

const crawlArgs = process.argv.slice(2).filter((a) => a !== '--');
const t0 = performance.now();
const pool = await run('pool micro-benchmark (src/pool-micro.ts)', ['--expose-gc', ...tsxLoader, join(here, 'pool-micro.ts')]);
const crawl = await run('end-to-end crawl benchmark (src/crawl-e2e.ts)', [...tsxLoader, join(here, 'crawl-e2e.ts'), ...crawlArgs]);
console.log(`\n=== done in ${((performance.now() - t0) / 1000).toFixed(0)} s: pool-micro exit ${pool}, crawl-e2e exit ${crawl} ===`);
process.exit(pool || crawl);
