/**
 * Linux /proc readings for the e2e benchmark, done by the parent (so the reading costs are not charged to the
 * measured child):
 *  - TreeSampler: every `intervalMs`, the summed RSS and PSS of a process and all its descendants (a
 *    PuppeteerCrawler child plus its Chromium processes); keeps the peaks. PSS splits shared pages between the
 *    processes that share them, so the Chromium tree is not counted several times over; RSS sums overcount.
 *  - childrenCpuMs(): this process's cutime + cstime, i.e. the CPU of every child (and, transitively, of their
 *    reaped descendants) that has exited and been waited for. The delta over one child's lifetime is the CPU of
 *    that child's whole tree (node + Chromium), startup included.
 */
import { readdirSync, readFileSync } from 'node:fs';

const CLK_TCK = 100; // sysconf(_SC_CLK_TCK) on Linux x86/arm: 100

export function procAvailable(): boolean {
    try {
        readFileSync('/proc/self/stat', 'utf8');
        return true;
    } catch {
        return false;
    }
}

/** Fields of /proc/<pid>/stat after the command (field 3 onwards), or undefined if the process is gone. */
function statFields(pid: number | 'self'): string[] | undefined {
    try {
        const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return raw.slice(raw.lastIndexOf(')') + 2).split(' ');
    } catch {
        return undefined;
    }
}

export function childrenCpuMs(): number {
    const f = statFields('self');
    if (!f) return Number.NaN;
    // After the command: [0]=state(3) [1]=ppid(4) … utime(14)=[11] stime(15)=[12] cutime(16)=[13] cstime(17)=[14]
    return ((Number(f[13]) + Number(f[14])) * 1000) / CLK_TCK;
}

export function selfCpuMs(): number {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
}

function descendants(root: number): number[] {
    const children = new Map<number, number[]>();
    for (const name of readdirSync('/proc')) {
        const pid = Number(name);
        if (!Number.isInteger(pid)) continue;
        const f = statFields(pid);
        if (!f) continue;
        const ppid = Number(f[1]);
        let list = children.get(ppid);
        if (!list) children.set(ppid, (list = []));
        list.push(pid);
    }
    const out = [root];
    for (let i = 0; i < out.length; i++) out.push(...(children.get(out[i]!) ?? []));
    return out;
}

function memKiB(pid: number): { rss: number; pss: number } | undefined {
    try {
        const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
        const rss = /^Rss:\s+(\d+) kB/m.exec(text);
        const pss = /^Pss:\s+(\d+) kB/m.exec(text);
        if (rss && pss) return { rss: Number(rss[1]), pss: Number(pss[1]) };
    } catch {
        /* gone, or no smaps_rollup: fall back to status */
    }
    try {
        const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
        if (m) return { rss: Number(m[1]), pss: Number(m[1]) };
    } catch {
        /* gone */
    }
    return undefined;
}

export class TreeSampler {
    peakRssKiB = 0;
    peakPssKiB = 0;
    peakProcesses = 0;
    samples = 0;
    /** The processes of the tree at the last sample. */
    lastPids: number[] = [];
    private timer: NodeJS.Timeout | undefined;

    constructor(
        private readonly rootPid: number,
        private readonly intervalMs = 250,
    ) {}

    start(): void {
        if (!procAvailable()) return;
        this.sample();
        this.timer = setInterval(() => this.sample(), this.intervalMs);
        this.timer.unref();
    }

    stop(): void {
        if (this.timer) clearInterval(this.timer);
        this.timer = undefined;
    }

    sample(): void {
        let rss = 0;
        let pss = 0;
        let n = 0;
        const pids = descendants(this.rootPid);
        this.lastPids = pids;
        for (const pid of pids) {
            const m = memKiB(pid);
            if (!m) continue;
            rss += m.rss;
            pss += m.pss;
            n += 1;
        }
        if (n === 0) return;
        this.samples += 1;
        this.peakRssKiB = Math.max(this.peakRssKiB, rss);
        this.peakPssKiB = Math.max(this.peakPssKiB, pss);
        this.peakProcesses = Math.max(this.peakProcesses, n);
    }
}
