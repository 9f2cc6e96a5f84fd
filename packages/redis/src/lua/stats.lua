local proxies = {}
for _, url in ipairs(redis.call('LRANGE', K_KNOWN, 0, -1)) do
  local rk = rkey(url)
  route_state(rk)
  proxies[#proxies + 1] = url
  proxies[#proxies + 1] = redis.call('HGETALL', rk)
end
return {redis.call('SCARD', K_LIVE), redis.call('ZCOUNT', K_AVAIL, '-inf', READY), redis.call('ZCOUNT', K_AVAIL, fmt(NOW + 1), '+inf'),
  redis.call('HGET', K_STATS, 'gLeased') or '0', redis.call('ZCARD', K_LEASES), redis.call('HGETALL', K_STATS), proxies, fmt(NOW),
  redis.call('HGET', K_META, 'ul') or ''}
