-- locate: new positions for registered responders, many in one call, so
-- that Redis starts the script once per batch instead of once per report.
-- ARGV[2..] groups of 5: id, ts ms, "lat|lng|ts", cell, "p7|p5" (the
-- parents as one argument, as the record holds them: a walk within its
-- cell never looks at them, so they are neither split nor rejoined).
-- Returns one entry per report: -1 for an unknown responder, "role|status|"
-- when the position was recorded, or "old|role|status|" when the report was
-- older than the position already held (ignored); role and status let the
-- caller tell the map without reading the record back.
--
-- A redis.call costs about as much as the rest of a report's work, so the
-- records are read and written together (one HMGET, one HSET), and the
-- supply counts are summed over the batch and written once per changed
-- parent cell at the end: a report within its cell makes one call (the
-- cell hash), a move between cells two (HDEL, HSET).

-- The record split in one match, without the old position: "role|status|"
-- (head), role, status, the old ts, the tail "|cell|p7|p5|in|skills" and,
-- inside it, cell, "p7|p5", in and skills. Each capture is a string Redis
-- must make, so the parents stay one until a move needs them apart.
local fields = '^(([^|]*)|([^|]*)|)[^|]*|[^|]*|([^|]*)(|([^|]*)|([^|]*|[^|]*)|([^|]*)|(.*))$'
local function parents(p)
  return string.match(p, '^([^|]*)|(.*)$')
end

-- Supply changes of the batch by parent cell, applied after the loop (a
-- batch's deltas commute, and the script is atomic, so nobody sees the
-- counts in between).
local d7, d5 = {}, {}
local function add(d, cell, delta)
  d[cell] = (d[cell] or 0) + delta
end

local ids = {}
for i = 2, #ARGV, 5 do
  ids[#ids + 1] = ARGV[i]
end
local raws = redis.call('HMGET', POS, unpack(ids))

local out, writes = {}, {}
local latest = {} -- records written earlier in this batch, by id
for j, id in ipairs(ids) do
  local i = 2 + (j - 1) * 5
  local raw = latest[id] or raws[j]
  if not raw then
    out[j] = -1
  else
    local ts, pos, cell = ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
    local head, role, status, oldTs, tail, oldCell, oldParents, inIndex, skills = string.match(raw, fields)
    if oldTs ~= '' and tonumber(oldTs) > tonumber(ts) then
      out[j] = 'old|' .. head
    else
      local available = status == 'available'
      if inIndex == '1' and oldCell == cell and available then
        -- Within the cell: refresh the position the cell hash carries.
        redis.call('HSET', CELLS .. cell .. ':' .. role, id, id .. '|' .. pos .. '|' .. skills)
        raw = head .. pos .. tail
      else
        local newParents = ARGV[i + 4]
        if inIndex == '1' and oldCell ~= cell then
          -- Out of the old cell; an available responder goes into the new
          -- one below, and only changed parents change the counts.
          redis.call('HDEL', CELLS .. oldCell .. ':' .. role, id)
          local oldP7, oldP5 = parents(oldParents)
          add(d7, oldP7, -1)
          add(d5, oldP5, -1)
          inIndex = '0'
        end
        if available then
          redis.call('HSET', CELLS .. cell .. ':' .. role, id, id .. '|' .. pos .. '|' .. skills)
          if inIndex ~= '1' then
            local p7, p5 = parents(newParents)
            add(d7, p7, 1)
            add(d5, p5, 1)
            inIndex = '1'
          end
        end
        raw = head .. pos .. '|' .. cell .. '|' .. newParents .. '|' .. inIndex .. '|' .. skills
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
for c, d in pairs(d7) do
  if d ~= 0 then
    count(S7, c, d)
  end
end
for c, d in pairs(d5) do
  if d ~= 0 then
    count(S5, c, d)
  end
end
return out
