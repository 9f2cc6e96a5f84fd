local id = ARG.id
local sk = skey(id)
if redis.call('EXISTS', sk) == 1 then return 0 end
local url = ARG.proxyUrl
local rk = rkey(url)
if url ~= '' then
  redis.call('HSETNX', rk, 'url', url)
  if redis.call('SADD', K_PROXYSET, url) == 1 then redis.call('RPUSH', K_KNOWN, url) end
end
local fields = {'id', id, 'px', url, 'ca', ARG.createdAt, 'ea', ARG.expiresAt, 'u', ARG.usage, 'e', ARG.errorScore, 'ec', ARG.errorCount,
  'mA', ARG.maxAgeSecs, 'mE', ARG.maxErrorScore, 'dE', ARG.errorScoreDecrement, 'mU', ARG.maxUsageCount, 'cd', ARG.cooldownUntil,
  'ver', 1, 'wr', '', 'w', ARG.warm, 'ep', num(redis.call('HGET', rk, 'tb'), 0), 'l', 0, 'ud', ARG.userData}
if ARG.jar ~= '' then
  fields[#fields + 1] = 'jar'
  fields[#fields + 1] = ARG.jar
end
redis.call('HSET', sk, unpack(fields))
redis.call('SADD', K_LIVE, id)
redis.call('HINCRBY', rk, 'active', 1)
local at = num(ARG.cooldownUntil, 0)
if at < NOW then at = NOW end
redis.call('ZADD', K_AVAIL, at, id)
return 1
