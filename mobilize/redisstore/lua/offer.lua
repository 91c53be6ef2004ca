-- offer: claim available responders for slots of needs, atomically: each
-- person goes from available to offered (out of the candidate sets) with
-- the offer's expiry. Many claims travel in one call, so that a tick's
-- offers cost Redis one script start per batch.
-- ARGV[5..] groups of 8: need, team index, responder, offer id, expires ms,
-- distance m, reason, wave size (offers each open place of the entry may
-- have out at once; 1 without waves); then the fencing epoch (below).
-- Returns, per claim, 'ok' or why not.

-- Fencing (lease.lua): the LAST argument is the epoch of the region's
-- matcher lease the claims were planned under, taken off ARGV here so that
-- the claims' groups keep their places. It must be the region's epoch now;
-- '0' (a matcher without a lease) passes only while the region has never
-- had a lease; '-' (an operator's claim, no matcher's) always passes. A
-- stale epoch refuses every claim of the call: its process lost the lease.
local FENCE = table.remove(ARGV)
if FENCE ~= '-' and (redis.call('HGET', BASE .. 'matcher:epoch', 'epoch') or '0') ~= FENCE then
  local fenced = {}
  for _ = 5, #ARGV, 8 do fenced[#fenced + 1] = 'fenced' end
  return fenced
end

local function claim(need, idx, rid, oid, expires, dist, reason, wave)
  local nk = needKey(need)
  local v = redis.call('HMGET', nk, 'c' .. idx, 'f' .. idx, 'p' .. idx, 'r' .. idx, 'status')
  if v[5] ~= 'open' and v[5] ~= 'staffing' then
    return 'need_closed'
  end
  if not v[1] then
    return 'no_such_slot'
  end
  -- The room is every open place times its wave: with a wave of 1 this
  -- is accepted + pending < count. Accepts are bounded apart (answer.lua).
  local open = tonumber(v[1]) - tonumber(v[2])
  if open <= 0 or tonumber(v[3]) >= open * math.max(1, tonumber(wave) or 1) then
    return 'slot_full'
  end
  if redis.call('SISMEMBER', askedKey(need), rid) == 1 then
    return 'already_asked'
  end
  local l = getLoad(rid)
  local raw = redis.call('HGET', POS, rid)
  if not l or not raw then
    return 'unknown_responder'
  end
  local r = splitPos(raw)
  if r[ROLE] ~= v[4] then
    return 'wrong_role'
  end
  if derive(l) ~= 'available' then
    return 'busy'
  end
  if not fresh(r, CUTOFF) then
    return 'stale'
  end
  l.pend = oid
  putLoad(rid, l)
  applyStatus(rid, l, r)
  redis.call('HINCRBY', nk, 'p' .. idx, 1)
  redis.call('SADD', askedKey(need), rid)
  redis.call('HSET', asgKey(need), oid,
    joinAsg({rid, idx, v[4], 'offered', tostring(NOW), expires, '', dist, reason}))
  redis.call('HSET', OFFERS, oid, need)
  redis.call('ZADD', OFFERS_EXP, expires, oid)
  noteOfferSent(rid)
  return 'ok'
end

-- A claim that fails (damaged records) is reported as such and does not
-- stop the claims after it, whose callers must learn their outcome.
local out = {}
for i = 5, #ARGV, 8 do
  local ok, res = pcall(claim, ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5], ARGV[i + 6], ARGV[i + 7])
  if not ok then
    res = 'script_error: ' .. (type(res) == 'table' and tostring(res.err) or tostring(res))
  end
  out[#out + 1] = res
end
return out
