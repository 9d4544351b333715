-- Records one attempt's outcome: attempt list, message status, endpoint stats (auto-disable),
-- slot release, FIFO promotion and the report for Frappe, in one round trip.
-- KEYS msg, attempts, endpoint, inflight, reservations, order, parked, reports
-- ARGV 1 id, 2 gen, 3 now_ms, 4 status (succeeded|retrying|failed|cancelled), 5 attempt json,
--      6 n, 7 next_ms ('' = none), 8 status code ('' = none), 9 ttl_s, 10 disable reason ('' = none),
--      11 auto-disable after ms, 12 auto-disable reason, 13 report (1/0), 14 outcome attempt json,
--      15 endpoint id, 16 next as JSON ('null' or "iso"), 17 now iso, 18 attempted (1/0), 19 base
-- Returns {status, just_disabled (0/1), disabled reason, promoted id, promoted gen}
local id, now, status, nextAt, nextJson = ARGV[1], tonumber(ARGV[3]), ARGV[4], ARGV[7], ARGV[16]
redis.call('ZREM', KEYS[4], id)
redis.call('HDEL', KEYS[5], id)
local g = redis.call('HGET', KEYS[1], 'g')
if g ~= ARGV[2] then return {'stale', 0, '', '', 0} end

local justDisabled, reason = 0, ''
if redis.call('EXISTS', KEYS[3]) == 1 then
  if status == 'succeeded' then
    redis.call('HINCRBY', KEYS[3], 'delivered', 1)
    redis.call('HSET', KEYS[3], 'consecutive_failures', 0, 'last_success_at', now)
    redis.call('HDEL', KEYS[3], 'first_failure_at')
  elseif ARGV[18] == '1' then
    redis.call('HINCRBY', KEYS[3], 'consecutive_failures', 1)
    redis.call('HSETNX', KEYS[3], 'first_failure_at', now)
    local first = tonumber(redis.call('HGET', KEYS[3], 'first_failure_at'))
    local why = ARGV[10]
    if why == '' and now - first >= tonumber(ARGV[11]) then why = ARGV[12] end
    if why ~= '' and redis.call('HEXISTS', KEYS[3], 'disabled_reason') == 0 then
      redis.call('HSET', KEYS[3], 'disabled_reason', why, 'disabled_at', now)
      justDisabled, reason = 1, why
    end
  end
  -- A disabled endpoint gets no more retries: the message ends here (recover re-queues it).
  if status == 'retrying' and redis.call('HEXISTS', KEYS[3], 'disabled_reason') == 1 then
    status, nextAt, nextJson = 'failed', '', 'null'
  end
  if status == 'failed' then redis.call('HINCRBY', KEYS[3], 'failed', 1) end
end

-- Retention counts from the last activity; a message waiting for a far retry outlives it.
local ttl = tonumber(ARGV[9])
if nextAt ~= '' then ttl = ttl + math.ceil((tonumber(nextAt) - now) / 1000) end
redis.call('RPUSH', KEYS[2], ARGV[5])
redis.call('EXPIRE', KEYS[2], ttl)
redis.call('HSET', KEYS[1], 'st', status, 'n', ARGV[6], 'next', nextAt, 'code', ARGV[8], 'at', now)
redis.call('EXPIRE', KEYS[1], ttl)

local promoted, promotedGen = '', 0
if status ~= 'retrying' then
  -- FIFO: the head finished, so the next unfinished message becomes head; if it is parked
  -- (no job), it gets a new generation and the caller enqueues it.
  redis.call('ZREM', KEYS[6], id)
  for _ = 1, 100 do
    local nxt = redis.call('ZRANGE', KEYS[6], 0, 0)[1]
    if not nxt then break end
    local nk = ARGV[19] .. ':msg:' .. nxt
    if redis.call('EXISTS', nk) == 0 then
      redis.call('ZREM', KEYS[6], nxt)
      redis.call('SREM', KEYS[7], nxt)
    else
      if redis.call('SREM', KEYS[7], nxt) == 1 then
        promoted, promotedGen = nxt, redis.call('HINCRBY', nk, 'g', 1)
      end
      break
    end
  end
end

if ARGV[13] == '1' then
  redis.call('XADD', KEYS[8], '*', 'o', '{"message_id":' .. cjson.encode(id) .. ',"endpoint_id":' .. cjson.encode(ARGV[15]) ..
    ',"status":"' .. status .. '","attempt":' .. ARGV[14] .. ',"next_attempt_at":' .. nextJson .. '}')
  if justDisabled == 1 then
    redis.call('XADD', KEYS[8], '*', 'd', cjson.encode({endpoint_id = ARGV[15], reason = reason, at = ARGV[17]}))
  end
end
return {status, justDisabled, reason, promoted, promotedGen}
