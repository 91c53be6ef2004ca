-- complete: one member of a staffed team reports the task done. When the
-- last accepted member has, the need is completed.
-- ARGV[5] need, [6] responder. Returns {outcome, accepted-at ms}.
local need, rid = ARGV[5], ARGV[6]
local nk = needKey(need)
local st = redis.call('HGET', nk, 'status')
if not st then
  return {'unknown_need'}
end
if st ~= 'staffed' then
  return {'not_staffed'}
end
local all = redis.call('HGETALL', asgKey(need))
local found, remaining, acceptedAt = false, 0, ''
for i = 1, #all, 2 do
  local a = split(all[i + 1])
  if a[A_STATE] == 'accepted' then
    if a[A_RID] == rid and not found then
      found = true
      acceptedAt = a[A_ANSWERED]
      releaseAccepted(need, all[i], a, 'completed')
      -- Hours are credited from arrival on scene to leaving (or to now)
      -- when the member reported arriving (field_arrive.lua), else from
      -- acceptance to completion; capped at 12 h so that a forgotten
      -- "done" does not inflate the record.
      local rule, arrivedMs, leftMs, from, to = 'acceptance', '', '', tonumber(acceptedAt), NOW
      local fok, f = pcall(cjson.decode, redis.call('HGET', nk .. ':field', rid) or '')
      if fok and type(f) == 'table' and type(f.arrived) == 'string' and tonumber(f.arrived) then
        rule, arrivedMs, from = 'arrival', f.arrived, tonumber(f.arrived)
        if type(f.left) == 'string' and tonumber(f.left) then
          leftMs, to = f.left, math.min(NOW, tonumber(f.left))
        end
      end
      local served = math.min(43200, math.max(0, (to - from) / 1000))
      creditService(rid, math.floor(served))
      creditLedger(need, all[i], rid, a[A_ROLE], acceptedAt, NOW, rule, arrivedMs, leftMs)
      noteReliability(rid, 1, 0, 0, 0)
    else
      remaining = remaining + 1
    end
  end
end
if not found then
  return {'not_on_team'}
end
if remaining == 0 then
  redis.call('HSET', nk, 'status', 'completed', 'closed_at', tostring(NOW))
  endSupplies(need, 'consumed')
  return {'need_completed', acceptedAt}
end
return {'completed', acceptedAt}
