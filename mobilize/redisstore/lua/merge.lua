-- merge: close need ARGV[5] as merged into need ARGV[6], whose data JSON
-- ARGV[7] (as read) becomes ARGV[8] (with the merged need's contacts and
-- description). Every offer of the merged need is withdrawn in the same
-- step, so nobody holds offers of both.
-- Returns {outcome} or {'ok', offer id, responder, previous state, ...};
-- outcome is 'unknown_need', 'closed' (either is closed already) or
-- 'changed' (the other need's data changed since it was read).
local from, into = ARGV[5], ARGV[6]
local fk, ik = needKey(from), needKey(into)
local fst, ist = redis.call('HGET', fk, 'status'), redis.call('HGET', ik, 'status')
if not fst or not ist then
  return {'unknown_need'}
end
local final = {completed = true, cancelled = true, unstaffed = true, rejected = true, merged = true}
if final[fst] or final[ist] then
  return {'closed'}
end
if redis.call('HGET', ik, 'data') ~= ARGV[7] then
  return {'changed'}
end
redis.call('HSET', ik, 'data', ARGV[8])
local out = closeNeed(from, 'merged')
redis.call('HSET', fk, 'merged_into', into)
redis.call('HDEL', fk, 'dup')
table.insert(out, 1, 'ok')
return out
