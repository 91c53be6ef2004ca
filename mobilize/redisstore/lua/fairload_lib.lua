-- Helpers for fair load, joined before mobilize_lib.lua: sliding windows
-- of the offers each responder received (the alert budget, one hour) and
-- of the service they completed (the fatigue term, 24 hours), kept in one
-- hash field per responder, "sent|served":
--   sent   = comma-separated offer times (ms)
--   served = comma-separated "completed ms:seconds"
-- Old entries are dropped as the field is written, and at most FL_MAX of
-- each are kept, so the field stays small and one HMGET reads a batch.
local FL_BASE, FL_NOW = ARGV[2], tonumber(ARGV[3])
local FAIRLOAD = FL_BASE .. 'fairload'
local HOUR_MS, FL_MAX = 3600000, 64

-- splitFair splits a field (or nil) into its sent and served lists.
local function splitFair(raw)
  raw = raw or '|'
  local sep = string.find(raw, '|', 1, true) or (#raw + 1)
  return string.sub(raw, 1, sep - 1), string.sub(raw, sep + 1)
end

local function readFair(rid)
  return splitFair(redis.call('HGET', FAIRLOAD, rid))
end

-- keepSince returns list's entries newer than cutoff, then add, the last
-- FL_MAX of them.
local function keepSince(list, cutoff, add)
  local out = {}
  for e in string.gmatch(list, '[^,]+') do
    local ms = tonumber(string.match(e, '^(%d+)'))
    if ms and ms > cutoff then table.insert(out, e) end
  end
  table.insert(out, add)
  while #out > FL_MAX do table.remove(out, 1) end
  return table.concat(out, ',')
end

-- withOfferSent is the field raw (or nil) with an offer sent now counted.
local function withOfferSent(raw)
  local sent, served = splitFair(raw)
  return keepSince(sent, FL_NOW - HOUR_MS, tostring(FL_NOW)) .. '|' .. served
end

-- noteOfferSent counts an offer against the responder's alert budget.
local function noteOfferSent(rid)
  redis.call('HSET', FAIRLOAD, rid, withOfferSent(redis.call('HGET', FAIRLOAD, rid)))
end

-- overBudget reports whether rid has had budget offers (standbys and
-- nudges count as offers) in the last hour; a budget of 0 is none.
local function overBudget(rid, budget)
  if budget <= 0 then return false end
  local n = 0
  for e in string.gmatch((readFair(rid)), '[^,]+') do
    local ms = tonumber(e)
    if ms and ms > FL_NOW - HOUR_MS then n = n + 1 end
  end
  return n >= budget
end

-- forgetOfferSent takes back the budget an offer sent at sentMs used: an
-- offer withdrawn because its place filled (waves) costs its receiver
-- nothing, and must not make them look over-asked.
local function forgetOfferSent(rid, sentMs)
  local sent, served = readFair(rid)
  local out, dropped = {}, false
  for e in string.gmatch(sent, '[^,]+') do
    if not dropped and e == sentMs then dropped = true else table.insert(out, e) end
  end
  redis.call('HSET', FAIRLOAD, rid, table.concat(out, ',') .. '|' .. served)
end

-- noteServed records seconds of service completed now.
local function noteServed(rid, seconds)
  local sent, served = readFair(rid)
  redis.call('HSET', FAIRLOAD, rid, sent .. '|' .. keepSince(served, FL_NOW - 24 * HOUR_MS, FL_NOW .. ':' .. seconds))
end
