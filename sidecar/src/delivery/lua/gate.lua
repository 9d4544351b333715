-- Decides, atomically and in one round trip, whether a job may attempt its message now.
-- KEYS msg, endpoint, inflight, waiters, rate, reservations, order, parked, held
-- ARGV id, gen, now_ms, max_in_flight (0 = none), rate interval ms (0 = none), lease_ms, rand [0,1)
-- Returns {'go', n, body, accepted_ms} | {'defer', ms, why} | {'held'} | {'parked'} | {'drop'}
--       | {'abort', status, reason, n}
local m = redis.call('HMGET', KEYS[1], 'g', 'st', 'n', 'body', 'acc')
if not m[1] or m[1] ~= ARGV[2] then return {'drop'} end
local st = m[2]
if st == 'succeeded' or st == 'failed' or st == 'cancelled' then return {'drop'} end
local id, now = ARGV[1], tonumber(ARGV[3])

local e = redis.call('HMGET', KEYS[2], 'enabled', 'disabled_reason', 'ordered')
if not e[1] then return {'abort', 'cancelled', 'endpoint deleted', m[3]} end
if e[2] then return {'abort', 'failed', 'endpoint disabled: ' .. e[2], m[3]} end
if e[1] == '0' then
  redis.call('SADD', KEYS[9], id)
  return {'held'}
end
if e[3] == '1' then
  local head = redis.call('ZRANGE', KEYS[7], 0, 0)[1]
  if head and head ~= id and redis.call('ZSCORE', KEYS[7], id) then
    redis.call('SADD', KEYS[8], id)
    return {'parked'}
  end
end

local max = tonumber(ARGV[4])
if max > 0 then
  -- Leases expire, so slots held by a crashed process come back on their own.
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
  if not redis.call('ZSCORE', KEYS[3], id) and redis.call('ZCARD', KEYS[3]) >= max then
    redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now - 10000)
    -- Back off longer the more jobs already wait, so a long queue polls at a bounded rate.
    local delay = math.min(5000, 50 * (1 + redis.call('ZCARD', KEYS[4]) / max)) * (0.5 + tonumber(ARGV[7]))
    redis.call('ZADD', KEYS[4], now + delay, id)
    redis.call('PEXPIRE', KEYS[4], 60000)
    return {'defer', math.ceil(delay), 'in_flight'}
  end
end

local interval = tonumber(ARGV[5])
if interval > 0 then
  local slot = redis.call('HGET', KEYS[6], id)
  if slot then
    slot = tonumber(slot)
    if slot > now + 1 then return {'defer', math.ceil(slot - now), 'rate'} end
    redis.call('HDEL', KEYS[6], id)
  else
    -- GCRA with a burst of one: each message takes the next free slot. A message that must
    -- wait reserves its slot, so N waiting messages wake once each instead of polling.
    local tat = tonumber(redis.call('GET', KEYS[5]) or '0')
    if tat < now then tat = now end
    redis.call('SET', KEYS[5], tostring(tat + interval), 'PX', math.ceil(tat + interval - now) + 1000)
    if tat > now then
      redis.call('HSET', KEYS[6], id, tostring(tat))
      redis.call('PEXPIRE', KEYS[6], math.ceil(tat - now) + 3600000)
      return {'defer', math.ceil(tat - now), 'rate'}
    end
  end
end

if max > 0 then
  redis.call('ZADD', KEYS[3], now + tonumber(ARGV[6]), id)
  redis.call('PEXPIRE', KEYS[3], tonumber(ARGV[6]) + 60000)
  redis.call('ZREM', KEYS[4], id)
end
redis.call('HSET', KEYS[1], 'st', 'sending')
return {'go', m[3], m[4], m[5]}
