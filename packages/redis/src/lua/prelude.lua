-- Opens every script: the settings (ARGV[1..17], in the order of SETTINGS in ../scripts.ts), the key names,
-- and the rules shared by the scripts. Every update is one script: Redis runs it atomically, so no worker ever
-- sees half an update. Scripts touch O(1) keys per call (plus the proxy list when a session is minted or a
-- caller has to wait, and at most 64 expired leases taken back per call); none reads the whole pool.
local P = KEYS[1]
local WORKER = ARGV[1]
local RND = tonumber(ARGV[2])
local MAXCONC = tonumber(ARGV[3])
local MAXPOOL = tonumber(ARGV[4])
local LEASE_TTL = tonumber(ARGV[5])
local RETIRED_TTL = tonumber(ARGV[6])
local BAN = tonumber(ARGV[7])
local BENCH_BASE = tonumber(ARGV[8])
local BENCH_MAX = tonumber(ARGV[9])
local RL_BASE = tonumber(ARGV[10])
local RL_MAX = tonumber(ARGV[11])
local MAX_COOL = tonumber(ARGV[12])
local MODE = ARGV[13]
local WAITER_TTL = tonumber(ARGV[14])
local LEARN = ARGV[15] == '1'
-- 'round-robin' and 'random' mint up to maxPoolSize before reusing a free session; 'random' picks any free one.
local FILL_FIRST = ARGV[16] ~= 'use-until-failure'
local PICK_RANDOM = ARGV[16] == 'random'
local EPOCH = ARGV[17]
local A = 17

local T = redis.call('TIME')
local NOW = tonumber(T[1]) * 1000 + math.floor(tonumber(T[2]) / 1000)
-- A release's score in `avail`, to the µs: releases within one ms keep their order (least recently used first).
local NOW_US = tonumber(T[1]) * 1000 + tonumber(T[2]) / 1000
-- Sessions in `avail` scored below this can go now (a release earlier in this ms is scored within it).
local READY = '(' .. string.format('%.17g', NOW + 1)

local K_LIVE, K_AVAIL, K_LEASES, K_LEASE = P .. 'live', P .. 'avail', P .. 'leases', P .. 'lease'
local K_REAPED, K_MINTING, K_MINTS, K_WAITERS = P .. 'reaped', P .. 'minting', P .. 'mints', P .. 'waiters'
local K_STATS, K_META, K_EVENTS = P .. 'stats', P .. 'meta', P .. 'events'
local K_PROXIES, K_PICKSET, K_KNOWN, K_PROXYSET = P .. 'proxies', P .. 'pickset', P .. 'known', P .. 'proxyset'
local K_DIRECT = P .. 'px:direct'
local K_USAGE = P .. 'usage'

-- The pool this worker registered in is gone (Redis restarted empty, or its keys were deleted): nothing is
-- written, the worker re-registers and tries again. Checked before anything else, so the script stays atomic.
if EPOCH ~= '' and redis.call('HGET', K_META, 'epoch') ~= EPOCH then return redis.error_reply('SKLOST the shared pool state is gone') end

local function skey(id) return P .. 's:' .. id end
-- Keyed by a hash of the URL: key names show up in monitoring and redis-cli, and a proxy URL may hold a password.
local function rkey(url) if not url or url == '' then return K_DIRECT end return P .. 'px:' .. redis.sha1hex(url) end
local function num(v, d) if not v then return d end return tonumber(v) or d end
local function fmt(n) return string.format('%.17g', n) end
local function publish(msg) redis.call('PUBLISH', K_EVENTS, msg) end
local function wake_waiters() if redis.call('ZCOUNT', K_WAITERS, NOW, '+inf') > 0 then publish('f') end end

