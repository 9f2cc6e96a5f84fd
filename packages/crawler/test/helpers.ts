export { type Hit, type Route, type TestServer, readCookie, sleep, startServer } from '@sessionkit/test-utils';
