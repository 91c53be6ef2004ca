-- message_post: append a message to a need's team thread, unless the need
-- is over or the sender has used up this minute's budget. The budget is
-- counted per sender per clock minute, in the same step as the append.
-- {base}need:<id>:thread  STREAM  from, role, text, at ms (trimmed to ARGV[11])
-- {base}msgrate:<sender>:<minute>  counter, gone after two minutes
-- ARGV[5] need, [6] sender key ('responder:<id>' or 'staff:<user>'),
-- [7] sender kind, [8] sender id, [9] role, [10] text, [11] thread length,
-- [12] messages per minute. Returns {outcome, id, at ms}.
local base, now = ARGV[2], tonumber(ARGV[3])
local need = ARGV[5]
local st = redis.call('HGET', base .. 'need:' .. need, 'status')
if not st then
  return {'unknown_need'}
end
if st == 'completed' or st == 'cancelled' or st == 'unstaffed' then
  return {'closed'}
end
local rate = base .. 'msgrate:' .. ARGV[6] .. ':' .. math.floor(now / 60000)
if tonumber(redis.call('GET', rate) or '0') >= tonumber(ARGV[12]) then
  return {'rate_limited'}
end
redis.call('INCR', rate)
redis.call('PEXPIRE', rate, 120000)
local id = redis.call('XADD', base .. 'need:' .. need .. ':thread', 'MAXLEN', '~', ARGV[11], '*',
  'kind', ARGV[7], 'from', ARGV[8], 'role', ARGV[9], 'text', ARGV[10], 'at', tostring(now))
return {'ok', id, tostring(now)}
