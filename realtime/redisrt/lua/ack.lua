-- ack.lua: the user holds every inbox entry up to ARGV[1]; delete them and
-- raise the floor. The floor only moves forward, so a late ack from a second
-- device cannot make a reader believe old entries are still there.
--
-- KEYS[1] inbox stream, KEYS[2] floor
-- ARGV[1] acked id, ARGV[2] the id right after it (XTRIM MINID keeps ids
-- >= it), ARGV[3] ttl in ms (0: none)
--
-- Returns the number of entries deleted.

local function parse(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end

local floor = redis.call('GET', KEYS[2])
if floor then
  local fm, fs = parse(floor)
  local am, as = parse(ARGV[1])
  if fm and am and (am < fm or (am == fm and as <= fs)) then
    return 0
  end
end

local n = redis.call('XTRIM', KEYS[1], 'MINID', ARGV[2])
redis.call('SET', KEYS[2], ARGV[1])
local ttl = tonumber(ARGV[3])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[2], ttl)
end
return n
