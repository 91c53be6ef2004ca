-- answer: a responder accepts or declines an offer, atomically. Accept
-- succeeds only while the offer is pending and unexpired and the slot is
-- open, so a need never has more accepted people than slots.
-- ARGV[5] offer id, [6] responder, [7] 'accept' or 'decline' or 'expire',
-- [8] the local hour of day (0..23), under which the answer is measured.
-- Returns {outcome, need id, lead id, withdrawn offer id, responder, ...};
-- not_pending returns {'not_pending', need id, the offer's state now}.
-- An accept that fills its team entry withdraws the entry's other pending
-- offers (an offer wave's, waves.go) and returns them likewise.
local oid, rid, verb, hour = ARGV[5], ARGV[6], ARGV[7], ARGV[8] or ''

-- Acceptance, measured for offer waves: {base}acceptance HASH
-- 'k:<urgency>|<role>|<category>', 'h:<hour>' and 'all' ->
-- "accepted|answered|last ms", counts that halve every ACC_HALF_MS, so
-- that last month's answers weigh less than this week's.
local ACCEPTANCE, ACC_HALF_MS = BASE .. 'acceptance', 7 * DAY_MS

local function bumpAcceptance(field, accepted)
  local raw = redis.call('HGET', ACCEPTANCE, field)
  local f = raw and split(raw) or {'0', '0', tostring(NOW)}
  local decay = 0.5 ^ (math.max(0, NOW - tonumber(f[3])) / ACC_HALF_MS)
  redis.call('HSET', ACCEPTANCE, field, string.format('%.6f|%.6f|%d',
    tonumber(f[1]) * decay + accepted, tonumber(f[2]) * decay + 1, NOW))
end

-- noteAnswer measures one answer of the need's offer: 1 accepted, 0 not
-- (declined or left to lapse).
local function noteAnswer(needID, role, accepted)
  local ok, d = pcall(cjson.decode, redis.call('HGET', needKey(needID), 'data') or '')
  if not ok or type(d) ~= 'table' then return end
  bumpAcceptance('k:' .. tostring(d.urgency) .. '|' .. role .. '|' .. tostring(d.category), accepted)
  if hour ~= '' then bumpAcceptance('h:' .. hour, accepted) end
  bumpAcceptance('all', accepted)
end

-- withdrawFilled ends the other pending offers of team entry idx, whose
-- places are all taken, as withdrawn; their people go back to the pool
-- with the offer's alert budget returned. It appends offer id, responder
-- pairs to out.
local function withdrawFilled(needID, idx, out)
  local all = redis.call('HGETALL', asgKey(needID))
  for i = 1, #all, 2 do
    local other = split(all[i + 1])
    if other[A_STATE] == 'offered' and (idx == nil or other[A_IDX] == idx) then
      endOffer(needID, all[i], other, 'withdrawn')
      forgetOfferSent(other[A_RID], other[A_OFFERED])
      table.insert(out, all[i])
      table.insert(out, other[A_RID])
    end
  end
  return out
end

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
  noteAnswer(need, a[A_ROLE], 0)
  return {'expired', need, '', '', a[A_RID]}
end
if verb == 'expire' then
  return {'not_due', need}
end
if verb == 'decline' then
  endOffer(need, oid, a, 'declined')
  noteDecline(a[A_RID])
  noteAnswer(need, a[A_ROLE], 0)
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
noteAnswer(need, a[A_ROLE], 1)
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
  local out = {'accepted', need, '', '', a[A_RID]}
  if tonumber(v[2]) + 1 >= tonumber(v[1]) then
    withdrawFilled(need, a[A_IDX], out) -- the entry is full: its wave ends
  end
  return out
end
local lead = redis.call('HGET', nk, 'lead_sw') or redis.call('HGET', nk, 'first')
redis.call('HSET', nk, 'status', 'staffed', 'staffed_at', tostring(NOW), 'lead', lead)
redis.call('ZREM', OPEN, need)
return withdrawFilled(need, nil, {'staffed', need, lead, '', a[A_RID]})
