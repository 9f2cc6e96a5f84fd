export { RedisSessionStore, type RedisSessionStoreOptions } from './store.js';
export { RedisUnavailableError, RedisScriptError } from './errors.js';
export { RedisPoolConnection } from './connection.js';
