local token, pinned = ARG.token, ARG.pinned
-- A re-sent call (after a reconnection) gets the lease its first copy took.
local prev = redis.call('HGET', K_LEASE, token)
if prev then return reply('L', token, prev, skey(prev), false) end
reap()
if pinned ~= '' then
  local sk = skey(pinned)
  local f = load_session(sk)
  if not f[2] then return {'X', 'unknown'} end
  if f[1] then return {'X', f[1]} end
  if num(f[2], 0) <= NOW then
    retire(pinned, sk, 'expired', '')
    return {'X', 'expired'}
  end
  local rk = rkey(f[3])
  local route = load_route(rk)
  if burned(rk, route, f[4]) then
    retire(pinned, sk, 'proxyBenched', '')
    return {'X', 'proxyBenched'}
  end
  local cd = num(f[7], 0)
  local cu = num(route[5], 0)
  if cu > cd then cd = cu end
  if cd > NOW then return wait_reply(cd) end
  local l = num(f[5], 0)
  if l >= MAXCONC or (l > 0 and f[6] ~= '1') then return wait_reply(nil) end
  grant(pinned, sk, token, f)
  return reply_from('L', token, pinned, sk, f, false)
end
if FILL_FIRST then
  local slot, url = reserve_slot(token, nil)
  if slot then return {'M', slot, url} end
end
local id, sk, f = pick()
if id then
  grant(id, sk, token, f)
  return reply_from('L', token, id, sk, f, false)
end
if id == nil then
  local slot, url = reserve_slot(token, nil)
  if slot then return {'M', slot, url} end
  return wait_reply(nil)
end
return wait_reply(NOW)
