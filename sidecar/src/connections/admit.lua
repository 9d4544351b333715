-- One round trip before each attempt of a proxied call: is the connection there and usable,
-- does the circuit breaker let the attempt through, and when is its rate-limit slot.
-- KEYS conn, breaker, rate
-- ARGV now_ms, rate interval ms (0 = none), burst, max wait ms, cooldown ms, probe lease ms
-- Returns {verdict, ms, ver, tok_at, status, fails, probe}
--   verdict 'go' (ms = wait before sending), 'open' (ms = until a probe), 'limited' (ms = wait
--   needed), 'blocked' (status says why), 'missing' (no such connection in Redis).
local c = redis.call('HMGET', KEYS[1], 'ver', 'tok_at', 'status')
if not c[1] then return {'missing', 0, '', '', '', 0, 0} end
local ver, tok_at, status = c[1], c[2] or '', c[3] or ''
if status == 'disabled' or status == 'expired' or status == 'not_connected' then
  return {'blocked', 0, ver, tok_at, status, 0, 0}
end
local now = tonumber(ARGV[1])
local b = redis.call('HMGET', KEYS[2], 'state', 'fails', 'opened', 'probe')
local state = b[1] or 'closed'
local fails = tonumber(b[2] or '0')
local probe = 0
if state == 'open' then
  local reopen = tonumber(b[3]) + tonumber(ARGV[5])
  if now < reopen then return {'open', reopen - now, ver, tok_at, status, fails, 0} end
  probe = 1
elseif state == 'half_open' then
  -- One probe at a time; a probe that never reported (its process died) expires.
  local lease = tonumber(b[4] or '0')
  if lease > now then return {'open', lease - now, ver, tok_at, status, fails, 0} end
  probe = 1
end

local wait = 0
local interval = tonumber(ARGV[2])
if interval > 0 then
  -- GCRA: a call is due when the theoretical arrival time is at most (burst-1) intervals
  -- ahead; taking the slot moves it one interval on, so waiting callers queue in order.
  local tat = tonumber(redis.call('GET', KEYS[3]) or '0')
  if tat < now then tat = now end
  wait = tat - (tonumber(ARGV[3]) - 1) * interval - now
  if wait < 0 then wait = 0 end
  if wait > tonumber(ARGV[4]) then return {'limited', wait, ver, tok_at, status, fails, 0} end
  redis.call('SET', KEYS[3], tostring(tat + interval), 'PX', math.ceil(tat + interval - now) + 1000)
end
if probe == 1 then
  redis.call('HSET', KEYS[2], 'state', 'half_open', 'probe', tostring(now + wait + tonumber(ARGV[6])))
end
return {'go', wait, ver, tok_at, status, fails, probe}
