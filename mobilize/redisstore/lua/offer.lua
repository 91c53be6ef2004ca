-- offer: claim available responders for slots of needs, atomically: each
-- person goes from available to offered (out of the candidate sets) with
-- the offer's expiry. Many claims travel in one call, so that a tick's
-- offers cost Redis one script start per batch.
-- ARGV[5..] groups of 8: need, team index, responder, offer id, expires ms,
-- distance m, reason, wave size (offers each open place of the entry may
-- have out at once; 1 without waves); then the fencing epoch (below).
-- Returns, per claim, 'ok' or why not.
--
-- The claims of a batch share their Redis calls: the responders' load,
-- index and fair-load records are read with one HMGET each for the whole
-- batch, a need's counters and asked set once per need, and every write
-- is gathered and made once per key after the last claim. The script is
-- atomic, so the claims still apply one after the other: each reads the
-- batch's copy of the records, which the claims before it updated.

-- Fencing (lease.lua): the LAST argument is the epoch of the region's
-- matcher lease the claims were planned under, taken off ARGV here so that
-- the claims' groups keep their places. It must be the region's epoch now;
-- '0' (a matcher without a lease) passes only while the region has never
-- had a lease; '-' (an operator's claim, no matcher's) always passes. A
-- stale epoch refuses every claim of the call: its process lost the lease.
local FENCE = table.remove(ARGV)
if FENCE ~= '-' and (redis.call('HGET', BASE .. 'matcher:epoch', 'epoch') or '0') ~= FENCE then
  local fenced = {}
  for _ = 5, #ARGV, 8 do fenced[#fenced + 1] = 'fenced' end
  return fenced
end

-- Redis' Lua unpacks at most a few thousand values at once.
local CHUNK = 1000

