local id = ARG.id
local sk = skey(id)
local f = redis.call('HMGET', sk, 'r', 'ea')
if not f[2] then return {'X', 'unknown'} end
if f[1] then return {'X', f[1]} end
return reply('S', '', id, sk, true)
