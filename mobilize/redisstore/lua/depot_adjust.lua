-- depot_adjust: add to (or take from) a depot's shelf, all or nothing.
-- ARGV[5] id, [6] the most one item may reach, then pairs of item, delta.
-- Returns {'ok'}, {'unknown_depot'}, or {'negative'|'too_many', item, on
-- the shelf now} for the first line that would leave the shelf below zero
-- or above the limit; then nothing changes.
local id, most = ARGV[5], tonumber(ARGV[6])
local dk = depotKey(id)
if redis.call('EXISTS', dk) == 0 then
  return {'unknown_depot'}
end
local sk = depotStockKey(id)
for i = 7, #ARGV, 2 do
  local have = tonumber(redis.call('HGET', sk, ARGV[i]) or '0')
  local after = have + tonumber(ARGV[i + 1])
  if after < 0 then
    return {'negative', ARGV[i], tostring(have)}
  end
  if after > most then
    return {'too_many', ARGV[i], tostring(have)}
  end
end
for i = 7, #ARGV, 2 do
  redis.call('HINCRBY', sk, ARGV[i], ARGV[i + 1])
end
redis.call('HSET', dk, 'updated', tostring(SUP_NOW))
return {'ok'}
