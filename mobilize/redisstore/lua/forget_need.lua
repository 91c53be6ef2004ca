-- forget_need: replace a closed need's data with its stripped copy, only
-- while the data is still what the caller read (nothing changed since),
-- and drop the comment of its feedback. KEYS[1] need hash, KEYS[2] its
-- feedback hash; ARGV[1] the data read, [2] the stripped data, [3] now ms.
-- Returns 1 when it wrote.
if redis.call('HGET', KEYS[1], 'data') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'data', ARGV[2], 'forgotten', ARGV[3])
if redis.call('HEXISTS', KEYS[2], 'comment') == 1 then
  redis.call('HSET', KEYS[2], 'comment', '')
end
return 1
