import type { Redis } from 'ioredis';
import { KeyRing } from '../secrets/keyring';
import type { DeliveryKeys } from './keys';
import type { EndpointInput } from './schemas';
import { parseSecret } from './sign';

/** A secret as stored (Redis only, sealed by the key ring; never returned, logged or put in job data). */
interface StoredSecret {
  /** Sealed (`enc1.…`); a plain value is a legacy one, rewritten sealed when first read. */
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

/** Rewrites `cfg` only if it is still the value that was read, so a concurrent PUT is never undone. */
const REPLACE_IF_SAME = `if redis.call('HGET', KEYS[1], 'cfg') == ARGV[1] then redis.call('HSET', KEYS[1], 'cfg', ARGV[2]) return 1 end return 0`;

const iso = (ms: string | number | undefined | null) => (ms === undefined || ms === null || ms === '' ? null : new Date(Number(ms)).toISOString());

export class EndpointStore {
  private readonly cache = new Map<string, { at: number; value: Promise<RuntimeEndpoint | null> }>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: DeliveryKeys,
    private readonly ring: KeyRing,
  ) {}

  /** AAD of an endpoint's sealed values: a value moved to another endpoint does not open. */
  private context(id: string) {
    return `dl:ep:${id}`;
  }

  private seal(id: string, c: StoredConfig): StoredConfig {
    const ctx = this.context(id);
    return {
      ...c,
      secrets: c.secrets.map((s) => ({ ...s, value: this.ring.seal(s.value, ctx) })),
      headers: Object.fromEntries(Object.entries(c.headers).map(([k, v]) => [k, this.ring.seal(v, ctx)])),
    };
  }

  /**
   * The config with secrets and header values opened. Plain values (written before secrets were
   * sealed) and values under an older key are read as they are, and the stored config is then
   * rewritten sealed under the newest key — unless a PUT replaced it meanwhile.
   */
  private async open(id: string, raw: string): Promise<StoredConfig> {
    const stored = JSON.parse(raw) as StoredConfig;
    const ctx = this.context(id);
    const values = [...stored.secrets.map((s) => s.value), ...Object.values(stored.headers)];
    const plain: StoredConfig = {
      ...stored,
      secrets: stored.secrets.map((s) => ({ ...s, value: this.ring.openOrPlain(s.value, ctx) })),
      headers: Object.fromEntries(Object.entries(stored.headers).map(([k, v]) => [k, this.ring.openOrPlain(v, ctx)])),
    };
    if (values.some((v) => this.ring.isStale(v))) {
      await this.redis.eval(REPLACE_IF_SAME, 1, this.keys.endpoint(id), raw, JSON.stringify(this.seal(id, plain)));
    }
    return plain;
  }

  /**
   * Re-seals every endpoint whose values are plain or under an older key (`rekey`). Returns
   * how many endpoints were looked at and rewritten.
   */
  async rekey(): Promise<{ scanned: number; rewritten: number }> {
    let scanned = 0;
    let rewritten = 0;
    let cursor = '0';
    const marker = `${this.keys.base}:ep:`;
    do {
      const [next, found] = await this.redis.scan(cursor, 'MATCH', `${marker}*`, 'COUNT', 500);
      cursor = next;
      for (const key of found) {
        const raw = await this.redis.hget(key, 'cfg');
        if (!raw) continue;
        scanned++;
        const id = key.slice(marker.length);
        const stored = JSON.parse(raw) as StoredConfig;
        if (![...stored.secrets.map((s) => s.value), ...Object.values(stored.headers)].some((v) => this.ring.isStale(v))) continue;
        await this.open(id, raw);
        rewritten++;
      }
    } while (cursor !== '0');
    this.cache.clear();
    return { scanned, rewritten };
  }

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
    const tx = this.redis.multi().hset(key, { cfg: JSON.stringify(this.seal(id, stored)), enabled: input.enabled ? '1' : '0', ordered: input.ordered ? '1' : '0' });
    if (input.enabled) tx.hdel(key, 'disabled_reason', 'disabled_at', 'first_failure_at').hset(key, 'consecutive_failures', 0);
    if (!input.ordered) tx.del(this.keys.order(id));
    await tx.exec();
    this.cache.delete(id);
    return { view: publicView(id, stored, {}), created: previous === null };
  }

  async get(id: string): Promise<Record<string, unknown> | null> {
    const h = await this.redis.hgetall(this.keys.endpoint(id));
    if (!h.cfg) return null;
    return publicView(id, await this.open(id, h.cfg), h, true);
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
    const value = this.redis
      .hget(this.keys.endpoint(id), 'cfg')
      .then(async (raw) => (raw ? toRuntime(id, await this.open(id, raw)) : null));
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
    secrets: secrets.map((s) => ({ prefix: redact(s.value), expires_at: iso(s.expires_at) })),
    // Header values are credentials often enough (Authorization, API keys) to be treated as such.
    headers: Object.fromEntries(Object.keys(headers).map((k) => [k, REDACTED])),
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
