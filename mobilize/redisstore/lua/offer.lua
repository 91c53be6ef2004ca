-- offer: claim an available responder for one slot of a need, atomically:
-- the person goes from available to offered (out of the candidate sets)
-- with the offer's expiry. ARGV[5] need, [6] team index, [7] responder,
-- [8] offer id, [9] expires ms, [10] distance m, [11] reason.
-- Returns 'ok' or why not.
local need, idx, rid, oid = ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local nk = needKey(need)
local st = redis.call('HGET', nk, 'status')
if st ~= 'open' and st ~= 'staffing' then
  return 'need_closed'
end
local v = redis.call('HMGET', nk, 'c' .. idx, 'f' .. idx, 'p' .. idx, 'r' .. idx)
if not v[1] then
  return 'no_such_slot'
end
if tonumber(v[2]) + tonumber(v[3]) >= tonumber(v[1]) then
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
local r = split(raw)
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
  joinAsg({rid, idx, v[4], 'offered', tostring(NOW), ARGV[9], '', ARGV[10], ARGV[11]}))
redis.call('HSET', OFFERS, oid, need)
redis.call('ZADD', OFFERS_EXP, ARGV[9], oid)
noteOfferSent(rid)
return 'ok'
