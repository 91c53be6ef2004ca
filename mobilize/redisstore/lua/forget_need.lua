-- forget_need: replace a closed need's data with its stripped copy, only
-- while the data is still what the caller read (nothing changed since),
-- and drop the comment of its feedback, its team thread and read marks,
-- and the reasons given for arrivals far from it. KEYS[1] need hash,
-- KEYS[2] its feedback hash, KEYS[3] its thread, KEYS[4] its read marks,
-- KEYS[5] its field records; ARGV[1] the data read, [2] the stripped
-- data, [3] now ms. Returns 1 when it wrote.
if redis.call('HGET', KEYS[1], 'data') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'data', ARGV[2], 'forgotten', ARGV[3])
if redis.call('HEXISTS', KEYS[2], 'comment') == 1 then
  redis.call('HSET', KEYS[2], 'comment', '')
end
redis.call('DEL', KEYS[3], KEYS[4])
local field = redis.call('HGETALL', KEYS[5])
for i = 1, #field, 2 do
  local ok, r = pcall(cjson.decode, field[i + 1])
  if ok and type(r) == 'table' and type(r.reason) == 'string' and r.reason ~= '' then
    r.reason = ''
    redis.call('HSET', KEYS[5], field[i], cjson.encode(r))
  end
end
return 1
