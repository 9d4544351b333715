import type { Redis } from 'ioredis';
import type { Logger } from '../observability/logger';
import type { ConnectionKeys } from './keys';

/**
 * What proxied calls leave behind, beyond this process's `/metrics`:
 *  - **per-minute stats in Redis**, summed over every sidecar process: one hash per connection
 *    per minute (`cn:stats:{id}:{minute}`, TTL {@link STATS_TTL_S}) with call counts by result,
 *    errors, a latency histogram and the breaker states seen;
 *  - **failed calls** for Frappe's call log, as `c` entries on the delivery reports stream, which
 *    the Reporter sends to `report_connection_failures` in batches (only with a Frappe site).
 * The proxy's hot path makes no Redis round trip for either: calls are counted in process
 * memory and written once a second in one pipeline (HINCRBY per field, EXPIRE per key).
 */

/** Upper bounds (ms) of the latency buckets; the last bucket is everything slower. */
export const LATENCY_BUCKETS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000] as const;
/** Minutes of stats kept (and the most `GET …/stats?minutes=` returns). */
export const STATS_MAX_MINUTES = 180;
export const STATS_TTL_S = STATS_MAX_MINUTES * 60 + 120;
/** Failed calls kept per connection per minute per process; the stats still count the rest. */
export const FAILURES_PER_MINUTE = 30;
/** Response bytes kept with a failed call. */
export const SNIPPET_CHARS = 500;

export type BreakerSeen = 'closed' | 'half_open' | 'open';
const BREAKER_RANK: Record<BreakerSeen, number> = { closed: 0, half_open: 1, open: 2 };

/** One failed call as Frappe stores it (docs/api.md `report_connection_failures`). */
export interface CallFailure {
  connection_id: string;
  method: string;
  /** The call's path (below the base URL); its query is not kept: values may be secrets. */
  path: string;
  /** The upstream's final status, when it answered. */
  status_code: number | null;
  /** The typed error that stopped the call (`timeout`, `circuit_open`…), or `upstream_status`. */
  error_code: string;
  error: string;
  attempts: number;
  duration_ms: number;
  /** The start of the answer's body, known secrets and token-like values redacted. */
  response_snippet: string | null;
  at: string;
}

interface MinuteCounts {
  id: string;
  minute: number;
  calls: number;
  errors: number;
  results: Map<string, number>;
  latency: number[];
  latencyUs: number;
  breaker: BreakerSeen | null;
}

export const isErrorResult = (result: string) => result !== '2xx' && result !== '3xx';

