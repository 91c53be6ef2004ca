-- set_status: move a responder in or out of the candidate sets.
-- ARGV[2] id, [3] new status, [4] stale cutoff ms, [5] expected current status or ''
-- Returns 1 when applied, 0 when the current status was not the expected one.
local id = ARGV[2]
local raw = redis.call('HGET', POS, id)
if not raw then
  return redis.error_reply('NOTFOUND unknown responder')
end
local r = splitPos(raw)
if ARGV[5] ~= '' and r[STATUS] ~= ARGV[5] then
  return 0
end
r[STATUS] = ARGV[3]
if r[STATUS] == 'available' and fresh(r, tonumber(ARGV[4])) then
  index(id, r)
else
  unindex(id, r)
end
redis.call('HSET', POS, id, join(r))
return 1
