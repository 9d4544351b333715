-- The gate of a batch job (first attempts of several messages to one plain endpoint), in one
-- round trip. The endpoint is checked once; each message is then claimed for this job.
-- KEYS endpoint
-- ARGV 1 base, 2 endpoint id, 3 job id, 4 handoff (1 = the worker saw the endpoint is not plain
--      or does not know it yet), then per message: id, gen
-- Returns {mode, status, reason, then per message verdict, n, body, accepted_ms}, mode one of
--   'go' (claim each message: verdict 'go' | 'drop' | 'retry' with next_ms in place of body)
--   'abort' (endpoint deleted or disabled: verdict 'abort' or 'drop'; status, reason say why)
--   'held' (paused: claimable messages join the held set, verdict 'held' or 'drop')
--   'handoff' (ordered now, or limits set: verdict 'handoff' or 'drop'; the caller queues
--              single-message jobs, so every limit is enforced by the single gate)
-- A message is claimable if its generation matches and it is `pending`, or `sending` claimed
-- by this very job (a re-run after a crash or stall). `sending` under another job or a single
-- job, `retrying` (its retry is a single job) and finished messages are dropped, so a message
-- in two jobs is still attempted by one. `retrying` claimed by this job comes back as 'retry'
-- (the worker re-queues its single retry job, in case it died before doing so).
local base, job = ARGV[1], ARGV[3]
local e = redis.call('HMGET', KEYS[1], 'enabled', 'disabled_reason', 'ordered')
local mode, status, reason = 'go', '', ''
if not e[1] then mode, status, reason = 'abort', 'cancelled', 'endpoint deleted'
elseif e[2] then mode, status, reason = 'abort', 'failed', 'endpoint disabled: ' .. e[2]
elseif e[1] == '0' then mode = 'held'
elseif e[3] == '1' or ARGV[4] == '1' then mode = 'handoff' end
local out, seen = {mode, status, reason}, {}
for i = 5, #ARGV, 2 do
  local id = ARGV[i]
  local mk = base .. ':msg:' .. id
  local m = redis.call('HMGET', mk, 'g', 'st', 'n', 'body', 'acc', 'j', 'next')
  local st, verdict = m[2], 'drop'
  if m[1] and m[1] == ARGV[i + 1] and not seen[id] then
    seen[id] = true
    if st == 'pending' or (st == 'sending' and m[6] == job) then verdict = mode
    elseif st == 'retrying' and m[6] == job then verdict = 'retry' end
  end
  if verdict == 'go' then
    redis.call('HSET', mk, 'st', 'sending', 'j', job)
    out[#out + 1], out[#out + 2], out[#out + 3], out[#out + 4] = 'go', m[3], m[4], m[5]
  else
    if verdict == 'held' then redis.call('SADD', base .. ':held:' .. ARGV[2], id) end
    -- Given up to a single job (now or on resume): that job's gate must not take it for ours.
    if (verdict == 'held' or verdict == 'handoff') and m[6] then redis.call('HDEL', mk, 'j') end
    out[#out + 1], out[#out + 2], out[#out + 3], out[#out + 4] = verdict, m[3] or 0, verdict == 'retry' and m[7] or '', ''
  end
end
return out
