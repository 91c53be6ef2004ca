-- deactivate: retire a responder. ARGV[5] id, [6] the deactivation record
-- JSON. Returns ok, already, unknown, offered or assigned; refusals change
-- nothing. The responder goes off duty and their position is forgotten,
-- so that they are neither a candidate nor on the map; their profile,
-- hours, reliability and records stay.
local id = ARGV[5]
local DEACT = BASE .. 'responders:deactivated'
if redis.call('HEXISTS', BASE .. 'responders', id) == 0 then return 'unknown' end
if redis.call('HEXISTS', DEACT, id) == 1 then return 'already' end
local l = getLoad(id)
if l then
  if l.pend ~= '' then return 'offered' end
  if l.acc > 0 then return 'assigned' end
  l.duty = '0'
  putLoad(id, l)
end
local raw = redis.call('HGET', POS, id)
if raw then
  local r = splitPos(raw)
  unindex(id, r)
  -- As a new responder's record: no position, off duty.
  redis.call('HSET', POS, id, join({r[ROLE], 'off_duty', '', '', '', '', '', '', '0', r[SKILLS]}))
end
redis.call('HSET', DEACT, id, ARGV[6])
return 'ok'
