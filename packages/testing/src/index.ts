export { AntiBotSiteOptionError, ProxyFarmOptionError } from './errors.js';
export {
    ANTI_BOT_SITE_DEFAULTS,
    normalizeIp,
    startAntiBotSite,
} from './anti-bot-site.js';
export type {
    AntiBotSite,
    AntiBotSiteIpStats,
    AntiBotSiteOptions,
    AntiBotSiteStats,
    NewVisitorLimit,
} from './anti-bot-site.js';
export { PROXY_FARM_DEFAULTS, startProxyFarm } from './proxy-farm.js';
export type {
    FarmProxy,
    FarmProxyStats,
    ProxyFarm,
    ProxyFarmCredentials,
    ProxyFarmOptions,
} from './proxy-farm.js';
export { mulberry32 } from './prng.js';
export { randomBrowserCookies, type RandomBrowserCookie } from './random-cookies.js';
