-- sweep: take responders not heard from since the cutoff out of the index.
-- ARGV[2] cutoff ms, ARGV[3..] ids to check. Returns how many were removed.
local cutoff = tonumber(ARGV[2])
local n = 0
for i = 3, #ARGV do
  local id = ARGV[i]
  local raw = redis.call('HGET', POS, id)
  if raw then
    local r = splitPos(raw)
    if r[IN] == '1' and not fresh(r, cutoff) then
      unindex(id, r)
      redis.call('HSET', POS, id, join(r))
      n = n + 1
    end
  end
end
return n
