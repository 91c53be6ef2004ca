-- message_rate: count one message of a sender against their budget per
-- clock minute (as message_post.lua does for thread messages), unless it
-- is spent. ARGV[5] sender key, [6] messages per minute. Returns 1 when
-- counted, 0 when the budget is spent.
local rate = ARGV[2] .. 'msgrate:' .. ARGV[5] .. ':' .. math.floor(tonumber(ARGV[3]) / 60000)
if tonumber(redis.call('GET', rate) or '0') >= tonumber(ARGV[6]) then
  return 0
end
redis.call('INCR', rate)
redis.call('PEXPIRE', rate, 120000)
return 1
