-- close: cancel a need (ARGV[6] 'cancelled'), or mark it unstaffed when its
-- deadline has passed (ARGV[6] 'unstaffed'). ARGV[5] need id.
-- Every offer is withdrawn and everyone released.
-- Returns {outcome, offer id, responder, previous state, ...}.
local need, status = ARGV[5], ARGV[6]
local nk = needKey(need)
local st = redis.call('HGET', nk, 'status')
if not st then
  return {'unknown_need'}
end
if st == 'completed' or st == 'cancelled' or st == 'unstaffed' then
  return {'already_closed'}
end
if status == 'unstaffed' then
  local dl = redis.call('HGET', nk, 'deadline')
  if st == 'staffed' or dl == '' or tonumber(dl) > NOW then
    return {'not_due'}
  end
end
local out = closeNeed(need, status)
table.insert(out, 1, status)
return out
