import { randomBytes } from 'node:crypto';

// A random per-process prefix plus a counter: unique across processes sharing a store, and far cheaper
// than a random id per session.
const PROCESS_PREFIX = randomBytes(6).readUIntBE(0, 6).toString(36).padStart(10, '0');
let counter = 0;

export function generateSessionId(): string {
    counter += 1;
    return `session_${PROCESS_PREFIX}${counter.toString(36)}`;
}
