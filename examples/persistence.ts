// Sessions survive a restart: the pool is saved atomically to ./storage (only when it changed) and
// loaded at start. Run twice: npx tsx examples/persistence.ts   (add --reset to start over)
import { FileSessionStore, SessionPool } from '@sessionkit/core';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

const directory = process.env.SESSIONKIT_EXAMPLE_STORAGE ?? join(tmpdir(), 'sessionkit-persistence-example');
const store = new FileSessionStore({ directory });
if (process.argv.includes('--reset')) await store.delete('EXAMPLE_POOL');

const pool = await SessionPool.open({ store, persistStateKey: 'EXAMPLE_POOL', persist: true, maxPoolSize: 5 });
console.log(`loaded ${pool.size} sessions from ${store.describe('EXAMPLE_POOL')}`);

const lease = await pool.acquire();
const visits = Number(lease.session.userData.visits ?? 0) + 1;
lease.session.userData.visits = visits;
lease.session.setCookie(`visitor=${lease.session.id}; Path=/; Max-Age=3600`, 'https://example.com/');
lease.session.markGood();
lease.release();
console.log(`session ${lease.session.id}: visit #${visits}, usageCount ${lease.session.usageCount}, cookie "${lease.session.getCookieString('https://example.com/')}"`);

// teardown() saves the state (it also saves every persistIntervalSecs while running).
await pool.teardown();
console.log('saved; run again to see the same session come back');
