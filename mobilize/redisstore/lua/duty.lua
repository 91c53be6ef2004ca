-- duty: a responder goes on ('1') or off ('0') duty. ARGV[5] id, [6] duty,
-- [7] 'shift' when a shift's end asks: then someone holding an offer or an
-- assignment stays on duty and 'kept' is returned. Returns the derived
-- status.
local id = ARGV[5]
local l = getLoad(id)
if not l then
  return redis.error_reply('NOTFOUND unknown responder')
end
if ARGV[6] == '1' and redis.call('HEXISTS', BASE .. 'responders:deactivated', id) == 1 then
  return redis.error_reply('DEACTIVATED a deactivated responder cannot go on duty')
end
if ARGV[7] == 'shift' and ARGV[6] == '0' and (l.pend ~= '' or l.acc > 0) then
  return 'kept'
end
l.duty = ARGV[6]
putLoad(id, l)
applyStatus(id, l)
return derive(l)
