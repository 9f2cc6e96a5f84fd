local lost = {}
for i = REST, #ARGV do
  local item = ARGV[i]
  local zkey = K_LEASES
  if string.sub(item, 1, 1) == 'm' then zkey = K_MINTING end
  local member = string.sub(item, 2)
  if redis.call('ZSCORE', zkey, member) then
    redis.call('ZADD', zkey, NOW + LEASE_TTL, member)
  else
    lost[#lost + 1] = item
  end
end
return lost