-- Exponential backoff with equal jitter (core's backoffMs).
local function backoff(attempt, base, max, rnd)
  local e = base * (2 ^ math.max(0, attempt))
  if e > max then e = max end
  return math.floor(e / 2 + (e / 2) * rnd + 0.5)
end

-- ---------------------------------------------------------------- proxy health (core's ProxyHealth rules)

-- A route: {state, bu bench end, url, tb timesBenched, cu cooldown end, active}. A benched proxy whose time is
-- up goes on probation (one session at a time) here.
local function load_route(rk)
  local f = redis.call('HMGET', rk, 'state', 'bu', 'url', 'tb', 'cu', 'active')
  local st = f[1] or 'healthy'
  if st == 'benched' and num(f[2], 0) <= NOW then
    redis.call('HSET', rk, 'state', 'probation')
    publish('v ' .. num(f[4], 0) .. ' ' .. (f[3] or ''))
    st = 'probation'
  end
  f[1] = st
  return f
end

local function route_state(rk) return load_route(rk)[1] end

local function bench(rk)
  local f = redis.call('HMGET', rk, 'tb', 'url')
  local tb = num(f[1], 0)
  local bu = NOW + backoff(tb, BENCH_BASE, BENCH_MAX, RND)
  redis.call('HSET', rk, 'state', 'benched', 'bu', fmt(bu), 'tb', tb + 1, 'cf', 0)
  redis.call('HINCRBY', K_STATS, 'proxiesBenched', 1)
  publish('b ' .. fmt(bu) .. ' ' .. (tb + 1) .. ' ' .. (f[2] or ''))
end

-- A block (field 'blocks') or an error ('errors'): banThreshold in a row bench the proxy; on probation, one does.
local function record_failure(rk, field)
  redis.call('HINCRBY', rk, field, 1)
  local cf = redis.call('HINCRBY', rk, 'cf', 1)
  if rk == K_DIRECT then return end
  local st = route_state(rk)
  if st == 'benched' then return end
  if st == 'probation' or cf >= BAN then bench(rk) end
end

local function record_success(rk)
  redis.call('HINCRBY', rk, 'succ', 1)
  local f = redis.call('HMGET', rk, 'cf', 'rls', 'state')
  if f[1] ~= '0' or f[2] ~= '0' then redis.call('HSET', rk, 'cf', 0, 'rls', 0) end
  if f[3] == 'probation' then redis.call('HSET', rk, 'state', 'healthy') end
end

-- Returns the route's cooldown end. retry_after < 0: none given, back off over the route's streak.
local function record_rate_limit(rk, retry_after)
  redis.call('HINCRBY', rk, 'rl', 1)
  local f = redis.call('HMGET', rk, 'rls', 'cu')
  local streak = num(f[1], 0)
  local wait = retry_after
  if wait < 0 then wait = backoff(streak, RL_BASE, RL_MAX, RND) end
  if wait > MAX_COOL then wait = MAX_COOL end
  local cu = num(f[2], 0)
  if NOW + wait > cu then cu = NOW + wait end
  redis.call('HSET', rk, 'rls', streak + 1, 'cu', fmt(cu))
  return cu
end

-- The session's proxy was benched since the session was bound to it: its IP-bound identity is burned.
local function burned(rk, route, epoch)
  if rk == K_DIRECT then return false end
  return route[1] == 'benched' or num(route[4], 0) ~= num(epoch, 0)
end

local function route_burned(rk, epoch)
  if rk == K_DIRECT then return false end
  return burned(rk, load_route(rk), epoch)
end

local function accepts(rk)
  local f = load_route(rk)
  if f[1] == 'benched' or num(f[5], 0) > NOW then return false end
  return f[1] ~= 'probation' or num(f[6], 0) <= 0
end

-- Fewest live sessions among proxies that take one, healthy before probation, ties round robin.
local function pick_route()
  if MODE == 'direct' then
    if num(redis.call('HGET', K_DIRECT, 'cu'), 0) > NOW then return nil end
    return K_DIRECT, ''
  end
  local urls = redis.call('LRANGE', K_PROXIES, 0, -1)
  local n = #urls
  if n == 0 then return nil end
  local rr = num(redis.call('HGET', K_META, 'rr'), 0)
  local best, best_url, best_active, best_state
  for i = 0, n - 1 do
    local url = urls[((rr + i) % n) + 1]
    local rk = rkey(url)
    local f = load_route(rk)
    local st, active = f[1], num(f[6], 0)
    if st ~= 'benched' and num(f[5], 0) <= NOW and (st ~= 'probation' or active <= 0) then
      if not best or active < best_active or (active == best_active and best_state == 'probation' and st == 'healthy') then
        best, best_url, best_active, best_state = rk, url, active, st
      end
    end
  end
  if best then redis.call('HSET', K_META, 'rr', (rr + 1) % n) end
  return best, best_url
end

-- ---------------------------------------------------------------- cookies

local function cookie_key(c) return tostring(c.domain or '') .. ';' .. tostring(c.path or '') .. ';' .. tostring(c.key or '') end

-- Writes the cookies of a release or an update. Based on the version in the store (nobody else wrote since
-- the worker read it): the worker's jar is the truth. Otherwise (concurrent leases of one session) its
-- changes (set / removed cookies) are merged into the stored jar, so no lease's cookies are lost. Returns the
-- fields to write: the merged jar has no single writer ('wr' empty: every worker re-reads it).
local function write_cookies(sk, cur_ver, kind, jar, changes, base)
  if kind ~= '2' or num(base, -1) == num(cur_ver, 0) then return {'jar', jar, 'wr', WORKER} end
  local delta = cjson.decode(changes)
  local stored = redis.call('HGET', sk, 'jar')
  local merged = nil
  local list, index = {}, {}
  if stored and stored ~= '' then
    merged = cjson.decode(stored)
    if type(merged.cookies) == 'table' then
      for _, c in ipairs(merged.cookies) do
        list[#list + 1] = c
        index[cookie_key(c)] = #list
      end
    end
  end
  for _, c in ipairs(delta.set or {}) do
    local k = cookie_key(c)
    if index[k] then list[index[k]] = c else
      list[#list + 1] = c
      index[k] = #list
    end
  end
  local removed = {}
  for _, k in ipairs(delta.remove or {}) do removed[k] = true end
  local out = {}
  for _, c in ipairs(list) do if not removed[cookie_key(c)] then out[#out + 1] = c end end
  if #out == 0 then
    redis.call('HDEL', sk, 'jar')
    return {'wr', ''}
  end
  merged = merged or delta.jar
  merged.cookies = out
  return {'jar', cjson.encode(merged), 'wr', ''}
end

-- ---------------------------------------------------------------- usage-limit learning (core's UsageLimitLearner)

local function learned_limit() return num(redis.call('HGET', K_META, 'ul'), 0) end

-- A session was blocked after u uses. The last 9 such counts (P usage) are the samples; when most of them
-- agree (within 10% of their median, at least 3) the smallest agreeing one is the site's per-visitor budget.
local function learn_from_block(u)
  if not LEARN or u < 2 then return end
  redis.call('LPUSH', K_USAGE, u)
  redis.call('LTRIM', K_USAGE, 0, 8)
  local samples = redis.call('LRANGE', K_USAGE, 0, -1)
  local n = #samples
  if n < 3 then return end
  local sorted = {}
  for i, v in ipairs(samples) do sorted[i] = tonumber(v) end
  table.sort(sorted)
  local median = sorted[math.floor(n / 2) + 1]
  local slack = math.max(1, math.floor(median * 0.1))
  local agreeing, smallest = 0, nil
  for _, v in ipairs(sorted) do
    if math.abs(v - median) <= slack then
      agreeing = agreeing + 1
      if not smallest then smallest = v end
    end
  end
  if agreeing < 3 or agreeing * 3 < n * 2 then return end
  if smallest == learned_limit() then return end
  redis.call('HSET', K_META, 'ul', smallest)
  publish('u ' .. smallest)
end

-- ---------------------------------------------------------------- sessions

-- Retire once: returns 1 when this call retired it (or is a re-sent copy of the call that did).
local function retire(id, sk, reason, op)
  local f = redis.call('HMGET', sk, 'r', 'px', 'e', 'mE', 'rop', 'u')
  if f[1] then
    if op ~= '' and f[5] == op then return 1 end
    return 0
  end
  if reason == 'blocked' then learn_from_block(num(f[6], 0)) end
  redis.call('HSET', sk, 'r', reason, 'rop', op, 'ra', fmt(NOW))
  redis.call('HDEL', sk, 'jar', 'ud')
  if num(f[3], 0) < num(f[4], 0) then redis.call('HSET', sk, 'e', f[4]) end
  redis.call('SREM', K_LIVE, id)
  redis.call('ZREM', K_AVAIL, id)
  local rk = rkey(f[2])
  redis.call('HINCRBY', rk, 'active', -1)
  if reason == 'blocked' or reason == 'manual' then record_failure(rk, 'blocks') end
  redis.call('HINCRBY', K_STATS, 'retired', 1)
  redis.call('HINCRBY', K_STATS, 'retired:' .. reason, 1)
  redis.call('PEXPIRE', sk, RETIRED_TTL)
  publish('r ' .. reason .. ' ' .. id)
  return 1
end

-- Every field of a session the hot paths need, in one HMGET:
--   1 r, 2 ea, 3 px, 4 ep, 5 l, 6 w, 7 cd, 8 u, 9 e, 10 ec, 11 ver, 12 wr, 13 ca, 14 mA, 15 mE, 16 dE, 17 mU
local SF = {'r', 'ea', 'px', 'ep', 'l', 'w', 'cd', 'u', 'e', 'ec', 'ver', 'wr', 'ca', 'mA', 'mE', 'dE', 'mU'}
local function load_session(sk) return redis.call('HMGET', sk, unpack(SF)) end

-- Replays marks in order (g good, b bad blaming the proxy, h bad not blaming it) as deltas on the stored
-- counters of the loaded session f, then returns the threshold the session crossed (nil if none, or if it is
-- retired already).
local function apply_marks(sk, f, marks, rk)
  if marks == '' then return nil end
  local u, e, ec = num(f[8], 0), num(f[9], 0), num(f[10], 0)
  local dec, me, mu = num(f[16], 0.5), num(f[15], 3), num(f[17], 50)
  local good, bad = 0, 0
  for i = 1, #marks do
    local c = string.sub(marks, i, i)
    u = u + 1
    if c == 'g' then
      e = e - dec
      if e < 0 then e = 0 end
      good = good + 1
      record_success(rk)
    else
      e = e + 1
      ec = ec + 1
      bad = bad + 1
      if c == 'b' then record_failure(rk, 'errors') end
    end
  end
  f[8], f[9], f[10] = tostring(u), fmt(e), tostring(ec)
  redis.call('HSET', sk, 'u', u, 'e', f[9], 'ec', ec)
  if good > 0 then redis.call('HINCRBY', K_STATS, 'markedGood', good) end
  if bad > 0 then redis.call('HINCRBY', K_STATS, 'markedBad', bad) end
  if f[1] then return nil end
  if e >= me then return 'errorScore' end
  if u >= mu then return 'maxUsageCount' end
  if LEARN then
    local ul = learned_limit()
    if ul > 0 and u >= ul then return 'maxUsageCount' end
  end
  return nil
end

local function grant(id, sk, token, f)
  local l = num(f[5], 0) + 1
  f[5] = tostring(l)
  redis.call('HSET', sk, 'l', l)
  if l == 1 then redis.call('HINCRBY', K_STATS, 'gLeased', 1) end
  -- A fresh session stays exclusive until its first use completes; a warm one is shared up to MAXCONC, LRU-rotated.
  if f[6] ~= '1' or l >= MAXCONC then
    redis.call('ZREM', K_AVAIL, id)
  else
    redis.call('ZADD', K_AVAIL, NOW_US, id)
  end
  redis.call('ZADD', K_LEASES, NOW + LEASE_TTL, token)
  redis.call('HSET', K_LEASE, token, id)
  redis.call('HINCRBY', K_STATS, 'leasesGranted', 1)
end

-- A session record: {kind, a, id, u, e, ec, cd, w, ver, wr, ca, ea, px, mA, mE, dE, mU, hasContent, jar, ud};
-- cookies and userData only when another worker wrote them (or when forced).
local function reply_from(kind, a, id, sk, f, force)
  local out = {kind, a, id, f[8], f[9], f[10], f[7], f[6], f[11], f[12], f[13], f[2], f[3], f[14], f[15], f[16], f[17]}
  if force or f[12] ~= WORKER then
    local c = redis.call('HMGET', sk, 'jar', 'ud')
    out[18] = '1'
    out[19] = c[1]
    out[20] = c[2]
  else
    out[18] = '0'
    out[19] = false
    out[20] = false
  end
  return out
end

local function reply(kind, a, id, sk, force) return reply_from(kind, a, id, sk, load_session(sk), force) end

-- Takes back leases whose holder stopped renewing them (a dead worker) and slots never committed.
local function reap()
  local woke = false
  local expired = redis.call('ZRANGEBYSCORE', K_LEASES, '-inf', NOW, 'LIMIT', 0, 64)
  for _, token in ipairs(expired) do
    redis.call('ZREM', K_LEASES, token)
    redis.call('ZADD', K_REAPED, NOW, token)
    local id = redis.call('HGET', K_LEASE, token)
    redis.call('HDEL', K_LEASE, token)
    if id then
      local sk = skey(id)
      local f = redis.call('HMGET', sk, 'l', 'r', 'cd')
      if f[1] then
        local l = num(f[1], 0)
        if l > 0 then
          l = redis.call('HINCRBY', sk, 'l', -1)
          if l == 0 then redis.call('HINCRBY', K_STATS, 'gLeased', -1) end
        end
        if not f[2] and l < MAXCONC and not redis.call('ZSCORE', K_AVAIL, id) then
          local at = num(f[3], 0)
          if at < NOW then at = NOW end
          redis.call('ZADD', K_AVAIL, at, id)
        end
      end
    end
    woke = true
  end
  if #expired > 0 then
    redis.call('HINCRBY', K_STATS, 'leasesExpired', #expired)
    redis.call('ZREMRANGEBYSCORE', K_REAPED, '-inf', NOW - 3600000)
  end
  local slots = redis.call('ZRANGEBYSCORE', K_MINTING, '-inf', NOW, 'LIMIT', 0, 64)
  for _, m in ipairs(slots) do
    redis.call('ZREM', K_MINTING, m)
    local sp = string.find(m, ' ', 1, true)
    redis.call('HDEL', K_MINTS, string.sub(m, 1, sp - 1))
    local url = string.sub(m, sp + 1)
    if url ~= '?' then redis.call('HINCRBY', rkey(url), 'active', -1) end
    woke = true
  end
  if woke then wake_waiters() end
end

-- The least recently used session that can go now, or under 'random' any (RND picks; later tries derive theirs
-- from it). Retires expired and proxy-burned sessions it meets and parks those whose route is cooling; returns
-- nil when there is none, false when it gave up (try again).
local function pick()
  local rnd = RND
  for _ = 1, 64 do
    local at = 0
    if PICK_RANDOM then
      -- The ready sessions are the lowest-scored: a rank among them, O(log n).
      local n = redis.call('ZCOUNT', K_AVAIL, '-inf', READY)
      if n == 0 then return nil end
      at = math.min(n - 1, math.floor(rnd * n))
      rnd = (rnd * 9301 + 0.4929) % 1
    end
    local ids = redis.call('ZRANGEBYSCORE', K_AVAIL, '-inf', READY, 'LIMIT', at, 1)
    local id = ids[1]
    if not id then return nil end
    local sk = skey(id)
    local f = load_session(sk)
    if not f[2] or f[1] then
      redis.call('ZREM', K_AVAIL, id)
    elseif num(f[2], 0) <= NOW then
      retire(id, sk, 'expired', '')
    else
      local rk = rkey(f[3])
      local route = load_route(rk)
      if burned(rk, route, f[4]) then
        retire(id, sk, 'proxyBenched', '')
      else
        local cu = num(route[5], 0)
        if cu > NOW then
          redis.call('ZADD', K_AVAIL, cu, id)
          redis.call('HSET', sk, 'cd', fmt(cu))
        elseif num(f[5], 0) >= MAXCONC then
          redis.call('ZREM', K_AVAIL, id)
        else
          return id, sk, f
        end
      end
    end
  end
  return false
end

-- A slot for a new session under maxPoolSize: on the given route (explicit: '' = direct), on one picked
-- here, or (MODE function) on the one the worker's newUrlFunction names at commit.
local function reserve_slot(token, explicit)
  -- A re-sent call (after a reconnection) gets the slot its first copy reserved.
  local prev = redis.call('HGET', K_MINTS, token)
  if prev and redis.call('ZSCORE', K_MINTING, prev) then return prev, string.sub(prev, string.find(prev, ' ', 1, true) + 1) end
  if redis.call('SCARD', K_LIVE) + redis.call('ZCARD', K_MINTING) >= MAXPOOL then return nil, 'full' end
  local url
  if explicit then
    url = explicit
    redis.call('HINCRBY', rkey(url), 'active', 1)
  elseif MODE == 'function' then
    url = '?'
  else
    local rk, chosen = pick_route()
    if not rk then return nil, 'route' end
    redis.call('HINCRBY', rk, 'active', 1)
    url = chosen
  end
  local m = token .. ' ' .. url
  redis.call('ZADD', K_MINTING, NOW + LEASE_TTL, m)
  redis.call('HSET', K_MINTS, token, m)
  return m, url
end

-- Nothing to hand out: registers the worker as waiting (releases then publish a wake-up) and says when to
-- try again at the latest (a cooldown end, a lease or slot expiry, a proxy back from the bench).
local function wait_reply(at)
  redis.call('ZREMRANGEBYSCORE', K_WAITERS, '-inf', NOW)
  redis.call('ZADD', K_WAITERS, NOW + WAITER_TTL, WORKER)
  local function consider(v) if v and (not at or v < at) then at = v end end
  local c = redis.call('ZRANGE', K_AVAIL, 0, 0, 'WITHSCORES')
  if c[2] then consider(tonumber(c[2])) end
  local le = redis.call('ZRANGE', K_LEASES, 0, 0, 'WITHSCORES')
  if le[2] then consider(tonumber(le[2])) end
  local ms = redis.call('ZRANGE', K_MINTING, 0, 0, 'WITHSCORES')
  if ms[2] then consider(tonumber(ms[2])) end
  local live = redis.call('SCARD', K_LIVE)
  local room = live + redis.call('ZCARD', K_MINTING) < MAXPOOL
  local urls = redis.call('LRANGE', K_PROXIES, 0, -1)
  local benched = 0
  for _, url in ipairs(urls) do
    local rk = rkey(url)
    local st = route_state(rk)
    if st == 'benched' then benched = benched + 1 end
    if room and MODE == 'list' then
      local f = redis.call('HMGET', rk, 'active', 'cu', 'bu')
      if not (st == 'probation' and num(f[1], 0) > 0) then
        local t = NOW
        if st == 'benched' then t = num(f[3], NOW) end
        if num(f[2], 0) > t then t = num(f[2], 0) end
        consider(t)
      end
    end
  end
  if room and MODE == 'direct' then consider(num(redis.call('HGET', K_DIRECT, 'cu'), NOW)) end
  if room and MODE == 'function' then consider(NOW) end
  -- Never sooner than 20 ms: no busy loop on a state that changes only with the clock.
  if at and at < NOW + 20 then at = NOW + 20 end
  return {'W', at and fmt(at) or '', live, redis.call('HGET', K_STATS, 'gLeased') or '0', redis.call('ZCARD', K_LEASES),
    redis.call('ZCOUNT', K_AVAIL, fmt(NOW + 1), '+inf'), benched, #urls}
end
