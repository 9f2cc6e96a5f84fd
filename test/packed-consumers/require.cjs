// A CommonJS consumer: require() of the ESM packages (Node >= 20.19 loads ESM without top-level await).
const { openSessionPool, SessionPool, Session } = require('@sessionkit/core');
const packages = ['@sessionkit/core', '@sessionkit/crawler', '@sessionkit/http', '@sessionkit/cheerio',
    '@sessionkit/browser', '@sessionkit/puppeteer', '@sessionkit/playwright', '@sessionkit/redis', '@sessionkit/testing'];
const exported = Object.fromEntries(packages.map((name) => [name, Object.keys(require(name)).length]));

(async () => {
    const pool = await openSessionPool({ maxPoolSize: 3, persist: false });
    const lease = await pool.acquire();
    if (!(lease.session instanceof Session) || !(pool instanceof SessionPool)) throw new Error('wrong classes');
    lease.session.markGood();
    lease.release();
    await pool.teardown();
    console.log(JSON.stringify({ consumer: 'commonjs', exported }));
})().catch((error) => {
    console.error(error);
    process.exitCode = 1;
});
