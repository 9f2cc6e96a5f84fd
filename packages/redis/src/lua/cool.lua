local id = ARG.id
local sk = skey(id)
if not redis.call('SET', P .. 'op:' .. ARG.op, 1, 'NX', 'PX', 600000) then return redis.call('HGET', sk, 'cd') or '' end
local f = redis.call('HMGET', sk, 'r', 'px', 'cd', 'ea')
if not f[4] or f[1] then return '' end
local cu = record_rate_limit(rkey(f[2]), tonumber(ARG.retryAfter))
redis.call('HINCRBY', K_STATS, 'rateLimited', 1)
local cd = num(f[3], 0)
if cu > cd then
  cd = cu
  redis.call('HSET', sk, 'cd', fmt(cd))
end
if redis.call('ZSCORE', K_AVAIL, id) then redis.call('ZADD', K_AVAIL, cd, id) end
return fmt(cd)
