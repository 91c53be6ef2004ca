-- not_before_raise: raise a person's not_before, never lower it, so that
-- of two cut-offs racing (or a process whose clock lags) the later one
-- holds. KEYS[1] the not_before hash, ARGV[1] the person, ARGV[2] Unix ms.
-- Returns the value the hash holds afterwards.
local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0') or 0
local new = tonumber(ARGV[2])
if new > cur then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  return new
end
return cur
