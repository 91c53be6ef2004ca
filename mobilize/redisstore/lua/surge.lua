-- Replaces the cells in surge with the last tick's: ARGV[2] key base,
-- then from ARGV[5] pairs of res-7 cell and "places|urgency". A cell
-- that left the surge forgets its count of nudges sent.
local base = ARGV[2]
local surge, sent = base .. 'surge', base .. 'surge:sent'
redis.call('DEL', surge)
local now = {}
for i = 5, #ARGV, 2 do
  redis.call('HSET', surge, ARGV[i], ARGV[i + 1])
  now[ARGV[i]] = true
end
for _, cell in ipairs(redis.call('HKEYS', sent)) do
  if not now[cell] then redis.call('HDEL', sent, cell) end
end
return 1
