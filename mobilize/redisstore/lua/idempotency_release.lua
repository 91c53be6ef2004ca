-- idempotency_release: delete a reservation only while it is still the
-- caller's. KEYS[1] the record, ARGV[1] the reservation as written.
-- Returns 1 if it was deleted.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
