-- Shared helpers of the index scripts.
-- KEYS[1] pos hash, KEYS[2] supply:7 hash, KEYS[3] supply:5 hash
-- ARGV[1] cell key prefix ("ld:{city}:ix:c:")
local POS, S7, S5 = KEYS[1], KEYS[2], KEYS[3]
local CELLS = ARGV[1]

-- Fields of a pos record.
local ROLE, STATUS, LAT, LNG, TS, CELL, P7, P5, IN, SKILLS = 1, 2, 3, 4, 5, 6, 7, 8, 9, 10

local function split(s)
  local r, i = {}, 1
  for part in string.gmatch(s .. '|', '([^|]*)|') do
    r[i] = part
    i = i + 1
  end
  return r
end

-- posFields matches the ten fields of a pos record in one call, several
-- times cheaper than splitting it field by field.
local posFields = '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|(.*)$'

local function splitPos(s)
  return {string.match(s, posFields)}
end

local function join(r)
  return table.concat(r, '|', 1, 10)
end

local function count(hash, field, delta)
  if redis.call('HINCRBY', hash, field, delta) <= 0 then
    redis.call('HDEL', hash, field)
  end
end

-- unindex takes the responder out of its cell hash and the supply counts.
local function unindex(id, r)
  if r[IN] == '1' then
    redis.call('HDEL', CELLS .. r[CELL] .. ':' .. r[ROLE], id)
    count(S7, r[P7], -1)
    count(S5, r[P5], -1)
    r[IN] = '0'
  end
end

-- index puts (or refreshes) the responder in its cell hash.
local function index(id, r)
  redis.call('HSET', CELLS .. r[CELL] .. ':' .. r[ROLE], id,
    id .. '|' .. r[LAT] .. '|' .. r[LNG] .. '|' .. r[TS] .. '|' .. r[SKILLS])
  if r[IN] ~= '1' then
    count(S7, r[P7], 1)
    count(S5, r[P5], 1)
    r[IN] = '1'
  end
end

local function fresh(r, cutoff)
  return r[TS] ~= '' and tonumber(r[TS]) >= cutoff
end
