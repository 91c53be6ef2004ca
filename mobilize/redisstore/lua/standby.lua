-- A standby (a CAP pre-alert) to one responder: at most once per alert
-- and within the alert budget of the hour, charged to that budget as an
-- offer is, in one step so that two processes cannot both send it.
-- ARGV[2] key base, [3] now (ms); [5] alert, [6] responder, [7] how long
-- the alert is remembered (ms), [8] the budget (0: none).
-- Returns 'sent', 'told' (told already) or 'over' (budget spent).
local alert, rid, ttl, budget = ARGV[5], ARGV[6], tonumber(ARGV[7]), tonumber(ARGV[8])
local marker = FL_BASE .. 'cap:prealert:' .. alert .. ':' .. rid
if redis.call('EXISTS', marker) == 1 then return 'told' end
if overBudget(rid, budget) then return 'over' end
redis.call('SET', marker, '1', 'PX', ttl)
noteOfferSent(rid)
return 'sent'
