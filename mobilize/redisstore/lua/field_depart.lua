-- field_depart: a team member reports leaving the need they arrived at.
-- A repeat changes nothing and answers the record kept; so does one after
-- the member completed. ARGV[5] need, [6] responder. Returns {outcome,
-- record JSON}.
local need, rid = ARGV[5], ARGV[6]
local st = redis.call('HGET', needKey(need), 'status')
if not st then
  return {'unknown_need'}
end
local accepted, completed = false, false
local all = redis.call('HGETALL', asgKey(need))
for i = 1, #all, 2 do
  local a = split(all[i + 1])
  if a[A_RID] == rid then
    if a[A_STATE] == 'accepted' then accepted = true end
    if a[A_STATE] == 'completed' then completed = true end
  end
end
if not accepted and not completed then
  return {'not_on_team'}
end
local fk = needKey(need) .. ':field'
local raw = redis.call('HGET', fk, rid)
if not raw then
  if completed then return {'closed'} end
  return {'not_arrived'}
end
local ok, r = pcall(cjson.decode, raw)
if not ok or type(r) ~= 'table' then
  return {'not_arrived'}
end
if r.state == 'left' then
  return {'repeat', raw}
end
if not accepted or (st ~= 'staffing' and st ~= 'staffed') then
  return {'closed'}
end
r.state, r.left = 'left', tostring(NOW)
local rec = cjson.encode(r)
redis.call('HSET', fk, rid, rec)
return {'ok', rec}
