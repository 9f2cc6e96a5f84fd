import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Pools persist to ./storage by default; give every test file its own storage so files never share state.
process.env.SESSIONKIT_STORAGE_DIR ??= mkdtempSync(join(tmpdir(), 'sessionkit-test-'));
process.env.SESSIONKIT_LOG_LEVEL ??= 'error';
