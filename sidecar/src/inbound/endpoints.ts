import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { KeyRing } from '../secrets/keyring';
import type { InboundKeys } from './keys';
import { compileEndpoint, EndpointConfigSchema, type CompiledEndpoint, type EndpointConfig } from './verify/registry';
import type { VerifyDeps } from './verify/types';

/** A config ready to serve requests, tagged with the version it was compiled from. */
export interface ResolvedEndpoint extends CompiledEndpoint {
  slug: string;
  ver: string;
}

/** What the API shows: the config without secrets, plus counters. */
export interface EndpointView {
  slug: string;
  provider: string;
  tolerance_s?: number;
  options?: unknown;
  secret: string | string[] | null;
  public_path: string;
  created_at: string;
  updated_at: string;
  stats: { accepted: number; rejected: number; duplicates: number };
}

const REDACTED = '[redacted]';

function redactSecret(secret: unknown): string | string[] | null {
  if (Array.isArray(secret)) return secret.map(() => REDACTED);
  return typeof secret === 'string' && secret !== '' ? REDACTED : null;
}

/** The API view of an endpoint's Redis hash; null when it has no config (never PUT, or deleted). */
function toView(slug: string, h: Record<string, string>): EndpointView | null {
  if (!h.config) return null;
  const { provider, secret, ...rest } = JSON.parse(h.config) as EndpointConfig & { tolerance_s?: number; options?: unknown };
  return {
    slug,
    provider,
    ...rest,
    secret: redactSecret(secret),
    public_path: `/v1/inbound/${slug}`,
    created_at: h.created_at ?? h.updated_at!,
    updated_at: h.updated_at!,
    stats: { accepted: Number(h.accepted ?? 0), rejected: Number(h.rejected ?? 0), duplicates: Number(h.duplicates ?? 0) },
  };
}

type Secret = EndpointConfig['secret'];

/** Rewrites `config` only if it is still the value that was read, so a concurrent PUT is never undone. */
const REPLACE_IF_SAME = `if redis.call('HGET', KEYS[1], 'config') == ARGV[1] then redis.call('HSET', KEYS[1], 'config', ARGV[2]) return 1 end return 0`;

/** AAD of an endpoint's sealed secret: a value copied to another endpoint does not open. */
const context = (slug: string) => `in:ep:${slug}`;

/**
 * Endpoint configs in Redis plus an in-process cache of compiled verifiers. Every PUT writes a
 * new `ver`; the accept script compares it, so a config changed or deleted by another process
 * is noticed on the next request (see receive.ts) without a lookup per request.
 *
 * The signing secret is sealed at rest (`secret`, each element of a list; README "Secrets at
 * rest"); the rest of the config is plain JSON. It is opened once per process per config
 * version, when the verifier is compiled — never on the receive path, which uses the cache —
 * and a plain value from before sealing (or one under an older key) is then rewritten sealed,
 * compare-and-set against the JSON that was read.
 */
