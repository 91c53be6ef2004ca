-- feedback: the one rating of a completed need. It is refused for a need
-- that is not completed, after the link's time, and once a rating exists,
-- so that a link works exactly once however many times it is posted.
-- ARGV[5] need, [6] rating, [7] comment, [8] link lifetime ms.
-- Returns 'ok', 'unknown', 'expired' or 'used'.
local need, rating, comment, ttl = ARGV[5], tonumber(ARGV[6]), ARGV[7], tonumber(ARGV[8])
local nk = needKey(need)
local v = redis.call('HMGET', nk, 'status', 'closed_at')
if v[1] ~= 'completed' or not v[2] then
  return 'unknown'
end
if tonumber(v[2]) + ttl <= NOW then
  return 'expired'
end
local fk = BASE .. 'feedback:' .. need
if redis.call('EXISTS', fk) == 1 then
  return 'used'
end
redis.call('HSET', fk, 'rating', tostring(rating), 'comment', comment, 'at', tostring(NOW))
local all = redis.call('HGETALL', asgKey(need))
for i = 1, #all, 2 do
  local a = split(all[i + 1])
  if a[A_STATE] == 'completed' then
    noteReliability(a[A_RID], 0, 0, rating, 1)
  end
end
return 'ok'