-- callChunked runs cmd key with the flat list args, in chunks of whole
-- units of unit values (a field and its value are a unit of 2).
local function callChunked(cmd, key, args, unit)
  local step = CHUNK - CHUNK % unit
  for lo = 1, #args, step do
    redis.call(cmd, key, unpack(args, lo, math.min(#args, lo + step - 1)))
  end
end

-- hmgetAll reads fields of the hash key into a table field -> value
-- (false when absent).
local function hmgetAll(key, fields)
  local out = {}
  for lo = 1, #fields, CHUNK do
    local hi = math.min(#fields, lo + CHUNK - 1)
    local vals = redis.call('HMGET', key, unpack(fields, lo, hi))
    for i = lo, hi do out[fields[i]] = vals[i - lo + 1] end
  end
  return out
end

-- What each need's first claim reads: the status and the counters of the
-- team entries the batch claims for, and whether its responders were
-- asked before.
local needFields, needRids, seenField, seenNeedRid = {}, {}, {}, {}
local rids, seenRid = {}, {}
for i = 5, #ARGV, 8 do
  local need, idx, rid = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if not needFields[need] then
    needFields[need], needRids[need], seenField[need], seenNeedRid[need] = {'status'}, {}, {}, {}
  end
  if not seenField[need][idx] then
    seenField[need][idx] = true
    local f = needFields[need]
    f[#f + 1], f[#f + 2], f[#f + 3], f[#f + 4] = 'c' .. idx, 'f' .. idx, 'p' .. idx, 'r' .. idx
  end
  if not seenNeedRid[need][rid] then
    seenNeedRid[need][rid] = true
    table.insert(needRids[need], rid)
  end
  if not seenRid[rid] then
    seenRid[rid] = true
    rids[#rids + 1] = rid
  end
end

-- The batch's copy of the responders' records (raw strings, false when
-- absent). A damaged hash fails every claim, as it would one by one.
local loads, poses, fairs
local readOK, readErr = pcall(function()
  loads, poses, fairs = hmgetAll(LOAD, rids), hmgetAll(POS, rids), hmgetAll(FAIRLOAD, rids)
end)

-- needs: need id -> {h = its fields read, asked = rid -> true, dirty =
-- team indexes whose pending count changed, newAsked, asg = offer id and
-- record pairs}; needOrder keeps the writes in the order of the claims.
local needs, needOrder = {}, {}

local function needState(need)
  local s = needs[need]
  if s then return s end
  s = {h = hmgetAll(needKey(need), needFields[need]), dirty = {}, dirtyOrder = {}, newAsked = {}, asg = {}}
  -- A need with one claim in the batch asks its asked set by adding to
  -- it (one call, taken back if the claim fails); with more, one
  -- SMISMEMBER reads them all and one SADD adds the claimed.
  if #needRids[need] == 1 then
    s.probe = true
  else
    s.asked = {}
    local m = redis.call('SMISMEMBER', askedKey(need), unpack(needRids[need]))
    for i, rid in ipairs(needRids[need]) do
      if m[i] == 1 then s.asked[rid] = true end
    end
  end
  needs[need] = s
  needOrder[#needOrder + 1] = need
  return s
end

-- The writes after the last claim, besides the needs': responders whose
-- records changed, offers, expiries, cell hash removals, supply counts.
local changed, changedSeen = {}, {}
local offers, expiries = {}, {}
local cellDel, cellOrder = {}, {}
local d7, d7Order, d5, d5Order = {}, {}, {}, {}

local function addDelta(d, order, field, delta)
  if not d[field] then
    d[field] = 0
    order[#order + 1] = field
  end
  d[field] = d[field] + delta
end

local function claim(need, idx, rid, oid, expires, dist, reason, wave)
  if not readOK then error(readErr) end
  local s = needState(need)
  local h = s.h
  if h.status ~= 'open' and h.status ~= 'staffing' then
    return 'need_closed'
  end
  if not h['c' .. idx] then
    return 'no_such_slot'
  end
  -- The room is every open place times its wave: with a wave of 1 this
  -- is accepted + pending < count. Accepts are bounded apart (answer.lua).
  local open = tonumber(h['c' .. idx]) - tonumber(h['f' .. idx])
  local pending = tonumber(h['p' .. idx])
  if open <= 0 or pending >= open * math.max(1, tonumber(wave) or 1) then
    return 'slot_full'
  end
  if not s.probe and s.asked[rid] then
    return 'already_asked'
  end
  -- The responder's checks and everything that can fail are done before
  -- any write, so a failed claim changes nothing.
  local why
  local l = parseLoad(loads[rid])
  local raw = poses[rid]
  local r = raw and splitPos(raw)
  if not l or not raw then
    why = 'unknown_responder'
  elseif r[ROLE] ~= h['r' .. idx] then
    why = 'wrong_role'
  elseif derive(l) ~= 'available' then
    why = 'busy'
  elseif not fresh(r, CUTOFF) then
    why = 'stale'
  end
  if why and not s.probe then
    return why
  end
  local asg, fair, load, pos, wasIn
  if not why then
    asg = joinAsg({rid, idx, h['r' .. idx], 'offered', tostring(NOW), expires, '', dist, reason})
    fair = withOfferSent(fairs[rid])
    l.pend = oid
    load = loadString(l)
    r[STATUS] = derive(l) -- offered: out of the candidate sets
    wasIn = r[IN] == '1'
    r[IN] = '0'
    pos = join(r)
  end
  if s.probe then
    if redis.call('SADD', askedKey(need), rid) == 0 then
      return 'already_asked'
    end
    if why then
      redis.call('SREM', askedKey(need), rid)
      return why
    end
  end
  -- Claimed: the batch's copy changes, written after the last claim.
  h['p' .. idx] = tostring(pending + 1)
  if not s.dirty[idx] then
    s.dirty[idx] = true
    table.insert(s.dirtyOrder, idx)
  end
  s.claimed = true
  if not s.probe then
    s.asked[rid] = true
    table.insert(s.newAsked, rid)
  end
  table.insert(s.asg, oid)
  table.insert(s.asg, asg)
  loads[rid], poses[rid], fairs[rid] = load, pos, fair
  if not changedSeen[rid] then
    changedSeen[rid] = true
    changed[#changed + 1] = rid
  end
  offers[#offers + 1], offers[#offers + 2] = oid, need
  expiries[#expiries + 1], expiries[#expiries + 2] = expires, oid
  if wasIn then -- unindex (index_lib), its writes gathered
    local ck = CELLS .. r[CELL] .. ':' .. r[ROLE]
    if not cellDel[ck] then
      cellDel[ck] = {}
      cellOrder[#cellOrder + 1] = ck
    end
    table.insert(cellDel[ck], rid)
    addDelta(d7, d7Order, r[P7], -1)
    addDelta(d5, d5Order, r[P5], -1)
  end
  return 'ok'
end

-- applyCounts adds deltas to a supply count hash as index_lib's count
-- does: a count that reaches 0 leaves the hash.
local function applyCounts(hash, d, order)
  if #order <= 2 then -- fewer calls one by one
    for _, f in ipairs(order) do count(hash, f, d[f]) end
    return
  end
  local now = hmgetAll(hash, order)
  local set, del = {}, {}
  for _, f in ipairs(order) do
    local v = (tonumber(now[f]) or 0) + d[f]
    if v <= 0 then
      del[#del + 1] = f
    else
      set[#set + 1], set[#set + 2] = f, tostring(v)
    end
  end
  if #set > 0 then callChunked('HSET', hash, set, 2) end
  if #del > 0 then callChunked('HDEL', hash, del, 1) end
end

local function flush()
  for _, need in ipairs(needOrder) do
    local s = needs[need]
    if s.claimed then
      local counts = {}
      for _, idx in ipairs(s.dirtyOrder) do
        counts[#counts + 1], counts[#counts + 2] = 'p' .. idx, s.h['p' .. idx]
      end
      redis.call('HSET', needKey(need), unpack(counts))
      if #s.newAsked > 0 then callChunked('SADD', askedKey(need), s.newAsked, 1) end
      callChunked('HSET', asgKey(need), s.asg, 2)
    end
  end
  for _, ck in ipairs(cellOrder) do
    callChunked('HDEL', ck, cellDel[ck], 1)
  end
  applyCounts(S7, d7, d7Order)
  applyCounts(S5, d5, d5Order)
  if #changed > 0 then
    local l, p, f = {}, {}, {}
    for _, rid in ipairs(changed) do
      l[#l + 1], l[#l + 2] = rid, loads[rid]
      p[#p + 1], p[#p + 2] = rid, poses[rid]
      f[#f + 1], f[#f + 2] = rid, fairs[rid]
    end
    callChunked('HSET', LOAD, l, 2)
    callChunked('HSET', POS, p, 2)
    callChunked('HSET', FAIRLOAD, f, 2)
    callChunked('HSET', OFFERS, offers, 2)
    callChunked('ZADD', OFFERS_EXP, expiries, 2)
  end
end

-- A claim that fails (damaged records) is reported as such and does not
-- stop the claims after it, whose callers must learn their outcome.
local out = {}
for i = 5, #ARGV, 8 do
  local ok, res = pcall(claim, ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5], ARGV[i + 6], ARGV[i + 7])
  if not ok then
    res = 'script_error: ' .. (type(res) == 'table' and tostring(res.err) or tostring(res))
  end
  out[#out + 1] = res
end
flush()
return out
