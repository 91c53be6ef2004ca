-- answer: a responder accepts or declines an offer, atomically. Accept
-- succeeds only while the offer is pending and unexpired and the slot is
-- open, so a need never has more accepted people than slots.
-- ARGV[5] offer id, [6] responder, [7] 'accept' or 'decline' or 'expire'.
-- Returns {outcome, need id, lead id, withdrawn offer id, responder, ...};
-- not_pending returns {'not_pending', need id, the offer's state now}.
local oid, rid, verb = ARGV[5], ARGV[6], ARGV[7]
-- An answered offer leaves OFFERS; ANSWERED remembers its need for a day,
-- so that a second accept is told what became of it, not "unknown".
local ANSWERED = BASE .. 'offer:' .. oid .. ':need'
local need = redis.call('HGET', OFFERS, oid) or redis.call('GET', ANSWERED)
if not need then
  return {'unknown_offer'}
end
redis.call('SET', ANSWERED, need, 'PX', DAY_MS)
local raw = redis.call('HGET', asgKey(need), oid)
if not raw then
  return {'unknown_offer'}
end
local a = split(raw)
if rid ~= '' and a[A_RID] ~= rid then
  return {'not_yours'}
end
if a[A_STATE] ~= 'offered' then
  return {'not_pending', need, a[A_STATE]}
end
if tonumber(a[A_EXPIRES]) <= NOW then
  endOffer(need, oid, a, 'expired')
  noteDecline(a[A_RID])
  return {'expired', need, '', '', a[A_RID]}
end
if verb == 'expire' then
  return {'not_due', need}
end
if verb == 'decline' then
  endOffer(need, oid, a, 'declined')
  noteDecline(a[A_RID])
  return {'declined', need, '', '', a[A_RID]}
end
local nk = needKey(need)
local st = redis.call('HGET', nk, 'status')
local v = redis.call('HMGET', nk, 'c' .. a[A_IDX], 'f' .. a[A_IDX])
if (st ~= 'open' and st ~= 'staffing') or tonumber(v[2]) >= tonumber(v[1]) then
  endOffer(need, oid, a, 'withdrawn')
  return {'slot_closed', need, '', '', a[A_RID]}
end
a[A_STATE] = 'accepted'
a[A_ANSWERED] = tostring(NOW)
redis.call('HSET', asgKey(need), oid, joinAsg(a))
redis.call('SADD', jobsKey(a[A_RID]), need)
redis.call('HDEL', OFFERS, oid)
redis.call('ZREM', OFFERS_EXP, oid)
redis.call('HINCRBY', nk, 'p' .. a[A_IDX], -1)
redis.call('HINCRBY', nk, 'f' .. a[A_IDX], 1)
local filled = redis.call('HINCRBY', nk, 'filled', 1)
local l = getLoad(a[A_RID])
l.pend = ''
l.acc = l.acc + 1
putLoad(a[A_RID], l)
applyStatus(a[A_RID], l)
redis.call('HSETNX', nk, 'first', a[A_RID])
if a[A_ROLE] == 'social_worker' then
  redis.call('HSETNX', nk, 'lead_sw', a[A_RID])
end
if filled < tonumber(redis.call('HGET', nk, 'slots')) then
  redis.call('HSET', nk, 'status', 'staffing')
  return {'accepted', need, '', '', a[A_RID]}
end
local lead = redis.call('HGET', nk, 'lead_sw') or redis.call('HGET', nk, 'first')
redis.call('HSET', nk, 'status', 'staffed', 'staffed_at', tostring(NOW), 'lead', lead)
redis.call('ZREM', OPEN, need)
local out = {'staffed', need, lead, '', a[A_RID]}
local all = redis.call('HGETALL', asgKey(need))
for i = 1, #all, 2 do
  local other = split(all[i + 1])
  if other[A_STATE] == 'offered' then
    endOffer(need, all[i], other, 'withdrawn')
    table.insert(out, all[i])
    table.insert(out, other[A_RID])
  end
end
return out
