-- field_arrive: a team member reports arriving at the need. Only a member
-- holding an accepted place on a staffing or staffed need may; a repeat
-- changes nothing and answers the record kept. A departure is final: a
-- member who left cannot arrive again (their hours are counted to it).
-- {base}need:<id>:field HASH responder -> JSON {state, arrived ms, left ms,
--                                         confirmed, distance_m, reason}
-- ARGV[5] need, [6] responder, [7] distance m, [8] '1' when confirmed by
-- position, [9] reason. Returns {outcome, record JSON}.
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
local fk = needKey(need) .. ':field'
local raw = redis.call('HGET', fk, rid)
if not accepted then
  if completed then return {'closed'} end
  return {'not_on_team'}
end
if st ~= 'staffing' and st ~= 'staffed' then
  return {'closed'}
end
if raw then
  local ok, r = pcall(cjson.decode, raw)
  if ok and type(r) == 'table' and r.state == 'left' then return {'closed'} end
  return {'repeat', raw}
end
local rec = cjson.encode({state = 'on_scene', arrived = tostring(NOW), left = '',
  confirmed = ARGV[8] == '1', distance_m = tonumber(ARGV[7]), reason = ARGV[9]})
redis.call('HSET', fk, rid, rec)
return {'ok', rec}
