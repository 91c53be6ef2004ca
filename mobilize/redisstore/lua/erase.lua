-- erase: remove a responder's personal data; keep what the figures are
-- made of (hours ledger, reliability, membership, offers' outcomes) under
-- a pseudonym. ARGV[5] id, [6] pseudonym, [7] the pseudonym's profile
-- JSON (role, organisation: no name, no phone), [8] name and [9] phone
-- (replaced by the pseudonym in the feedback comments of their needs),
-- [10..] needs whose records may name the id. Returns ok, unknown,
-- already, offered or assigned; refusals change nothing.
local BASE, id, ps = ARGV[2], ARGV[5], ARGV[6]
local PROFILES = BASE .. 'responders'
local prof = redis.call('HGET', PROFILES, id)
if not prof then
  if redis.call('HEXISTS', PROFILES, ps) == 1 then return 'already' end
  return 'unknown'
end
local l = redis.call('HGET', BASE .. 'load', id)
if l then
  local pend, acc = string.match(l, '^([^|]*)|([^|]*)|')
  if pend ~= '' then return 'offered' end
  if (tonumber(acc) or 0) > 0 then return 'assigned' end
end
-- Position and index: gone.
local raw = redis.call('HGET', POS, id)
if raw then
  unindex(id, splitPos(raw))
  redis.call('HDEL', POS, id)
end
redis.call('HDEL', BASE .. 'load', id)
redis.call('HDEL', BASE .. 'fatigue', id)
redis.call('HDEL', BASE .. 'fairload', id)
-- Membership counts stay right under the pseudonym.
local org = cjson.decode(prof)['org_id']
if type(org) == 'string' and org ~= '' then
  local members = BASE .. 'org:' .. org .. ':members'
  if redis.call('SREM', members, id) == 1 then redis.call('SADD', members, ps) end
end
local rel = redis.call('HGET', BASE .. 'reliability', 'r:' .. id)
if rel then
  redis.call('HSET', BASE .. 'reliability', 'r:' .. ps, rel)
  redis.call('HDEL', BASE .. 'reliability', 'r:' .. id)
end
local ledger = BASE .. 'ledger:' .. id
if redis.call('EXISTS', ledger) == 1 then
  redis.call('RENAME', ledger, BASE .. 'ledger:' .. ps)
end
-- replacePlain replaces every plain (not pattern) occurrence of old in s.
local function replacePlain(s, old, new)
  if old == '' then return s end
  local out, from = {}, 1
  while true do
    local i, j = string.find(s, old, from, true)
    if not i then break end
    out[#out + 1] = string.sub(s, from, i - 1) .. new
    from = j + 1
  end
  out[#out + 1] = string.sub(s, from)
  return table.concat(out)
end
for i = 10, #ARGV do
  local nk = BASE .. 'need:' .. ARGV[i]
  if redis.call('SREM', nk .. ':asked', id) == 1 then redis.call('SADD', nk .. ':asked', ps) end
  local asg = redis.call('HGETALL', nk .. ':asg')
  for j = 1, #asg, 2 do
    local v = asg[j + 1]
    if string.sub(v, 1, #id + 1) == id .. '|' then
      redis.call('HSET', nk .. ':asg', asg[j], ps .. string.sub(v, #id + 1))
    end
  end
  for _, f in ipairs({'first', 'lead_sw', 'lead'}) do
    if redis.call('HGET', nk, f) == id then redis.call('HSET', nk, f, ps) end
  end
  local fk = BASE .. 'feedback:' .. ARGV[i]
  local comment = redis.call('HGET', fk, 'comment')
  if comment then
    local scrubbed = replacePlain(replacePlain(comment, ARGV[8], ps), ARGV[9], ps)
    if scrubbed ~= comment then redis.call('HSET', fk, 'comment', scrubbed) end
  end
end
redis.call('HSET', PROFILES, ps, ARGV[7])
redis.call('HDEL', PROFILES, id)
redis.call('ZREM', BASE .. 'roster', id) -- the roster lists no pseudonym
redis.call('HDEL', BASE .. 'responders:deactivated', id)
redis.call('HDEL', BASE .. 'shifts', id) -- their week goes with them
return 'ok'
