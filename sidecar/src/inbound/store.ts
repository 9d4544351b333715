import type { Redis } from 'ioredis';
import type { InboundKeys } from './keys';
import { LuaScript } from './lua-script';
import type { VerifiedEvent } from './verify/types';

/**
 * Dedup marks live 8 days: longer than any provider's retry horizon (Stripe and PayPal retry
 * for 3 days, GitHub redelivery 3 days, Razorpay dashboard replay 7 days) and than the largest
 * allowed tolerance window (7 days), so a retry or an in-window replay is always a duplicate.
 */
const DEDUP_TTL_S = 8 * 86_400;
/** Events per endpoint kept listable by `GET …/events`. */
const RECENT_CAP = 1000;
/** Events Frappe refused for good, kept for inspection. */
const DEAD_CAP = 10_000;

/**
 * The accept step, atomic in one script: check the endpoint version, spend the replay token,
 * then per event either find its dedup mark (duplicate) or append it to the stream and set the
 * mark in the same step — a crash can never leave a mark without the stored event.
 * KEYS: endpoint, stream, recent, meta, outcome, token, seen…  ARGV: ver, dedup ttl,
 * token ttl (0 = none), recent cap, slug, provider, received_at, headers, n, then n×(id, type, payload).
 */
const ACCEPT = new LuaScript(`
local ver = redis.call('HGET', KEYS[1], 'ver')
if not ver then return {'gone'} end
if ver ~= ARGV[1] then return {'stale'} end
if tonumber(ARGV[3]) > 0 and not redis.call('SET', KEYS[6], '1', 'NX', 'EX', ARGV[3]) then
  redis.call('HINCRBY', KEYS[1], 'rejected', 1)
  return {'replay'}
end
local out = {'ok'}
local accepted, dups = 0, 0
local cap = tonumber(ARGV[4])
for i = 1, tonumber(ARGV[9]) do
  local b = 9 + (i - 1) * 3
  local seen = KEYS[6 + i]
  local prior = redis.call('GET', seen)
  if prior then
    dups = dups + 1
    out[#out + 1] = 'd'
    out[#out + 1] = prior
  else
    local id = redis.call('XADD', KEYS[2], '*', 'slug', ARGV[5], 'provider', ARGV[6], 'pid', ARGV[b + 1],
      'type', ARGV[b + 2], 'at', ARGV[7], 'headers', ARGV[8], 'body', ARGV[b + 3])
    redis.call('SET', seen, id, 'EX', ARGV[2])
    redis.call('HSET', KEYS[4], id, cjson.encode({ARGV[b + 1], ARGV[b + 2], ARGV[7]}))
    if redis.call('LPUSH', KEYS[3], id) > cap then
      local old = redis.call('RPOP', KEYS[3])
      redis.call('HDEL', KEYS[4], old)
      redis.call('HDEL', KEYS[5], old)
    end
    accepted = accepted + 1
    out[#out + 1] = 'a'
    out[#out + 1] = id
  end
end
if accepted > 0 then redis.call('HINCRBY', KEYS[1], 'accepted', accepted) end
if dups > 0 then redis.call('HINCRBY', KEYS[1], 'duplicates', dups) end
return out
`);

/** Counts a rejection unless the caller's cached config is out of date (then it re-checks). */
const REJECT = new LuaScript(`
local ver = redis.call('HGET', KEYS[1], 'ver')
if not ver then return 'gone' end
if ver ~= ARGV[1] then return 'stale' end
redis.call('HINCRBY', KEYS[1], 'rejected', 1)
return 'ok'
`);

/**
 * Frappe answered for these: ack and drop them from the stream and record the outcome for the
 * listing. An event Frappe refused for good ("rejected") is first copied, with the reason, to a
 * capped dead-letter stream, so it is not retried forever yet not silently lost.
 * KEYS: stream, dead, then per item (meta, outcome).  ARGV: group, then per item (id, status, reason).
 */
const SETTLE = new LuaScript(`
for i = 1, (#ARGV - 1) / 3 do
  local id, status, reason = ARGV[i * 3 - 1], ARGV[i * 3], ARGV[i * 3 + 1]
  if status == 'rejected' then
    local entry = redis.call('XRANGE', KEYS[1], id, id)[1]
    if entry then
      local fields = entry[2]
      fields[#fields + 1] = 'sidecar_id'
      fields[#fields + 1] = id
      fields[#fields + 1] = 'reason'
      fields[#fields + 1] = reason
      redis.call('XADD', KEYS[2], 'MAXLEN', '~', ${DEAD_CAP}, '*', unpack(fields))
    end
  end
  redis.call('XACK', KEYS[1], ARGV[1], id)
  redis.call('XDEL', KEYS[1], id)
  if redis.call('HEXISTS', KEYS[i * 2 + 1], id) == 1 then redis.call('HSET', KEYS[i * 2 + 2], id, status) end
end
return 0
`);

