-- Records the outcomes of a batch job's attempts (see finish.lua, which this loops): attempt
-- lists, message statuses, endpoint stats with auto-disable, and the reports, in one round
-- trip. Plain endpoints only: no leases, rate reservations or FIFO order to release.
-- KEYS endpoint, reports
-- ARGV 1 base, 2 endpoint id, 3 now_ms, 4 now iso, 5 ttl_s, 6 auto-disable after ms,
--      7 auto-disable reason, 8 report (1/0), 9 job id, 10 a JSON array with per message an
--      array of 11 strings: id, gen, status, attempt json, n, next_ms ('' = none), status code
--      ('' = none), disable reason ('' = none), outcome attempt json, next as JSON, attempted (1/0)
--      (one argument instead of 11 per message: ioredis encodes each argument on its own, which
--      cost the worker more than this decode costs Redis)
-- Returns {just_disabled (0/1), disabled reason, then per message its final status or 'stale'}
local base, epId, now, job = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[9]
local ep = KEYS[1]
local epExists = redis.call('EXISTS', ep) == 1
local justDisabled, reason = 0, ''
local out = {0, ''}
local notice = false
for _, a in ipairs(cjson.decode(ARGV[10])) do
  local id, status, nextAt, nextJson = a[1], a[3], a[6], a[10]
  local mk = base .. ':msg:' .. id
  if redis.call('HGET', mk, 'g') ~= a[2] then
    out[#out + 1] = 'stale'
  else
    if epExists then
      if status == 'succeeded' then
        redis.call('HINCRBY', ep, 'delivered', 1)
        redis.call('HSET', ep, 'consecutive_failures', 0, 'last_success_at', now)
        redis.call('HDEL', ep, 'first_failure_at')
      elseif a[11] == '1' then
        redis.call('HINCRBY', ep, 'consecutive_failures', 1)
        redis.call('HSETNX', ep, 'first_failure_at', now)
        local first = tonumber(redis.call('HGET', ep, 'first_failure_at'))
        local why = a[8]
        if why == '' and now - first >= tonumber(ARGV[6]) then why = ARGV[7] end
        if why ~= '' and redis.call('HEXISTS', ep, 'disabled_reason') == 0 then
          redis.call('HSET', ep, 'disabled_reason', why, 'disabled_at', now)
          justDisabled, reason, notice = 1, why, true
        end
      end
      if status == 'retrying' and redis.call('HEXISTS', ep, 'disabled_reason') == 1 then
        status, nextAt, nextJson = 'failed', '', 'null'
      end
      if status == 'failed' then redis.call('HINCRBY', ep, 'failed', 1) end
    end
    local ttl = tonumber(ARGV[5])
    if nextAt ~= '' then ttl = ttl + math.ceil((tonumber(nextAt) - now) / 1000) end
    local ak = base .. ':att:' .. id
    redis.call('RPUSH', ak, a[4])
    redis.call('EXPIRE', ak, ttl)
    -- `j` stays: it marks a `retrying` message as handed to its single retry job by this one.
    redis.call('HSET', mk, 'st', status, 'n', a[5], 'next', nextAt, 'code', a[7], 'at', now, 'j', job)
    redis.call('EXPIRE', mk, ttl)
    if ARGV[8] == '1' then
      redis.call('XADD', KEYS[2], '*', 'o', '{"message_id":' .. cjson.encode(id) .. ',"endpoint_id":' .. cjson.encode(epId) ..
        ',"status":"' .. status .. '","attempt":' .. a[9] .. ',"next_attempt_at":' .. nextJson .. '}')
      if notice then
        redis.call('XADD', KEYS[2], '*', 'd', cjson.encode({endpoint_id = epId, reason = reason, at = ARGV[4]}))
      end
    end
    notice = false
    out[#out + 1] = status
  end
end
out[1], out[2] = justDisabled, reason
return out
