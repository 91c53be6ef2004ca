-- locate: new positions for registered responders, many in one call, so
-- that Redis starts the script once per batch instead of once per report.
-- ARGV[2..] groups of 7: id, lat, lng, ts ms, cell, p7, p5
-- Returns one entry per report: -1 for an unknown responder, else
-- "applied|role|status" with applied 1, or 0 when the report was older than
-- the position already held (ignored); role and status let the caller tell
-- the map without reading the record back.
local out = {}
for i = 2, #ARGV, 7 do
  local id = ARGV[i]
  local raw = redis.call('HGET', POS, id)
  if not raw then
    out[#out + 1] = -1
  else
    local r = splitPos(raw)
    local ts = ARGV[i + 3]
    if r[TS] ~= '' and tonumber(r[TS]) > tonumber(ts) then
      out[#out + 1] = '0|' .. r[ROLE] .. '|' .. r[STATUS]
    else
      local cell, p7, p5 = ARGV[i + 4], ARGV[i + 5], ARGV[i + 6]
      if r[IN] == '1' and r[CELL] ~= cell and r[STATUS] == 'available' then
        -- A move between cells: one HDEL, and the supply counts change
        -- only when a coarser parent does.
        redis.call('HDEL', CELLS .. r[CELL] .. ':' .. r[ROLE], id)
        if r[P7] ~= p7 then
          count(S7, r[P7], -1)
          count(S7, p7, 1)
        end
        if r[P5] ~= p5 then
          count(S5, r[P5], -1)
          count(S5, p5, 1)
        end
      elseif r[CELL] ~= cell then
        unindex(id, r)
      end
      r[LAT], r[LNG], r[TS], r[CELL], r[P7], r[P5] = ARGV[i + 1], ARGV[i + 2], ts, cell, p7, p5
      if r[STATUS] == 'available' then
        index(id, r)
      end
      redis.call('HSET', POS, id, join(r))
      out[#out + 1] = '1|' .. r[ROLE] .. '|' .. r[STATUS]
    end
  end
end
return out
