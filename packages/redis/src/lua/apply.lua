if not redis.call('SET', P .. 'op:' .. ARG.op, 1, 'NX', 'PX', 600000) then return {'D'} end
local id = ARG.id
local sk = skey(id)
local f = load_session(sk)
if not f[2] then return {'G'} end
local rk = rkey(f[3])
local reason = apply_marks(sk, f, ARG.marks, rk)
local retired = f[1]
local ver = f[11]
local merged = 0
if not retired and ARG.content ~= '0' then
  local fields = write_cookies(sk, ver, ARG.content, ARG.jar, ARG.changes, ARG.baseVersion)
  if fields[#fields] == '' then merged = 1 end
  ver = redis.call('HINCRBY', sk, 'ver', 1)
  fields[#fields + 1] = 'ud'
  fields[#fields + 1] = ARG.userData
  redis.call('HSET', sk, unpack(fields))
end
local here = 0
if not retired then
  if reason then
    here = retire(id, sk, reason, '')
    retired = reason
  elseif num(f[2], 0) <= NOW then
    here = retire(id, sk, 'expired', '')
    retired = 'expired'
  end
end
return {'R', retired or '', here, 0, ver, merged}
