-- locate: new positions for registered responders, many in one call, so
-- that Redis starts the script once per batch instead of once per report.
-- ARGV[2..] groups of 6: id, ts ms, "lat|lng|ts", cell, p7, p5
-- Returns one entry per report: -1 for an unknown responder, "role|status|"
-- when the position was recorded, or "old|role|status|" when the report was
-- older than the position already held (ignored); role and status let the
-- caller tell the map without reading the record back.
--
-- Most reports come from someone walking within their cell. Their path
-- costs one HSET of the cell hash and a share of one HMGET and one HSET of
-- the pos hash for the whole batch; a redis.call costs about as much as
-- the rest of the report's work, so the records are read and written
-- together.

-- The record split only as far as a report within the cell needs:
-- "role|status|" (head), the old ts, "|cell|p7|p5|in|skills" (tail) and,
-- inside them, role, status, cell, in and skills.
local walkFields = '^(([^|]*)|([^|]*)|)[^|]*|[^|]*|([^|]*)(|([^|]*)|[^|]*|[^|]*|([^|]*)|(.*))$'

local ids = {}
for i = 2, #ARGV, 6 do
  ids[#ids + 1] = ARGV[i]
end
local raws = redis.call('HMGET', POS, unpack(ids))

local out, writes = {}, {}
local latest = {} -- records written earlier in this batch, by id
for j, id in ipairs(ids) do
  local i = 2 + (j - 1) * 6
  local raw = latest[id] or raws[j]
  if not raw then
    out[j] = -1
  else
    local ts, pos, cell = ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
    local head, role, status, oldTs, tail, oldCell, inIndex, skills = string.match(raw, walkFields)
    if oldTs ~= '' and tonumber(oldTs) > tonumber(ts) then
      out[j] = 'old|' .. head
    else
      if inIndex == '1' and oldCell == cell and status == 'available' then
        -- Within the cell: refresh the position the cell hash carries.
        redis.call('HSET', CELLS .. cell .. ':' .. role, id, id .. '|' .. pos .. '|' .. skills)
        raw = head .. pos .. tail
      else
        local r = splitPos(raw)
        local p7, p5 = ARGV[i + 4], ARGV[i + 5]
        if inIndex == '1' and oldCell ~= cell and status == 'available' then
          -- A move between cells: one HDEL, and the supply counts change
          -- only when a coarser parent does.
          redis.call('HDEL', CELLS .. oldCell .. ':' .. role, id)
          if r[P7] ~= p7 then
            count(S7, r[P7], -1)
            count(S7, p7, 1)
          end
          if r[P5] ~= p5 then
            count(S5, r[P5], -1)
            count(S5, p5, 1)
          end
        elseif oldCell ~= cell then
          unindex(id, r)
        end
        r[LAT], r[LNG] = string.match(pos, '^([^|]*)|([^|]*)|')
        r[TS], r[CELL], r[P7], r[P5] = ts, cell, p7, p5
        if status == 'available' then
          index(id, r)
        end
        raw = join(r)
      end
      latest[id] = raw
      writes[#writes + 1] = id
      writes[#writes + 1] = raw
      out[j] = head
    end
  end
end
if #writes > 0 then
  redis.call('HSET', POS, unpack(writes))
end
return out
