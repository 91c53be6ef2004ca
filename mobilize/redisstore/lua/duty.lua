-- duty: a responder goes on ('1') or off ('0') duty. ARGV[5] id, [6] duty.
-- Returns the derived status.
local id = ARGV[5]
local l = getLoad(id)
if not l then
  return redis.error_reply('NOTFOUND unknown responder')
end
l.duty = ARGV[6]
putLoad(id, l)
applyStatus(id, l)
return derive(l)
