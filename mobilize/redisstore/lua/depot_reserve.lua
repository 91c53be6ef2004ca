-- depot_reserve: reserve a need's items from the first listed depot that
-- has every one of them in stock, checking and taking in one step, so that
-- two needs never take the same kit and stock never goes below zero.
-- ARGV[5] need id, [6] items "item:count,...", [7..] depot ids, nearest
-- first. Returns {'reserved', depot, lat, lng}; {'short'} when no listed
-- depot has them (recorded on the need, tried again later);
-- {'need_closed'}; or the need's existing {state, depot, lat, lng} when it
-- holds (or held) a reservation already. A staffed need may still be
-- short: its team waits for the items.
local need, items = ARGV[5], parseItems(ARGV[6])
local nk = SUP_BASE .. 'need:' .. need
local v = redis.call('HMGET', nk, 'status', 'sup_state', 'sup_depot', 'sup_lat', 'sup_lng')
if v[1] ~= 'open' and v[1] ~= 'staffing' and v[1] ~= 'staffed' then
  redis.call('SREM', SHORT, need)
  return {'need_closed'}
end
if v[2] and v[2] ~= 'short' then
  return {v[2], v[3] or '', v[4] or '', v[5] or ''}
end
for i = 7, #ARGV do
  local d = ARGV[i]
  local pos = redis.call('HMGET', depotKey(d), 'lat', 'lng')
  if pos[1] then
    local enough = true
    for _, it in ipairs(items) do
      if tonumber(redis.call('HGET', depotStockKey(d), it[1]) or '0') < it[2] then
        enough = false
        break
      end
    end
    if enough then
      for _, it in ipairs(items) do
        redis.call('HINCRBY', depotStockKey(d), it[1], -it[2])
        redis.call('HINCRBY', depotHeldKey(d), it[1], it[2])
      end
      redis.call('HSET', nk, 'sup_state', 'reserved', 'sup_depot', d, 'sup_lat', pos[1], 'sup_lng', pos[2],
        'sup_items', ARGV[6])
      redis.call('HDEL', nk, 'sup_short')
      redis.call('SREM', SHORT, need)
      return {'reserved', d, pos[1], pos[2]}
    end
  end
end
redis.call('HSET', nk, 'sup_state', 'short', 'sup_short', 'no_depot_stock', 'sup_items', ARGV[6])
redis.call('SADD', SHORT, need)
return {'short'}
