-- remove: forget a responder entirely. ARGV[2] id. Returns 1 if it existed.
local id = ARGV[2]
local raw = redis.call('HGET', POS, id)
if not raw then
  return 0
end
unindex(id, splitPos(raw))
redis.call('HDEL', POS, id)
return 1