export class CallRecorder {
  private pending = new Map<string, MinuteCounts>();
  private failures: CallFailure[] = [];
  private failureBudget = new Map<string, { minute: number; used: number }>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly redis: Redis,
    private readonly keys: ConnectionKeys,
    /** The delivery reports stream, or null (no Frappe site: failures are not kept). */
    private readonly reports: string | null,
    private readonly log: Logger,
    private readonly intervalMs = 1000,
  ) {}

  private counts(id: string, now: number): MinuteCounts {
    const minute = Math.floor(now / 60_000);
    const k = `${id}\n${minute}`;
    let c = this.pending.get(k);
    if (!c) {
      c = { id, minute, calls: 0, errors: 0, results: new Map(), latency: new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0), latencyUs: 0, breaker: null };
      this.pending.set(k, c);
    }
    return c;
  }

  /** One finished call: `result` is `2xx`…`5xx` or the error code that stopped it. */
  call(id: string, result: string, durationMs: number, now = Date.now()): void {
    const c = this.counts(id, now);
    c.calls++;
    if (isErrorResult(result)) c.errors++;
    c.results.set(result, (c.results.get(result) ?? 0) + 1);
    let b = 0;
    while (b < LATENCY_BUCKETS_MS.length && durationMs > LATENCY_BUCKETS_MS[b]!) b++;
    c.latency[b]!++;
    c.latencyUs += Math.round(durationMs * 1000);
  }

  /** A breaker state this process saw (the worst one of the minute is kept). */
  breaker(id: string, state: BreakerSeen, now = Date.now()): void {
    const c = this.counts(id, now);
    if (c.breaker === null || BREAKER_RANK[state] > BREAKER_RANK[c.breaker]) c.breaker = state;
  }

  /** Keeps a failed call for Frappe, within the per-minute budget. */
  failure(f: CallFailure, now = Date.now()): void {
    if (!this.reports) return;
    const minute = Math.floor(now / 60_000);
    let budget = this.failureBudget.get(f.connection_id);
    if (!budget || budget.minute !== minute) {
      budget = { minute, used: 0 };
      this.failureBudget.set(f.connection_id, budget);
    }
    if (budget.used >= FAILURES_PER_MINUTE) return;
    budget.used++;
    this.failures.push(f);
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  /** Writes what was counted since the last flush in one pipeline; one flush at a time. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    this.flushing = this.write().finally(() => (this.flushing = null));
    return this.flushing;
  }

  private async write(): Promise<void> {
    if (this.pending.size === 0 && this.failures.length === 0) return;
    const pending = this.pending;
    const failures = this.failures;
    this.pending = new Map();
    this.failures = [];
    // Budgets of past minutes are done with.
    const minute = Math.floor(Date.now() / 60_000);
    for (const [id, b] of this.failureBudget) if (b.minute < minute) this.failureBudget.delete(id);
    const p = this.redis.pipeline();
    for (const c of pending.values()) {
      const key = this.keys.stats(c.id, c.minute);
      if (c.calls) {
        p.hincrby(key, 'calls', c.calls);
        if (c.errors) p.hincrby(key, 'errors', c.errors);
        for (const [result, n] of c.results) p.hincrby(key, `r:${result}`, n);
        c.latency.forEach((n, i) => n && p.hincrby(key, `l:${i}`, n));
        p.hincrby(key, 'lat_us', c.latencyUs);
      }
      if (c.breaker) p.hincrby(key, `b:${c.breaker}`, 1);
      p.expire(key, STATS_TTL_S);
    }
    if (failures.length && this.reports) p.xadd(this.reports, '*', 'c', JSON.stringify(failures));
    try {
      const replies = (await p.exec()) ?? [];
      const failed = replies.find(([err]) => err);
      if (failed) throw failed[0]!;
    } catch (err) {
      // Counted again next time rather than lost while Redis is briefly away (failures too).
      for (const [k, c] of pending) this.merge(k, c);
      this.failures.unshift(...failures);
      this.log.debug({ err: (err as Error).message }, 'connection stats flush failed; will retry');
    }
  }

  private merge(k: string, c: MinuteCounts): void {
    const cur = this.pending.get(k);
    if (!cur) return void this.pending.set(k, c);
    cur.calls += c.calls;
    cur.errors += c.errors;
    for (const [r, n] of c.results) cur.results.set(r, (cur.results.get(r) ?? 0) + n);
    c.latency.forEach((n, i) => (cur.latency[i]! += n));
    cur.latencyUs += c.latencyUs;
    if (c.breaker && (cur.breaker === null || BREAKER_RANK[c.breaker] > BREAKER_RANK[cur.breaker])) cur.breaker = c.breaker;
  }
}

/** One minute of a connection's stats, as the API returns it. */
export interface MinuteStats {
  minute: string;
  calls: number;
  errors: number;
  by_result: Record<string, number>;
  /** Counts per bucket of {@link LATENCY_BUCKETS_MS}, the last one for slower calls. */
  latency_counts: number[];
  latency_sum_ms: number;
  /** The worst breaker state any process saw in that minute; null = no call and no breaker news. */
  breaker: BreakerSeen | null;
}

export function parseMinute(minute: number, h: Record<string, string>): MinuteStats {
  const by_result: Record<string, number> = {};
  const latency_counts = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
  let breaker: BreakerSeen | null = null;
  for (const [field, value] of Object.entries(h)) {
    if (field.startsWith('r:')) by_result[field.slice(2)] = Number(value);
    else if (field.startsWith('l:')) latency_counts[Number(field.slice(2))] = Number(value);
    else if (field.startsWith('b:')) {
      const s = field.slice(2) as BreakerSeen;
      if (breaker === null || BREAKER_RANK[s] > BREAKER_RANK[breaker]) breaker = s;
    }
  }
  const calls = Number(h.calls ?? 0);
  if (breaker === null && calls > 0) breaker = 'closed';
  return {
    minute: new Date(minute * 60_000).toISOString(),
    calls,
    errors: Number(h.errors ?? 0),
    by_result,
    latency_counts,
    latency_sum_ms: Math.round(Number(h.lat_us ?? 0) / 10) / 100,
    breaker,
  };
}

/** The last `minutes` minutes (the current one included) of each connection, in one pipeline. */
export async function readStats(redis: Redis, keys: ConnectionKeys, ids: string[], minutes: number, now = Date.now()): Promise<Map<string, MinuteStats[]>> {
  const last = Math.floor(now / 60_000);
  const first = last - minutes + 1;
  const p = redis.pipeline();
  for (const id of ids) for (let m = first; m <= last; m++) p.hgetall(keys.stats(id, m));
  const replies = (await p.exec()) ?? [];
  const out = new Map<string, MinuteStats[]>();
  let i = 0;
  for (const id of ids) {
    const series: MinuteStats[] = [];
    for (let m = first; m <= last; m++) {
      const [err, h] = replies[i++] ?? [new Error('no reply'), null];
      if (err) throw err;
      series.push(parseMinute(m, h as Record<string, string>));
    }
    out.set(id, series);
  }
  return out;
}
