local url = ARG.url
local rk = rkey(url)
if redis.call('EXISTS', rk) == 1 and redis.call('HGET', rk, 'created') then return 0 end
redis.call('HSET', rk, 'url', url, 'state', ARG.state, 'bu', ARG.benchedUntil, 'cu', ARG.cooldownUntil, 'succ', ARG.successes,
  'blocks', ARG.blocks, 'errors', ARG.errors, 'rl', ARG.rateLimits, 'tb', ARG.timesBenched, 'created', ARG.created)
if redis.call('SADD', K_PROXYSET, url) == 1 then redis.call('RPUSH', K_KNOWN, url) end
return 1
