-- Accepts a batch of messages idempotently: a message hash that already exists is a
-- duplicate (its status is returned), so the check holds after its BullMQ job is gone.
-- KEYS[1] sequence counter (ordered endpoints)
-- ARGV base, now_ms, ttl_s, count, then per message: id, endpoint, event type, body, ordered(1/0)
-- Returns per message a triple: 'a', 1, endpoint (accepted) | status, gen, endpoint (duplicate)
local base, now, ttl, n = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local out, touched = {}, {}
for i = 0, n - 1 do
  local o = 5 + i * 5
  local id, ep, ordered = ARGV[o], ARGV[o + 1], ARGV[o + 4]
  local mk = base .. ':msg:' .. id
  local old = redis.call('HMGET', mk, 'st', 'g', 'ep')
  if old[1] then
    out[#out + 1] = old[1]
    out[#out + 1] = tonumber(old[2])
    out[#out + 1] = old[3]
  else
    redis.call('HSET', mk, 'ep', ep, 'type', ARGV[o + 2], 'body', ARGV[o + 3], 'acc', now, 'st', 'pending', 'n', 0, 'g', 1)
    redis.call('EXPIRE', mk, ttl)
    redis.call('ZADD', base .. ':epmsgs:' .. ep, now, id)
    touched[ep] = true
    if ordered == '1' then
      redis.call('ZADD', base .. ':ord:' .. ep, redis.call('INCR', KEYS[1]), id)
    end
    out[#out + 1] = 'a'
    out[#out + 1] = 1
    out[#out + 1] = ep
  end
end
-- The per-endpoint index forgets what the message hashes have already forgotten.
for ep in pairs(touched) do
  local k = base .. ':epmsgs:' .. ep
  redis.call('ZREMRANGEBYSCORE', k, '-inf', now - ttl * 1000)
  redis.call('EXPIRE', k, ttl)
end
return out
