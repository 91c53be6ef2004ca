-- enroll: register a responder (or update role, skills, max and profile).
-- ARGV[5] id, [6] role, [7] skills, [8] max concurrent, [9] duty for a new
-- responder ('1' on duty), [10] profile JSON, [11] 'update' to change only
-- an existing responder. Returns 1 when created, -1 when [11] refused.
local id = ARGV[5]
local raw = redis.call('HGET', POS, id)
if not raw and ARGV[11] == 'update' then return -1 end
local r
if raw then
  r = splitPos(raw)
  unindex(id, r)
  r[ROLE], r[SKILLS] = ARGV[6], ARGV[7]
else
  r = {ARGV[6], 'off_duty', '', '', '', '', '', '', '0', ARGV[7]}
end
redis.call('HSET', POS, id, join(r))
local l = getLoad(id) or {pend = '', acc = 0, max = 1, duty = ARGV[9]}
l.max = tonumber(ARGV[8])
putLoad(id, l)
-- Keep the organisation's member set (escalation scopes read it).
local old = redis.call('HGET', BASE .. 'responders', id)
local oldOrg = old and cjson.decode(old)['org_id'] or nil
local newOrg = cjson.decode(ARGV[10])['org_id']
if type(oldOrg) == 'string' and oldOrg ~= '' and oldOrg ~= newOrg then
  redis.call('SREM', BASE .. 'org:' .. oldOrg .. ':members', id)
end
if type(newOrg) == 'string' and newOrg ~= '' then
  redis.call('SADD', BASE .. 'org:' .. newOrg .. ':members', id)
end
redis.call('HSET', BASE .. 'responders', id, ARGV[10])
redis.call('ZADD', BASE .. 'roster', 0, id) -- the roster's id order (rosterlist.go)
applyStatus(id, l)
if raw then return 0 end
return 1
