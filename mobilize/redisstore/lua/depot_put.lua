-- depot_put: create or update a depot, and optionally set its stock.
-- ARGV[5] id, [6] name, [7] owning organisation, [8] lat, [9] lng, then
-- pairs of item, count on the shelf (absolute; items not listed keep
-- theirs). Returns 1 when created, 0 when updated.
local id = ARGV[5]
local dk = depotKey(id)
local created = redis.call('HSETNX', dk, 'created', tostring(SUP_NOW))
redis.call('HSET', dk, 'name', ARGV[6], 'org', ARGV[7], 'lat', ARGV[8], 'lng', ARGV[9], 'updated', tostring(SUP_NOW))
redis.call('SADD', SUP_BASE .. 'depots', id)
for i = 10, #ARGV, 2 do
  redis.call('HSET', depotStockKey(id), ARGV[i], ARGV[i + 1])
end
return created
