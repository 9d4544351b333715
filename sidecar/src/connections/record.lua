-- Records an attempt's outcome in the circuit breaker shared by every process.
-- KEYS breaker
-- ARGV now_ms, 'ok' | 'fail', failure threshold, probe (1 = this attempt was the half-open probe),
--   events channel, connection id (a failure is published: processes stop admitting from cache)
-- Returns {state, fails}
local b = redis.call('HMGET', KEYS[1], 'state', 'fails')
local state = b[1] or 'closed'
if ARGV[2] == 'ok' then
  -- Any success closes: the upstream answers again.
  redis.call('DEL', KEYS[1])
  return {'closed', 0}
end
redis.call('PUBLISH', ARGV[5], ARGV[6])
local fails = redis.call('HINCRBY', KEYS[1], 'fails', 1)
if state ~= 'open' and (ARGV[4] == '1' or fails >= tonumber(ARGV[3])) then
  redis.call('HSET', KEYS[1], 'state', 'open', 'opened', ARGV[1], 'probe', '0')
  return {'open', fails}
end
return {state, fails}
