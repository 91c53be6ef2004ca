-- shortfall.lua: record (or clear) why a team entry of a need is short.
-- KEYS[1] need hash; ARGV[1] field (short<i>), ARGV[2] reason or "" to clear.
-- The matcher writes this after its tick read the need; by then the need
-- may be gone (a demo removal, a retention sweep), and an HSET would bring
-- back a husk of it. Only a need that still exists gets the reason.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
if ARGV[2] == '' then
  return redis.call('HDEL', KEYS[1], ARGV[1])
end
return redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
