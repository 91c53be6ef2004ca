-- Helpers for fair load, joined before mobilize_lib.lua: sliding windows
-- of the offers each responder received (the alert budget, one hour) and
-- of the time they served (the fatigue term, 24 hours). Each is a sorted
-- set scored by time, trimmed as it is written and expiring when idle.
local FL_BASE, FL_NOW = ARGV[2], tonumber(ARGV[3])
local HOUR_MS = 3600000

-- noteOfferSent counts an offer against the responder's alert budget.
local function noteOfferSent(rid, oid)
  local k = FL_BASE .. 'sent:' .. rid
  redis.call('ZREMRANGEBYSCORE', k, '-inf', FL_NOW - HOUR_MS)
  redis.call('ZADD', k, FL_NOW, oid)
  redis.call('PEXPIRE', k, HOUR_MS)
end

-- noteServed records seconds of service completed now; the member carries
-- the seconds (and a counter, so that two entries never collide).
local function noteServed(rid, seconds)
  local k = FL_BASE .. 'served:' .. rid
  redis.call('ZREMRANGEBYSCORE', k, '-inf', FL_NOW - 24 * HOUR_MS)
  redis.call('ZADD', k, FL_NOW, FL_NOW .. ':' .. seconds .. ':' .. redis.call('ZCARD', k))
  redis.call('PEXPIRE', k, 24 * HOUR_MS)
end
