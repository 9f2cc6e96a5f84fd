local slot, id, hold = ARG.slot, ARG.id, ARG.hold == '1'
local sk = skey(id)
local sp = string.find(slot, ' ', 1, true)
local token, url = string.sub(slot, 1, sp - 1), string.sub(slot, sp + 1)
if not redis.call('ZSCORE', K_MINTING, slot) then
  if redis.call('HGET', sk, 'slot') == slot then
    if hold then return {'C', token} end
    return {'C', ''}
  end
  return {'E'}
end
if redis.call('EXISTS', sk) == 1 then return {'T'} end
local rk
if url == '?' then
  url = ARG.proxyUrl
  rk = rkey(url)
  if not accepts(rk) then return {'N'} end
  redis.call('HINCRBY', rk, 'active', 1)
else
  rk = rkey(url)
end
redis.call('ZREM', K_MINTING, slot)
redis.call('HDEL', K_MINTS, token)
if url ~= '' then
  redis.call('HSETNX', rk, 'url', url)
  if redis.call('SADD', K_PROXYSET, url) == 1 then redis.call('RPUSH', K_KNOWN, url) end
end
local ca = ARG.createdAt
if ca == '' then ca = fmt(NOW) end
local ea = ARG.expiresAt
if ea == '' then ea = fmt(NOW + tonumber(ARG.maxAgeSecs) * 1000) end
local l = 0
if hold then l = 1 end
local fields = {'id', id, 'px', url, 'ca', ca, 'ea', ea, 'u', ARG.usage, 'e', ARG.errorScore, 'ec', ARG.errorCount,
  'mA', ARG.maxAgeSecs, 'mE', ARG.maxErrorScore, 'dE', ARG.errorScoreDecrement, 'mU', ARG.maxUsageCount, 'cd', ARG.cooldownUntil,
  'ver', 1, 'wr', WORKER, 'w', 0, 'ep', num(redis.call('HGET', rk, 'tb'), 0), 'slot', slot, 'l', l, 'ud', ARG.userData}
if ARG.hasJar == '1' then
  fields[#fields + 1] = 'jar'
  fields[#fields + 1] = ARG.jar
end
redis.call('HSET', sk, unpack(fields))
redis.call('SADD', K_LIVE, id)
redis.call('HINCRBY', rk, 'created', 1)
redis.call('HINCRBY', K_STATS, 'created', 1)
if hold then
  -- The creator holds a fresh session: nobody else gets it before its first use completes.
  redis.call('HINCRBY', K_STATS, 'gLeased', 1)
  redis.call('ZADD', K_LEASES, NOW + LEASE_TTL, token)
  redis.call('HSET', K_LEASE, token, id)
  redis.call('HINCRBY', K_STATS, 'leasesGranted', 1)
  return {'C', token}
end
local at = num(ARG.cooldownUntil, 0)
if at < NOW then at = NOW end
redis.call('ZADD', K_AVAIL, at, id)
wake_waiters()
return {'C', ''}
