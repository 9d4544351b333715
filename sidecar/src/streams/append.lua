-- Appends events to a stream's history in one atomic step, each at most once per dedup id.
-- KEYS[1] stream config hash (fields maxlen, maxage), KEYS[2] the events (Redis stream)
-- ARGV dedup key base, dedup ttl_s, count, then per event: dedup id ('' = none), type, data JSON
-- Returns {'missing'} when the stream is not configured, else {'ok', id1, dup1, id2, dup2, …}
-- with dup '1' when the event's dedup id was seen before (its first id is returned).
local cfg = redis.call('HMGET', KEYS[1], 'maxlen', 'maxage')
if not cfg[1] then return {'missing'} end
local maxlen, maxage = cfg[1], tonumber(cfg[2] or '0')
local base, ttl, n = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local out = {'ok'}
for i = 0, n - 1 do
  local o = 4 + i * 3
  local dedup, dk, old = ARGV[o], nil, false
  if dedup ~= '' then
    dk = base .. dedup
    old = redis.call('GET', dk)
  end
  if old then
    out[#out + 1] = old
    out[#out + 1] = '1'
  else
    -- '~': trimming drops whole radix-tree nodes, so at least maxlen events stay, cheaply.
    local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', maxlen, '*', 't', ARGV[o + 1], 'd', ARGV[o + 2])
    if dk then redis.call('SET', dk, id, 'EX', ttl) end
    out[#out + 1] = id
    out[#out + 1] = '0'
  end
end
if maxage > 0 then
  local t = redis.call('TIME')
  local cutoff = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) - maxage * 1000
  redis.call('XTRIM', KEYS[2], 'MINID', '~', cutoff)
end
return out
