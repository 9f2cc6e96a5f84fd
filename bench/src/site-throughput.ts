/**
 * Throughput of the anti-bot simulator: sequential keep-alive GETs from one client, then the same with
 * concurrency. Prints figures; asserts nothing. Run (in bench/, after a build): `npx pnpm@10.34.9 bench:site`
 * Optional argv: request count.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';

import { startAntiBotSite } from '@sessionkit/testing';

function getOnce(agent: http.Agent, url: string, cookie: string | undefined): Promise<{ status: number; setCookie?: string }> {
    return new Promise((resolve, reject) => {
        const req = http.get(url, { agent, headers: cookie ? { cookie } : {} }, (res) => {
            res.on('data', () => undefined);
            res.on('end', () => resolve({ status: res.statusCode ?? 0, setCookie: res.headers['set-cookie']?.[0] }));
            res.on('error', reject);
        });
        req.on('error', reject);
    });
}

interface Target {
    pageCount: number;
    pageUrl(n: number): string;
    close(): Promise<void>;
}

/** Bare node:http server answering a fixed page, for comparison. */
async function startBaseline(): Promise<Target> {
    const body = Buffer.from(`<!DOCTYPE html><html><head><title>Page</title></head><body>${'x'.repeat(500)}</body></html>`);
    const server = http.createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': body.length });
        res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    return {
        pageCount: 3000,
        pageUrl: (n) => `http://127.0.0.1:${port}/page/${n}`,
        close: () => new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
        }),
    };
}

async function run(label: string, requests: number, concurrency: number): Promise<void> {
    // Default rules except the budget and the new-visitor limit, so every request is a full page view.
    const site: Target = label === 'baseline'
        ? await startBaseline()
        : await startAntiBotSite({ pagesPerVisitor: false, newVisitorLimit: false, pageCount: 3000 });
    const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
    try {
        const first = await getOnce(agent, site.pageUrl(0), undefined);
        const cookie = first.setCookie?.split(';')[0];
        let next = 0;
        let ok = 0;
        const started = performance.now();
        await Promise.all(Array.from({ length: concurrency }, async () => {
            while (next < requests) {
                const i = next++;
                const res = await getOnce(agent, site.pageUrl(i % site.pageCount), cookie);
                if (res.status === 200) ok++;
            }
        }));
        const seconds = (performance.now() - started) / 1000;
        console.log(`${label.padEnd(9)} concurrency ${String(concurrency).padStart(2)}: ${requests} requests (${ok} × 200) in `
            + `${(seconds * 1000).toFixed(0)} ms → ${(requests / seconds).toFixed(0)} req/s`);
    } finally {
        agent.destroy();
        await site.close();
    }
}

const requests = Number(process.argv[2] ?? 2000);
for (const label of ['baseline', 'site']) {
    await run(label, requests, 1); // warm-up (JIT)
    await run(label, requests, 1);
    await run(label, requests, 1);
    await run(label, requests, 20);
}
