-- review: a reviewer's decision on one need (review.go), its status
-- checked in the same step as the change, so two reviewers cannot both
-- decide it.
-- ARGV[2] region base, [3] now ms, [5] op, [6] need id, then per op:
--   approve  [7] data JSON read, [8] new data JSON, [9] open-set score
--   reject   [7] reason
--   place    [7] data JSON read, [8] new data JSON, [9] community or '', [10] cell
--   keep     (nothing)
--   flag     [7] "ids|reason"
-- Returns 'ok', 'unknown_need', 'not_pending', 'closed' or 'changed'
-- (the data changed since it was read: read again and retry).
local BASE, NOW = ARGV[2], ARGV[3]
local op, id = ARGV[5], ARGV[6]
local nk = BASE .. 'need:' .. id
local st = redis.call('HGET', nk, 'status')
if not st then
  return 'unknown_need'
end
local final = {completed = true, cancelled = true, unstaffed = true, rejected = true, merged = true}
if op == 'keep' or op == 'flag' then
  if final[st] then
    return 'closed'
  end
  if op == 'keep' then
    redis.call('HDEL', nk, 'dup')
  else
    redis.call('HSET', nk, 'dup', ARGV[7])
  end
  return 'ok'
end
if st ~= 'pending_review' then
  return 'not_pending'
end
if op == 'reject' then
  redis.call('HSET', nk, 'status', 'rejected', 'review_reason', ARGV[7], 'closed_at', NOW)
  return 'ok'
end
if redis.call('HGET', nk, 'data') ~= ARGV[7] then
  return 'changed'
end
redis.call('HSET', nk, 'data', ARGV[8])
if op == 'approve' then
  redis.call('HSET', nk, 'status', 'open')
  redis.call('ZADD', BASE .. 'needs:open', ARGV[9], id)
elseif op == 'place' then
  local created = redis.call('HGET', nk, 'created')
  if ARGV[9] ~= '' then
    redis.call('ZADD', BASE .. 'needs:community:' .. ARGV[9], created, id)
  end
  redis.call('ZADD', BASE .. 'needs:cell:' .. ARGV[10], created, id)
end
return 'ok'
