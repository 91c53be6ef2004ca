-- locate: a new position for a registered responder, in one round trip.
-- ARGV[2] id, [3] lat, [4] lng, [5] ts ms, [6] cell, [7] p7, [8] p5
-- Returns 1 when applied, 0 when older than the position already held,
-- an error NOTFOUND for an unknown id.
local id = ARGV[2]
local raw = redis.call('HGET', POS, id)
if not raw then
  return redis.error_reply('NOTFOUND unknown responder')
end
local r = split(raw)
if r[TS] ~= '' and tonumber(r[TS]) > tonumber(ARGV[5]) then
  return 0
end
if r[CELL] ~= ARGV[6] then
  unindex(id, r)
end
r[LAT], r[LNG], r[TS], r[CELL], r[P7], r[P5] = ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]
if r[STATUS] == 'available' then
  index(id, r)
end
redis.call('HSET', POS, id, join(r))
return 1
