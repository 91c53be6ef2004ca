-- Helpers of the mobilisation scripts, appended after index_lib.lua.
-- ARGV[1] cell key prefix, ARGV[2] region base ("ld:{city}:"),
-- ARGV[3] now ms, ARGV[4] stale cutoff ms; script arguments from ARGV[5].
-- KEYS[1..3] as index_lib; every other key is built from the region base
-- and so lies in the same Redis Cluster slot.
local BASE, NOW, CUTOFF = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local LOAD = BASE .. 'load'          -- responder -> "pending offer|accepted|max|duty"
local OFFERS = BASE .. 'offers'      -- offer id -> need id
local OFFERS_EXP = BASE .. 'offers:exp'
local OPEN = BASE .. 'needs:open'    -- zset of active needs
local FATIGUE = BASE .. 'fatigue'    -- responder -> "recent declines|last decline ms|day|seconds served that day"
local DAY_MS = 86400000

local function needKey(id) return BASE .. 'need:' .. id end
local function asgKey(id) return BASE .. 'need:' .. id .. ':asg' end
local function askedKey(id) return BASE .. 'need:' .. id .. ':asked' end
-- jobsKey: the needs a responder accepted and has not finished, so that
-- the responder can read their exact places again (GET .../jobs).
local function jobsKey(rid) return BASE .. 'jobs:' .. rid end

-- parseLoad and loadString read and write a load record; offer.lua
-- reads and writes a batch's records in one call each.
local function parseLoad(raw)
  if not raw then return nil end
  local pend, acc, mx, duty = string.match(raw, '^([^|]*)|([^|]*)|([^|]*)|(.*)$')
  return {pend = pend, acc = tonumber(acc), max = tonumber(mx), duty = duty}
end

local function loadString(l)
  return l.pend .. '|' .. l.acc .. '|' .. l.max .. '|' .. l.duty
end

local function getLoad(rid)
  return parseLoad(redis.call('HGET', LOAD, rid))
end

local function putLoad(rid, l)
  redis.call('HSET', LOAD, rid, loadString(l))
end

-- derive is a responder's status from its load: only someone on duty with
-- no pending offer and room for another assignment is a candidate.
local function derive(l)
  if l.pend ~= '' then return 'offered' end
  if l.duty ~= '1' then return 'off_duty' end
  if l.acc >= l.max then return 'busy' end
  return 'available'
end

-- applyStatus writes the derived status into the index record and moves
-- the responder in or out of the candidate sets. r is the parsed index
-- record when the caller has it already.
local function applyStatus(rid, l, r)
  if not r then
    local raw = redis.call('HGET', POS, rid)
    if not raw then return end
    r = splitPos(raw)
  end
  r[STATUS] = derive(l)
  if r[STATUS] == 'available' and fresh(r, CUTOFF) then
    index(rid, r)
  else
    unindex(rid, r)
  end
  redis.call('HSET', POS, rid, join(r))
end

-- Assignment record: "responder|team index|role|state|offered ms|expires ms|answered ms|distance m|reason"
local A_RID, A_IDX, A_ROLE, A_STATE, A_OFFERED, A_EXPIRES, A_ANSWERED, A_DIST, A_REASON = 1, 2, 3, 4, 5, 6, 7, 8, 9

local function joinAsg(a)
  return table.concat(a, '|', 1, 9)
end

-- endOffer closes a pending offer in the given state and releases the
-- person. It returns the responder id.
local function endOffer(needID, offerID, a, state)
  a[A_STATE] = state
  a[A_ANSWERED] = tostring(NOW)
  redis.call('HSET', asgKey(needID), offerID, joinAsg(a))
  redis.call('HDEL', OFFERS, offerID)
  redis.call('ZREM', OFFERS_EXP, offerID)
  redis.call('HINCRBY', needKey(needID), 'p' .. a[A_IDX], -1)
  local l = getLoad(a[A_RID])
  if l and l.pend == offerID then
    l.pend = ''
    putLoad(a[A_RID], l)
    applyStatus(a[A_RID], l)
  end
  return a[A_RID]
end

-- releaseAccepted ends an accepted assignment (withdrawn or completed).
local function releaseAccepted(needID, offerID, a, state)
  a[A_STATE] = state
  a[A_ANSWERED] = tostring(NOW)
  redis.call('HSET', asgKey(needID), offerID, joinAsg(a))
  redis.call('SREM', jobsKey(a[A_RID]), needID)
  local l = getLoad(a[A_RID])
  if l then
    l.acc = math.max(0, l.acc - 1)
    putLoad(a[A_RID], l)
    applyStatus(a[A_RID], l)
  end
  return a[A_RID]
end

-- closeNeed moves a need to a final status: every pending offer and every
-- accepted assignment is withdrawn. It returns a flat list of
-- offer id, responder id, previous state for the events.
local function closeNeed(needID, status)
  local nk = needKey(needID)
  redis.call('HSET', nk, 'status', status, 'closed_at', tostring(NOW))
  redis.call('ZREM', OPEN, needID)
  endSupplies(needID, 'released') -- the items go back on the shelf
  local out = {}
  local all = redis.call('HGETALL', asgKey(needID))
  for i = 1, #all, 2 do
    local a = split(all[i + 1])
    if a[A_STATE] == 'offered' then
      endOffer(needID, all[i], a, 'withdrawn')
      table.insert(out, all[i]); table.insert(out, a[A_RID]); table.insert(out, 'offered')
    elseif a[A_STATE] == 'accepted' then
      releaseAccepted(needID, all[i], a, 'withdrawn')
      table.insert(out, all[i]); table.insert(out, a[A_RID]); table.insert(out, 'accepted')
    end
  end
  return out
end

-- noteDecline counts a decline or a lapsed offer; the count restarts after
-- a day without one, so an old refusal is forgiven.
local function noteDecline(rid)
  local raw = redis.call('HGET', FATIGUE, rid)
  local f = raw and split(raw) or {'0', '0', '0', '0'}
  local n = tonumber(f[1])
  if NOW - tonumber(f[2]) > DAY_MS then n = 0 end
  redis.call('HSET', FATIGUE, rid, (n + 1) .. '|' .. NOW .. '|' .. f[3] .. '|' .. f[4])
  noteReliability(rid, 0, 1, 0, 0)
end

-- creditService adds served time to today's total (UTC days).
local function creditService(rid, seconds)
  local raw = redis.call('HGET', FATIGUE, rid)
  local f = raw and split(raw) or {'0', '0', '0', '0'}
  local day = math.floor(NOW / DAY_MS)
  local served = 0
  if tonumber(f[3]) == day then served = tonumber(f[4]) end
  redis.call('HSET', FATIGUE, rid, f[1] .. '|' .. f[2] .. '|' .. day .. '|' .. (served + seconds))
  noteServed(rid, seconds) -- the matcher's fatigue window is the last 24 h
end
