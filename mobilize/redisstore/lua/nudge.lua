-- A surge nudge to one responder: at most one per person per interval
-- (a marker key expiring with it) and within the alert budget of the
-- hour, charged to that budget as an offer is, and counted for the cell
-- in surge, in one step so that two processes' ticks cannot both send it.
-- ARGV[2] key base, [3] now (ms); [5] responder, [6] the res-7 cell,
-- [7] the interval (ms), [8] the budget (0: none).
-- Returns 'sent', 'recent' (nudged within the interval) or 'over'.
local rid, cell, interval, budget = ARGV[5], ARGV[6], tonumber(ARGV[7]), tonumber(ARGV[8])
local marker = FL_BASE .. 'nudge:' .. rid
if redis.call('EXISTS', marker) == 1 then return 'recent' end
if overBudget(rid, budget) then return 'over' end
redis.call('SET', marker, cell, 'PX', interval)
noteOfferSent(rid)
redis.call('HINCRBY', FL_BASE .. 'surge:sent', cell, 1)
return 'sent'
