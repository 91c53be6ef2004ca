-- need_create: store a new need and open it for matching.
-- ARGV[5] id, [6] data JSON, [7] total slots, [8] open-set score,
-- [9] deadline ms or '', [10] organisation or '', [11] community or '',
-- [12] status ('open', or 'pending_review': kept out of matching),
-- [13] the need's cell of the duplicates index or '' (review.go),
-- [14] phone keys of its contacts, comma-separated, or '',
-- [15] its duplicate flag "ids|reason" or '',
-- then per team entry: count, role.
-- Returns the need's short number (from the region's counter) when
-- created, 0 when the id exists.
local id = ARGV[5]
local nk = needKey(id)
if redis.call('EXISTS', nk) == 1 then
  return 0
end
-- The short number people name the need by; INCR in the same step keeps
-- numbers distinct however many creates run at once.
local number = redis.call('INCR', BASE .. 'needs:number')
redis.call('HSET', nk, 'data', ARGV[6], 'status', ARGV[12], 'slots', ARGV[7], 'filled', 0,
  'deadline', ARGV[9], 'created', tostring(NOW), 'number', number)
if ARGV[15] ~= '' then
  redis.call('HSET', nk, 'dup', ARGV[15])
end
local idx = 0
for i = 16, #ARGV, 2 do
  redis.call('HSET', nk, 'c' .. idx, ARGV[i], 'r' .. idx, ARGV[i + 1], 'f' .. idx, 0, 'p' .. idx, 0)
  idx = idx + 1
end
if ARGV[12] == 'open' then
  redis.call('ZADD', OPEN, ARGV[8], id)
end
-- The duplicates indexes (review.go): by cell and by reporter's phone.
if ARGV[13] ~= '' then
  redis.call('ZADD', BASE .. 'needs:cell:' .. ARGV[13], NOW, id)
end
for phone in string.gmatch(ARGV[14], '[^,]+') do
  redis.call('ZADD', BASE .. 'needs:phone:' .. phone, NOW, id)
end
-- The indexes a coordinator's list reads (needindex.go), in the same step.
if ARGV[10] ~= '' then
  redis.call('ZADD', BASE .. 'needs:org:' .. ARGV[10], NOW, id)
end
if ARGV[11] ~= '' then
  redis.call('ZADD', BASE .. 'needs:community:' .. ARGV[11], NOW, id)
end
return number