export class EndpointStore {
  private readonly cache = new Map<string, ResolvedEndpoint>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: InboundKeys,
    /** Before answering a PUT: the config reached the replicas (see Context.replicated). */
    private readonly replicated: () => Promise<void>,
    private readonly ring: KeyRing,
    private readonly deps: VerifyDeps,
  ) {}

  private mapSecret(secret: Secret, f: (v: string) => string): Secret {
    if (Array.isArray(secret)) return secret.map(f) as Secret;
    return typeof secret === 'string' && secret !== '' ? (f(secret) as Secret) : secret;
  }

  private secretValues(secret: Secret): string[] {
    if (Array.isArray(secret)) return secret as string[];
    return typeof secret === 'string' && secret !== '' ? [secret] : [];
  }

  private sealed(slug: string, config: EndpointConfig): string {
    return JSON.stringify({ ...config, secret: this.mapSecret(config.secret, (v) => this.ring.seal(v, context(slug))) });
  }

  /** The stored config with its secret opened; plain or old-key values are rewritten sealed (CAS). */
  private async open(slug: string, raw: string): Promise<EndpointConfig> {
    const stored = JSON.parse(raw) as EndpointConfig;
    const config = { ...stored, secret: this.mapSecret(stored.secret, (v) => this.ring.openOrPlain(v, context(slug))) } as EndpointConfig;
    if (this.secretValues(stored.secret).some((v) => this.ring.isStale(v))) {
      await this.redis.eval(REPLACE_IF_SAME, 1, this.keys.endpoint(slug), raw, this.sealed(slug, config));
    }
    return config;
  }

  /** Re-seals every endpoint whose secret is plain or under an older key (`rekey`). */
  async rekey(): Promise<{ scanned: number; rewritten: number }> {
    let scanned = 0;
    let rewritten = 0;
    let cursor = '0';
    const marker = this.keys.endpoint('');
    do {
      // `{inbound}` is not a glob pattern: only * ? [ ] and \ are special to MATCH.
      const [next, found] = await this.redis.scan(cursor, 'MATCH', `${marker}*`, 'COUNT', 500);
      cursor = next;
      for (const key of found) {
        const raw = await this.redis.hget(key, 'config');
        if (!raw) continue;
        scanned++;
        const slug = key.slice(marker.length);
        if (!this.secretValues((JSON.parse(raw) as EndpointConfig).secret).some((v) => this.ring.isStale(v))) continue;
        await this.open(slug, raw);
        rewritten++;
      }
    } while (cursor !== '0');
    this.cache.clear();
    return { scanned, rewritten };
  }

  async put(slug: string, config: EndpointConfig): Promise<EndpointView> {
    const key = this.keys.endpoint(slug);
    const now = new Date().toISOString();
    const results = await this.redis
      .multi()
      .hset(key, { config: this.sealed(slug, config), ver: randomUUID(), updated_at: now })
      .hsetnx(key, 'created_at', now)
      .exec()
      .catch((err: Error) => {
        // Re-thrown bare: ioredis errors carry the command's arguments, here the secret.
        throw new Error(`Redis refused the inbound endpoint config: ${err.message}`);
      });
    const failed = results?.find(([err]) => err)?.[0];
    if (!results || failed) throw new Error(`Redis refused the inbound endpoint config: ${failed?.message ?? 'no reply'}`);
    this.cache.delete(slug);
    await this.replicated();
    return (await this.view(slug))!;
  }

  async view(slug: string): Promise<EndpointView | null> {
    return toView(slug, await this.redis.hgetall(this.keys.endpoint(slug)));
  }

  /** Many views in one round trip (a pipeline): → the ones that exist, by slug, and the rest. */
  async lookup(slugs: string[]): Promise<{ found: Record<string, EndpointView>; missing: string[] }> {
    const unique = [...new Set(slugs)];
    const pipeline = this.redis.pipeline();
    for (const slug of unique) pipeline.hgetall(this.keys.endpoint(slug));
    const replies = (await pipeline.exec()) ?? [];
    const found: Record<string, EndpointView> = {};
    const missing: string[] = [];
    unique.forEach((slug, i) => {
      const [err, hash] = replies[i] ?? [new Error('no reply'), null];
      if (err) throw new Error(`Redis failed to read inbound endpoint ${slug}: ${err.message}`);
      const view = toView(slug, hash as Record<string, string>);
      if (view) found[slug] = view;
      else missing.push(slug);
    });
    return { found, missing };
  }

  invalidate(slug: string): void {
    this.cache.delete(slug);
  }

  /** The compiled endpoint, from the cache or Redis; null if there is none. */
  async resolve(slug: string): Promise<ResolvedEndpoint | null> {
    const hit = this.cache.get(slug);
    if (hit) return hit;
    const [config, ver] = await this.redis.hmget(this.keys.endpoint(slug), 'config', 'ver');
    if (!config || !ver) return null;
    // Stored configs were validated on PUT; parsing again restores defaults and transforms.
    const parsed = EndpointConfigSchema.parse(await this.open(slug, config));
    const resolved: ResolvedEndpoint = { slug, ver, ...compileEndpoint(parsed, this.deps) };
    this.cache.set(slug, resolved);
    return resolved;
  }
}
