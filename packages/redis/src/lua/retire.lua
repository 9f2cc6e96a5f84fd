local id = ARG.id
local sk = skey(id)
if redis.call('EXISTS', sk) == 0 then return 0 end
return retire(id, sk, ARG.reason, ARG.op)
