-- lease: one matcher per region. KEYS[1] the lease (STRING: the holder,
-- expiring after the lease's time), KEYS[2] the region's fencing epoch
-- (HASH epoch, holder: the last to acquire), both in the region's slot.
-- The epoch never expires: it only grows, by one at every acquisition, so
-- that a claim planned under an older lease is refused (offer.lua).
-- ARGV[1] holder id, [2] ttl ms, [3] 'acquire' (acquire or renew) or
-- 'release'.
-- acquire returns {1, epoch, how}, how being 'renewed', 'acquired' (the
-- last holder was this one or nobody) or 'takeover' (another held it
-- last); or {0, epoch, holder, ms left} while another holds it.
-- release returns 1 if the caller held the lease, else 0.
local LEASE, EPOCH = KEYS[1], KEYS[2]
local me, ttl, verb = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local cur = redis.call('GET', LEASE)
local epoch = redis.call('HGET', EPOCH, 'epoch')
if verb == 'release' then
  if cur == me then
    redis.call('DEL', LEASE)
    return 1
  end
  return 0
end
if cur == me and epoch then
  redis.call('PEXPIRE', LEASE, ttl)
  return {1, tonumber(epoch), 'renewed'}
end
if cur and cur ~= me then
  return {0, tonumber(epoch or '0'), cur, redis.call('PTTL', LEASE)}
end
local last = redis.call('HGET', EPOCH, 'holder')
epoch = redis.call('HINCRBY', EPOCH, 'epoch', 1)
redis.call('HSET', EPOCH, 'holder', me)
redis.call('SET', LEASE, me, 'PX', ttl)
if last and last ~= me then
  return {1, epoch, 'takeover'}
end
return {1, epoch, 'acquired'}
