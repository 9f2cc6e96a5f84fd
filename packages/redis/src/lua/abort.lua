local m = ARG.slot
if redis.call('ZREM', K_MINTING, m) == 0 then return 0 end
local sp = string.find(m, ' ', 1, true)
redis.call('HDEL', K_MINTS, string.sub(m, 1, sp - 1))
local url = string.sub(m, sp + 1)
if url ~= '?' then redis.call('HINCRBY', rkey(url), 'active', -1) end
wake_waiters()
return 1