export type AcceptOutcome =
  | { kind: 'gone' | 'stale' | 'replay' }
  | { kind: 'ok'; accepted: string[]; duplicates: string[] };

export interface AcceptInput {
  slug: string;
  provider: string;
  ver: string;
  receivedAtMs: number;
  headersJson: string;
  events: VerifiedEvent[];
  body: Buffer;
  replayToken?: { value: string; ttlS: number };
}

/** What Frappe did with an event: took it, or refused it for good. */
export type SettledStatus = 'forwarded' | 'rejected';

export interface ListedEvent {
  id: string;
  provider_event_id: string;
  type: string;
  received_at: string;
  /** Null while Frappe has not answered for it. */
  settled: SettledStatus | null;
}

export class EventStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: InboundKeys,
    /** Before a provider gets its 2xx: the stored event reached the replicas (see Context.replicated). */
    private readonly replicated: () => Promise<void>,
  ) {}

  async accept(a: AcceptInput): Promise<AcceptOutcome> {
    const k = this.keys;
    const keys = [
      k.endpoint(a.slug),
      k.stream,
      k.recent(a.slug),
      k.meta(a.slug),
      k.outcome(a.slug),
      a.replayToken ? k.token(a.slug, a.replayToken.value) : k.token(a.slug, ''),
    ];
    const args: (string | number | Buffer)[] = [
      a.ver, DEDUP_TTL_S, a.replayToken?.ttlS ?? 0, RECENT_CAP, a.slug, a.provider, a.receivedAtMs, a.headersJson, a.events.length,
    ];
    for (const e of a.events) {
      keys.push(k.seen(a.slug, e.provider_event_id));
      args.push(e.provider_event_id, e.type, e.payload ?? a.body);
    }
    const out = (await ACCEPT.run(this.redis, keys, args)) as string[];
    if (out[0] !== 'ok') return { kind: out[0] as 'gone' | 'stale' | 'replay' };
    await this.replicated();
    const accepted: string[] = [];
    const duplicates: string[] = [];
    for (let i = 1; i < out.length; i += 2) (out[i] === 'a' ? accepted : duplicates).push(out[i + 1]!);
    return { kind: 'ok', accepted, duplicates };
  }

  async reject(slug: string, ver: string): Promise<'ok' | 'gone' | 'stale'> {
    return (await REJECT.run(this.redis, [this.keys.endpoint(slug)], [ver])) as 'ok' | 'gone' | 'stale';
  }

  async settle(group: string, items: readonly { id: string; slug: string; status: SettledStatus; reason?: string }[]): Promise<void> {
    const keys = [this.keys.stream, this.keys.dead];
    const args: string[] = [group];
    for (const it of items) {
      keys.push(this.keys.meta(it.slug), this.keys.outcome(it.slug));
      args.push(it.id, it.status, it.reason ?? '');
    }
    await SETTLE.run(this.redis, keys, args);
  }

  async list(slug: string, limit: number): Promise<ListedEvent[]> {
    const ids = await this.redis.lrange(this.keys.recent(slug), 0, limit - 1);
    if (ids.length === 0) return [];
    const [metas, outcomes] = await Promise.all([this.redis.hmget(this.keys.meta(slug), ...ids), this.redis.hmget(this.keys.outcome(slug), ...ids)]);
    const out: ListedEvent[] = [];
    ids.forEach((id, i) => {
      const m = metas[i];
      if (!m) return;
      const [pid, type, at] = JSON.parse(m) as [string, string, string];
      out.push({ id, provider_event_id: pid, type, received_at: new Date(Number(at)).toISOString(), settled: (outcomes[i] as SettledStatus | null) ?? null });
    });
    return out;
  }

  /** Deletes the endpoint and its listing; dedup marks expire on their own. True if it existed. */
  async dropEndpoint(slug: string): Promise<boolean> {
    const k = this.keys;
    const res = await this.redis.multi().del(k.endpoint(slug)).del(k.recent(slug), k.meta(slug), k.outcome(slug)).exec();
    await this.replicated();
    return res?.[0]?.[1] === 1;
  }
}
