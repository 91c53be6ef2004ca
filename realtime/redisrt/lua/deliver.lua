-- deliver.lua: append one message to a user's inbox and announce it, in one
-- atomic step, so that the announcement can never precede the entry nor
-- be lost when the process dies between the two.
--
-- KEYS[1] inbox stream, KEYS[2] floor (the highest id known to be deleted)
-- ARGV[1] type, ARGV[2] ts, ARGV[3] data (JSON), ARGV[4] max length,
-- ARGV[5] ttl in ms (0: none), ARGV[6] notice channel, ARGV[7] user id
--
-- Returns the new entry id.

-- prev is what a session that is up to date has as its cursor: the last
-- entry, or, when every entry was acked away, the floor.
local prev
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if #last > 0 then
  prev = last[1][1]
else
  prev = redis.call('GET', KEYS[2]) or '0-0'
end

local id = redis.call('XADD', KEYS[1], '*', 't', ARGV[1], 'ts', ARGV[2], 'd', ARGV[3])

-- Trim exactly (not with ~) and remember the last id trimmed, so that a
-- reader whose cursor is older knows it missed something.
local max = tonumber(ARGV[4])
local len = redis.call('XLEN', KEYS[1])
if len > max then
  local old = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', len - max)
  redis.call('XTRIM', KEYS[1], 'MAXLEN', max)
  redis.call('SET', KEYS[2], old[#old][1])
end

local ttl = tonumber(ARGV[5])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
end

redis.call('PUBLISH', ARGV[6], cjson.encode({
  u = ARGV[7], p = prev, id = id, t = ARGV[1], ts = ARGV[2], d = ARGV[3],
}))
return id
