-- Helpers for charity resources (depots), joined before mobilize_lib.lua.
-- A need's reservation lives in its own hash: sup_state (reserved, short,
-- released, consumed), sup_depot, sup_lat, sup_lng (where the team
-- collects), sup_items ("item:count,..."), sup_short (why it is short).
-- ARGV[2] and [3] as for mobilize_lib: the depot scripts need no other.
local SUP_BASE, SUP_NOW = ARGV[2], tonumber(ARGV[3])
local function depotKey(id) return SUP_BASE .. 'depot:' .. id end
local function depotStockKey(id) return SUP_BASE .. 'depot:' .. id .. ':stock' end
local function depotHeldKey(id) return SUP_BASE .. 'depot:' .. id .. ':held' end
-- Needs left short, open or staffed: the matcher tries them again each
-- tick until a depot has their items or they close.
local SHORT = SUP_BASE .. 'supplies:short'

-- parseItems reads "item:count,item:count" into a list of {item, count}.
local function parseItems(s)
  local out = {}
  for part in string.gmatch(s or '', '[^,]+') do
    local item, n = string.match(part, '^([^:]+):(%d+)$')
    if item then table.insert(out, {item, tonumber(n)}) end
  end
  return out
end

-- endSupplies ends a need's reservation: 'released' puts the items back on
-- the depot's shelf (cancelled, unstaffed), 'consumed' takes them off its
-- books (completed). Nothing happens unless the need holds a reservation,
-- so calling it twice cannot return stock twice.
local function endSupplies(needID, to)
  local nk = SUP_BASE .. 'need:' .. needID
  redis.call('SREM', SHORT, needID)
  local v = redis.call('HMGET', nk, 'sup_state', 'sup_depot', 'sup_items')
  if v[1] ~= 'reserved' then return end
  for _, it in ipairs(parseItems(v[3])) do
    redis.call('HINCRBY', depotHeldKey(v[2]), it[1], -it[2])
    if to == 'released' then
      redis.call('HINCRBY', depotStockKey(v[2]), it[1], it[2])
    end
  end
  redis.call('HSET', nk, 'sup_state', to)
end
