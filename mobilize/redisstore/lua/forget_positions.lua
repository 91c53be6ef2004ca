-- forget_positions: drop the stored position of responders not heard
-- from since the cutoff (retention); role, status and skills stay.
-- ARGV[2] cutoff ms, ARGV[3..] ids to check. Returns how many it dropped.
local cutoff = tonumber(ARGV[2])
local n = 0
for i = 3, #ARGV do
  local id = ARGV[i]
  local raw = redis.call('HGET', POS, id)
  if raw then
    local r = splitPos(raw)
    if r[TS] ~= '' and tonumber(r[TS]) < cutoff then
      unindex(id, r)
      r[LAT], r[LNG], r[TS], r[CELL], r[P7], r[P5] = '', '', '', '', '', ''
      redis.call('HSET', POS, id, join(r))
      n = n + 1
    end
  end
end
return n
