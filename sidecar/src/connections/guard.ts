import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import type { AdmitCache } from './admit-cache';
import type { ConnectionKeys } from './keys';

/**
 * The distributed part of the call policy: the per-connection rate limit (GCRA) and circuit
 * breaker live in Redis, so every sidecar process sees the same slots and the same breaker.
 * Both scripts are commented in their .lua files. A connection without a rate limit whose
 * breaker is closed with no failures is admitted from the process's {@link AdmitCache}.
 */

export type Verdict =
  | { verdict: 'go'; /** Until the slot, from `now` as passed to admit. */ waitMs: number; probe: boolean; fails: number; ver: string; tokAt: string; status: string }
  | { verdict: 'open' | 'limited'; waitMs: number; ver: string; tokAt: string; status: string }
  | { verdict: 'blocked'; status: string; ver: string; tokAt: string }
  | { verdict: 'missing' };

export interface GuardLimits {
  rateIntervalMs: number;
  burst: number;
  maxWaitMs: number;
  cooldownMs: number;
  /** How long a half-open probe holds the breaker before another may probe (its timeout + slack). */
  probeLeaseMs: number;
}

export type BreakerState = 'closed' | 'half_open' | 'open';

const source = (f: string) => readFileSync(new URL(`./${f}`, import.meta.url), 'utf8');
const ADMIT = source('admit.lua');
const RECORD = source('record.lua');

type Call = (...args: Array<string | number>) => Promise<unknown>;

export class CallGuard {
  private readonly admitCmd: Call;
  private readonly recordCmd: Call;

  constructor(
    private readonly redis: Redis,
    private readonly keys: ConnectionKeys,
    private readonly cache: AdmitCache,
  ) {
    if (!('cnAdmit' in redis)) redis.defineCommand('cnAdmit', { numberOfKeys: 3, lua: ADMIT });
    if (!('cnRecord' in redis)) redis.defineCommand('cnRecord', { numberOfKeys: 1, lua: RECORD });
    const r = redis as unknown as Record<string, Call>;
    this.admitCmd = r.cnAdmit!.bind(redis);
    this.recordCmd = r.cnRecord!.bind(redis);
  }

  async admit(id: string, l: GuardLimits, now = Date.now()): Promise<Verdict> {
    // A rate-limited call always takes its slot from Redis: the limit is the deployment's.
    const unlimited = l.rateIntervalMs === 0;
    if (unlimited) {
      const hit = this.cache.get(id, now);
      if (hit) return hit;
    }
    const mark = this.cache.mark();
    const k = this.keys;
    const r = (await this.admitCmd(k.conn(id), k.breaker(id), k.rate(id), now, l.rateIntervalMs, l.burst, l.maxWaitMs, l.cooldownMs, l.probeLeaseMs)) as [
      string, number, string, string, string, number, number,
    ];
    const [verdict, ms, ver, tokAt, status, fails, probe] = r;
    if (verdict === 'missing') return { verdict };
    if (verdict === 'blocked') return { verdict, status, ver, tokAt };
    if (verdict === 'go') {
      const v = { verdict, waitMs: Number(ms), probe: Number(probe) === 1, fails: Number(fails), ver, tokAt, status } as const;
      if (unlimited && !v.probe && v.fails === 0) this.cache.keep(id, v, mark, now);
      return v;
    }
    return { verdict: verdict as 'open' | 'limited', waitMs: Number(ms), ver, tokAt, status };
  }

  /** A failure is announced on the events channel (by the script), so no process admits from its cache past it. */
  async record(id: string, ok: boolean, threshold: number, probe: boolean, now = Date.now()): Promise<{ state: BreakerState; fails: number }> {
    if (!ok) this.cache.drop(id);
    const [state, fails] = (await this.recordCmd(this.keys.breaker(id), now, ok ? 'ok' : 'fail', threshold, probe ? 1 : 0, this.keys.events, id)) as [BreakerState, number];
    return { state, fails: Number(fails) };
  }

  async state(id: string): Promise<{ state: BreakerState; failures: number; opened_at: string | null }> {
    const [state, fails, opened] = await this.redis.hmget(this.keys.breaker(id), 'state', 'fails', 'opened');
    return { state: (state as BreakerState | null) ?? 'closed', failures: Number(fails ?? 0), opened_at: opened && opened !== '0' ? new Date(Number(opened)).toISOString() : null };
  }
}
