-- message_read: raise a member's read mark on a need's thread to a
-- message id, never lowering it (a second device may report late).
-- {base}need:<id>:read  HASH  responder -> the last message id read
-- ARGV[5] need, [6] responder, [7] message id "<ms>-<seq>". Returns 1 when
-- the mark moved.
local key = ARGV[2] .. 'need:' .. ARGV[5] .. ':read'
local function parse(id)
  local ms, seq = string.match(id or '', '^(%d+)-(%d+)$')
  if not ms then return nil end
  return tonumber(ms), tonumber(seq)
end
local nms, nseq = parse(ARGV[7])
if not nms then return 0 end
local cms, cseq = parse(redis.call('HGET', key, ARGV[6]))
if cms and (cms > nms or (cms == nms and cseq >= nseq)) then
  return 0
end
redis.call('HSET', key, ARGV[6], ARGV[7])
return 1
