-- Registers one push subscription of a responder (redisstore/push.go).
-- KEYS[1] the responder's subscriptions hash
-- ARGV[1] subscription id, [2] its JSON (with created_ms), [3] the most kept
-- Returns 1 when it is new, 0 when it replaced the same endpoint's.
-- The same endpoint again replaces its record (fresh keys, language and
-- time); a new one beyond the limit first drops the one registered
-- longest ago, so that a changed phone is never locked out.
local key, id, value, max = KEYS[1], ARGV[1], ARGV[2], tonumber(ARGV[3])
if redis.call('HEXISTS', key, id) == 1 then
  redis.call('HSET', key, id, value)
  return 0
end
local all = redis.call('HGETALL', key)
local n = #all / 2
while n >= max do
  local oldest, oldestAt
  for i = 1, #all, 2 do
    local f = all[i]
    if f then
      local ok, rec = pcall(cjson.decode, all[i + 1])
      local at = 0
      if ok and type(rec) == 'table' and tonumber(rec.created_ms) then
        at = tonumber(rec.created_ms)
      end
      if oldest == nil or at < oldestAt or (at == oldestAt and f < all[oldest]) then
        oldest, oldestAt = i, at
      end
    end
  end
  redis.call('HDEL', key, all[oldest])
  all[oldest] = false
  n = n - 1
end
redis.call('HSET', key, id, value)
return 1
