-- Gives messages a new generation so a fresh job may attempt them: replay and recover
-- (finished messages), resume and FIFO release (held or parked ones).
-- KEYS[1] sequence counter; KEYS[2..] sets to drain into the id list (held, parked), may be none
-- ARGV base, mode ('final' = only finished messages, 'failed' = only failed ones, 'open' = only
--      unfinished ones), then ids
-- Returns a flat list: id, endpoint, gen, …
local base, mode = ARGV[1], ARGV[2]
local ids = {}
for i = 3, #ARGV do ids[#ids + 1] = ARGV[i] end
for k = 2, #KEYS do
  for _, id in ipairs(redis.call('SMEMBERS', KEYS[k])) do ids[#ids + 1] = id end
  redis.call('DEL', KEYS[k])
end
local out, seen = {}, {}
for _, id in ipairs(ids) do
  local mk = base .. ':msg:' .. id
  local m = redis.call('HMGET', mk, 'st', 'ep')
  local st = m[1]
  local final = st == 'succeeded' or st == 'failed' or st == 'cancelled'
  local ok = st and not seen[id] and ((mode == 'final' and final) or (mode == 'failed' and st == 'failed') or (mode == 'open' and not final))
  if ok then
    seen[id] = true
    if final then
      redis.call('HSET', mk, 'st', 'pending', 'next', '')
      if redis.call('HGET', base .. ':ep:' .. m[2], 'ordered') == '1' then
        redis.call('ZADD', base .. ':ord:' .. m[2], redis.call('INCR', KEYS[1]), id)
      end
    end
    out[#out + 1] = id
    out[#out + 1] = m[2]
    out[#out + 1] = redis.call('HINCRBY', mk, 'g', 1)
  end
end
return out
