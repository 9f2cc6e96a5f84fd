for i = REST, #ARGV do
  local url = ARGV[i]
  local rk = rkey(url)
  redis.call('HSETNX', rk, 'url', url)
  redis.call('HSETNX', rk, 'state', 'healthy')
  if redis.call('SADD', K_PROXYSET, url) == 1 then redis.call('RPUSH', K_KNOWN, url) end
  if redis.call('SADD', K_PICKSET, url) == 1 then redis.call('RPUSH', K_PROXIES, url) end
end
redis.call('HSETNX', K_META, 'settings', ARG.fingerprint)
redis.call('HSETNX', K_META, 'createdAt', fmt(NOW))
redis.call('HSETNX', K_META, 'epoch', ARG.epoch)
return {redis.call('HGET', K_META, 'settings'), fmt(NOW), redis.call('HGET', K_META, 'ul') or '', redis.call('HGET', K_META, 'epoch')}
