reap()
if FILL_FIRST then
  local slot, url = reserve_slot(ARG.token, nil)
  if slot then return {'M', slot, url} end
end
local id, sk, f = pick()
if id then
  redis.call('ZADD', K_AVAIL, NOW_US, id)
  return reply_from('S', '', id, sk, f, false)
end
if id == nil then
  local slot, url = reserve_slot(ARG.token, nil)
  if slot then return {'M', slot, url} end
end
local any = redis.call('SRANDMEMBER', K_LIVE)
if any then return reply('S', '', any, skey(any), false) end
return wait_reply(nil)
