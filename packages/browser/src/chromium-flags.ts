/**
 * Flags passed on every launch, by every driver. `--proxy-bypass-list=<-loopback>` only affects a
 * browser-level `--proxy-server`; per-context proxies get their own bypass list (see BrowserContextPool).
 */
export const DEFAULT_CHROMIUM_ARGS: readonly string[] = [
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-dev-shm-usage',
    '--no-first-run',
    '--disable-sync',
    '--disable-gpu',
    '--proxy-bypass-list=<-loopback>',
];

function flagName(arg: string): string {
    const eq = arg.indexOf('=');
    return eq === -1 ? arg : arg.slice(0, eq);
}

/**
 * Merges flag lists: later lists win for flags of the same name, order of first appearance is kept.
 * Non-flag arguments (no leading `--`) are kept as they are.
 */
export function mergeChromiumArgs(...lists: ReadonlyArray<readonly string[] | undefined>): string[] {
    const byName = new Map<string, string>();
    const plain: string[] = [];
    for (const list of lists) {
        for (const arg of list ?? []) {
            if (arg.startsWith('--')) {
                // Map.set on an existing key keeps the position of the first occurrence.
                byName.set(flagName(arg), arg);
            } else {
                plain.push(arg);
            }
        }
    }
    return [...byName.values(), ...plain];
}

/** The flags a launch uses: `--no-sandbox` as root, then {@link DEFAULT_CHROMIUM_ARGS}, then `extra`. */
export function buildChromiumArgs(extra: readonly string[] = [], isRoot: boolean = process.getuid?.() === 0): string[] {
    return mergeChromiumArgs(isRoot ? ['--no-sandbox'] : [], DEFAULT_CHROMIUM_ARGS, extra);
}
