-- register: create a responder or change its role and skills.
-- ARGV[2] id, [3] role, [4] skills, [5] status for a new responder, [6] stale cutoff ms
-- Returns 1 when created, 0 when updated.
local id = ARGV[2]
local raw = redis.call('HGET', POS, id)
local created = 0
local r
if raw then
  r = splitPos(raw)
  unindex(id, r)
  r[ROLE], r[SKILLS] = ARGV[3], ARGV[4]
else
  r = {ARGV[3], ARGV[5], '', '', '', '', '', '', '0', ARGV[4]}
  created = 1
end
if r[STATUS] == 'available' and fresh(r, tonumber(ARGV[6])) then
  index(id, r)
end
redis.call('HSET', POS, id, join(r))
return created
