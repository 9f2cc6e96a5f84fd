local token, id, marks = ARG.token, ARG.id, ARG.marks
local late = false
if redis.call('ZREM', K_LEASES, token) == 1 then
  redis.call('HDEL', K_LEASE, token)
elseif redis.call('ZREM', K_REAPED, token) == 1 then
  late = true -- the lease expired and was taken back meanwhile: count the marks, change nothing else
else
  return {'D'} -- a re-sent copy of a release already applied
end
local sk = skey(id)
local f = load_session(sk)
if not f[2] then return {'G'} end
local rk = rkey(f[3])
local reason = apply_marks(sk, f, marks, rk)
local retired = f[1]
local l = num(f[5], 0)
local ver = f[11]
local merged = 0
if not late then
  local fields = {}
  if l > 0 then
    l = l - 1
    fields[1], fields[2] = 'l', l
    if l == 0 then redis.call('HINCRBY', K_STATS, 'gLeased', -1) end
  end
  if f[6] ~= '1' then
    fields[#fields + 1] = 'w'
    fields[#fields + 1] = 1
  end
  if not retired and ARG.content ~= '0' then
    -- The leaseholder writes the cookies (concurrent leases of one session: their changes are merged).
    local written = write_cookies(sk, ver, ARG.content, ARG.jar, ARG.changes, ARG.baseVersion)
    if written[#written] == '' then merged = 1 end
    for _, v in ipairs(written) do fields[#fields + 1] = v end
    ver = num(ver, 0) + 1
    for _, v in ipairs({'ver', ver, 'ud', ARG.userData}) do fields[#fields + 1] = v end
  end
  if #fields > 0 then redis.call('HSET', sk, unpack(fields)) end
end
local here = 0
if not retired then
  if reason then
    here = retire(id, sk, reason, '')
    retired = reason
  elseif num(f[2], 0) <= NOW then
    here = retire(id, sk, 'expired', '')
    retired = 'expired'
  elseif route_burned(rk, f[4]) then
    here = retire(id, sk, 'proxyBenched', '')
    retired = 'proxyBenched'
  elseif not late and l < MAXCONC then
    local cd = num(f[7], 0)
    if cd > NOW then
      redis.call('ZADD', K_AVAIL, cd, id)
    elseif not redis.call('ZSCORE', K_AVAIL, id) then
      redis.call('ZADD', K_AVAIL, NOW_US, id)
    end
    wake_waiters()
  end
end
local lt = 0
if late then lt = 1 end
return {'R', retired or '', here, lt, ver, merged}
