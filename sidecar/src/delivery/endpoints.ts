import type { Redis } from 'ioredis';
import type { DeliveryKeys } from './keys';
import type { EndpointInput } from './schemas';
import { parseSecret } from './sign';

/** A secret as stored (Redis only; never returned, logged or put in job data). */
interface StoredSecret {
  value: string;
  /** ms since epoch; null = does not expire. */
  expires_at: number | null;
}

type StoredConfig = Omit<EndpointInput, 'secrets'> & { secrets: StoredSecret[]; created_at: string; updated_at: string };

/** What the worker needs per attempt, with secrets already decoded (kept in process memory only). */
export interface RuntimeEndpoint {
  id: string;
  url: string;
  signing: EndpointInput['signing'];
  secrets: Array<{ key: Buffer | string; expiresAt: number | null }>;
  headers: Record<string, string>;
  timeoutMs: number;
  schedule: readonly number[];
  /** ms between messages; 0 = no rate limit. */
  rateIntervalMs: number;
  /** 0 = no limit. */
  maxInFlight: number;
  eventTypes: ReadonlySet<string> | null;
  ordered: boolean;
}

/**
 * Cache lifetime for the worker's copy of an endpoint: a changed URL or secret is picked up
 * within this time by every process (a PUT also evicts the local copy at once). Pause, disable
 * and ordering are read fresh by the gate script on every attempt.
 */
export const ENDPOINT_CACHE_MS = 1000;

const STAT_FIELDS = ['delivered', 'failed', 'consecutive_failures', 'last_success_at', 'first_failure_at', 'disabled_reason', 'disabled_at'] as const;

const REDACTED = '[redacted]';

/** `whsec_ab…`: enough to tell secrets apart in desk, never enough to use one. */
function redact(value: string): string {
  if (value.startsWith('whsec_')) return `${value.slice(0, 8)}…`;
  return value.length >= 16 ? `${value.slice(0, 2)}…` : '…';
}

const iso = (ms: string | number | undefined | null) => (ms === undefined || ms === null || ms === '' ? null : new Date(Number(ms)).toISOString());

export class EndpointStore {
  private readonly cache = new Map<string, { at: number; value: Promise<RuntimeEndpoint | null> }>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: DeliveryKeys,
  ) {}

  /**
   * Creates or replaces an endpoint. Any PUT that leaves it enabled also clears a disabled
   * state (410 or auto-disable): re-saving the webhook in desk is the operator's "try again".
   */
  async put(id: string, input: EndpointInput): Promise<{ view: Record<string, unknown>; created: boolean }> {
    const key = this.keys.endpoint(id);
    const now = new Date().toISOString();
    const previous = await this.redis.hget(key, 'cfg');
    const stored: StoredConfig = {
      ...input,
      secrets: input.secrets.map((s) =>
        typeof s === 'string' ? { value: s, expires_at: null } : { value: s.value, expires_at: Date.parse(s.expires_at) },
      ),
      created_at: previous ? (JSON.parse(previous) as StoredConfig).created_at : now,
      updated_at: now,
    };
    const tx = this.redis.multi().hset(key, { cfg: JSON.stringify(stored), enabled: input.enabled ? '1' : '0', ordered: input.ordered ? '1' : '0' });
    if (input.enabled) tx.hdel(key, 'disabled_reason', 'disabled_at', 'first_failure_at').hset(key, 'consecutive_failures', 0);
    if (!input.ordered) tx.del(this.keys.order(id));
    await tx.exec();
    this.cache.delete(id);
    return { view: publicView(id, stored, {}), created: previous === null };
  }

  async get(id: string): Promise<Record<string, unknown> | null> {
    const h = await this.redis.hgetall(this.keys.endpoint(id));
    if (!h.cfg) return null;
    return publicView(id, JSON.parse(h.cfg) as StoredConfig, h, true);
  }

  /** Held and parked sets stay: the caller releases them so their messages end `cancelled`. */
  async delete(id: string): Promise<boolean> {
    const keep = new Set([this.keys.held(id), this.keys.parked(id)]);
    const removed = await this.redis.del(...this.keys.endpointKeys(id).filter((k) => !keep.has(k)));
    this.cache.delete(id);
    return removed > 0;
  }

  async exists(id: string): Promise<boolean> {
    return (await this.redis.hexists(this.keys.endpoint(id), 'cfg')) === 1;
  }

  /** The worker's view of an endpoint, cached for {@link ENDPOINT_CACHE_MS}; null if deleted. */
  runtime(id: string): Promise<RuntimeEndpoint | null> {
    const now = Date.now();
    const hit = this.cache.get(id);
    if (hit && now - hit.at < ENDPOINT_CACHE_MS) return hit.value;
    const value = this.redis.hget(this.keys.endpoint(id), 'cfg').then((raw) => (raw ? toRuntime(id, JSON.parse(raw) as StoredConfig) : null));
    this.cache.set(id, { at: now, value });
    value.catch(() => this.cache.delete(id));
    return value;
  }
}

function toRuntime(id: string, c: StoredConfig): RuntimeEndpoint {
  return {
    id,
    url: c.url,
    signing: c.signing,
    secrets: c.secrets.map((s) => ({ key: c.signing === 'standard' ? parseSecret(s.value) : s.value, expiresAt: s.expires_at })),
    headers: c.headers,
    timeoutMs: c.timeout_ms,
    schedule: c.retry_schedule_s,
    rateIntervalMs: c.rate_limit_per_s ? 1000 / c.rate_limit_per_s : 0,
    maxInFlight: c.max_in_flight ?? 0,
    eventTypes: c.event_types ? new Set(c.event_types) : null,
    ordered: c.ordered,
  };
}

/**
 * An endpoint as the API shows it. Custom header values are credentials as often as not
 * (`Authorization`, `X-Api-Key`), so like secrets they are never returned: names only.
 */
function publicView(id: string, c: StoredConfig, h: Record<string, string>, withStats = false): Record<string, unknown> {
  const { secrets, headers, ...rest } = c;
  const disabled = Boolean(h.disabled_reason);
  const view: Record<string, unknown> = {
    id,
    ...rest,
    headers: Object.fromEntries(Object.keys(headers).map((name) => [name, REDACTED])),
    secrets: secrets.map((s) => ({ prefix: redact(s.value), expires_at: iso(s.expires_at) })),
    status: disabled ? 'disabled' : c.enabled ? 'active' : 'paused',
  };
  if (withStats) {
    const s = Object.fromEntries(STAT_FIELDS.map((f) => [f, h[f]]));
    view.stats = {
      delivered: Number(s.delivered ?? 0),
      failed: Number(s.failed ?? 0),
      consecutive_failures: Number(s.consecutive_failures ?? 0),
      last_success_at: iso(s.last_success_at),
      first_failure_at: iso(s.first_failure_at),
      disabled_reason: s.disabled_reason ?? null,
      disabled_at: iso(s.disabled_at),
    };
  }
  return view;
}
