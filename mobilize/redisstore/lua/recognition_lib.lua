-- Recognition helpers, joined between index_lib.lua and mobilize_lib.lua:
-- reliability records and the hours ledger.
-- {base}reliability       HASH  'r:<responder>' or 'o:<org>' -> "completed|lapsed|rating sum|ratings"
-- {base}ledger:<responder> STREAM one entry per completed assignment (kind credit) and per
--                                correction (kind edit); never rewritten
local REC_BASE = ARGV[2]
local RELIABILITY = REC_BASE .. 'reliability'

local function bumpReliability(field, completed, lapsed, ratingSum, ratings)
  local raw = redis.call('HGET', RELIABILITY, field)
  local f = raw and split(raw) or {'0', '0', '0', '0'}
  redis.call('HSET', RELIABILITY, field, (tonumber(f[1]) + completed) .. '|' .. (tonumber(f[2]) + lapsed) .. '|' ..
    (tonumber(f[3]) + ratingSum) .. '|' .. (tonumber(f[4]) + ratings))
end

-- responderOrg is the organisation in a responder's profile, or ''.
local function responderOrg(rid)
  local raw = redis.call('HGET', REC_BASE .. 'responders', rid)
  if not raw then return '' end
  local ok, p = pcall(cjson.decode, raw)
  if ok and type(p) == 'table' and type(p.org_id) == 'string' then return p.org_id end
  return ''
end

-- noteReliability counts a completion, a lapse (declined or expired
-- offer) or a rating for the responder and for its organisation.
local function noteReliability(rid, completed, lapsed, ratingSum, ratings)
  bumpReliability('r:' .. rid, completed, lapsed, ratingSum, ratings)
  local org = responderOrg(rid)
  if org ~= '' then bumpReliability('o:' .. org, completed, lapsed, ratingSum, ratings) end
end

-- creditLedger appends a completed assignment to the responder's ledger:
-- the facts only (times, role, category, and the rule that counts the
-- hours: 'arrival' when the member reported arriving, with arrivedMs and
-- leftMs ('' when they did not leave first), else 'acceptance'); hours
-- are computed from them with the configured cap when the ledger is read.
local function creditLedger(needID, offerID, rid, role, acceptedMs, completedMs, rule, arrivedMs, leftMs)
  local cat, org = '', ''
  local ok, d = pcall(cjson.decode, redis.call('HGET', REC_BASE .. 'need:' .. needID, 'data') or '')
  if ok and type(d) == 'table' then
    if type(d.category) == 'string' then cat = d.category end
    if type(d.org_id) == 'string' then org = d.org_id end
  end
  redis.call('XADD', REC_BASE .. 'ledger:' .. rid, '*', 'kind', 'credit', 'need', needID, 'offer', offerID,
    'role', role, 'category', cat, 'org', org, 'accepted', acceptedMs, 'completed', tostring(completedMs),
    'rule', rule, 'arrived', arrivedMs, 'left', leftMs)
end
