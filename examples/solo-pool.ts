// Seed "solo usage": a SessionPool without a crawler. Run: npx tsx examples/solo-pool.ts
import { openSessionPool } from '@sessionkit/core';

const sessionPool = await openSessionPool({ maxPoolSize: 100, persist: false });

// Get a session (reuses an idle one before minting a new one).
const session = await sessionPool.getSession();

// Increase the errorScore.
session.markBad();

// Lower the errorScore and mark the session good.
session.markGood();

// Cookies live with the session.
session.setCookie('visitor=42; Path=/', 'https://example.com/');
console.log(`cookie header for example.com: ${session.getCookieString('https://example.com/page')}`);

// Exclusive use: a lease. A simulated user does one thing at a time.
const lease = await sessionPool.acquire();
lease.session.coolDown(1000, 429); // the site said "slow down": rest for Retry-After, do not retire
lease.release();

// Throw the session away (terminal: it never comes back).
session.retire();

const stats = sessionPool.getStats();
console.log(`created ${stats.sessionsCreated}, retired ${stats.sessionsRetired}, cooling ${stats.coolingSessions}, rate limited ${stats.rateLimited}`);
await sessionPool.teardown();
