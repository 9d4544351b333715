-- Decides, atomically and in one round trip, whether a job may attempt its message now.
-- KEYS msg
-- ARGV base, id, endpoint id, gen, now_ms, max_in_flight (0 = none), rate interval ms (0 = none),
--      lease_ms, rand [0,1)
-- The endpoint's keys are built here from base + endpoint id (one Redis, as everywhere in the
-- engine), and only when their feature is on: the common endpoint (no limits, not ordered)
-- costs two HMGETs and one HSET, and the caller sends 10 short arguments instead of 16.
-- Returns {'go', n, body, accepted_ms} | {'defer', ms, why} | {'held'} | {'parked'} | {'drop'}
--       | {'abort', status, reason, n}
local m = redis.call('HMGET', KEYS[1], 'g', 'st', 'n', 'body', 'acc', 'j')
if not m[1] or m[1] ~= ARGV[4] then return {'drop'} end
local st = m[2]
if st == 'succeeded' or st == 'failed' or st == 'cancelled' then return {'drop'} end
-- `j`: a batch job (gate_batch.lua) claimed the message and is sending it (or will again after
-- a crash); this job, queued for it too (a re-POST after the endpoint changed), stands down.
if st == 'sending' and m[6] then return {'drop'} end
local base, id, ep, now = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[5])
local function key(kind) return base .. ':' .. kind .. ':' .. ep end

local e = redis.call('HMGET', key('ep'), 'enabled', 'disabled_reason', 'ordered')
if not e[1] then return {'abort', 'cancelled', 'endpoint deleted', m[3]} end
if e[2] then return {'abort', 'failed', 'endpoint disabled: ' .. e[2], m[3]} end
if e[1] == '0' then
  redis.call('SADD', key('held'), id)
  return {'held'}
end
if e[3] == '1' then
  local ord = key('ord')
  local head = redis.call('ZRANGE', ord, 0, 0)[1]
  if head and head ~= id and redis.call('ZSCORE', ord, id) then
    redis.call('SADD', key('parked'), id)
    return {'parked'}
  end
end

local max = tonumber(ARGV[6])
local inflight, waiters
if max > 0 then
  inflight, waiters = key('inflight'), key('waiters')
  -- Leases expire, so slots held by a crashed process come back on their own.
  redis.call('ZREMRANGEBYSCORE', inflight, '-inf', now)
  if not redis.call('ZSCORE', inflight, id) and redis.call('ZCARD', inflight) >= max then
    redis.call('ZREMRANGEBYSCORE', waiters, '-inf', now - 10000)
    -- Back off longer the more jobs already wait, so a long queue polls at a bounded rate.
    local delay = math.min(5000, 50 * (1 + redis.call('ZCARD', waiters) / max)) * (0.5 + tonumber(ARGV[9]))
    redis.call('ZADD', waiters, now + delay, id)
    redis.call('PEXPIRE', waiters, 60000)
    return {'defer', math.ceil(delay), 'in_flight'}
  end
end

local interval = tonumber(ARGV[7])
if interval > 0 then
  local rate, rsv = key('rate'), key('rsv')
  local slot = redis.call('HGET', rsv, id)
  if slot then
    slot = tonumber(slot)
    if slot > now + 1 then return {'defer', math.ceil(slot - now), 'rate'} end
    redis.call('HDEL', rsv, id)
  else
    -- GCRA with a burst of one: each message takes the next free slot. A message that must
    -- wait reserves its slot, so N waiting messages wake once each instead of polling.
    local tat = tonumber(redis.call('GET', rate) or '0')
    if tat < now then tat = now end
    redis.call('SET', rate, tostring(tat + interval), 'PX', math.ceil(tat + interval - now) + 1000)
    if tat > now then
      redis.call('HSET', rsv, id, tostring(tat))
      redis.call('PEXPIRE', rsv, math.ceil(tat - now) + 3600000)
      return {'defer', math.ceil(tat - now), 'rate'}
    end
  end
end

if max > 0 then
  redis.call('ZADD', inflight, now + tonumber(ARGV[8]), id)
  redis.call('PEXPIRE', inflight, tonumber(ARGV[8]) + 60000)
  redis.call('ZREM', waiters, id)
end
redis.call('HSET', KEYS[1], 'st', 'sending')
if m[6] then redis.call('HDEL', KEYS[1], 'j') end
return {'go', m[3], m[4], m[5]}
