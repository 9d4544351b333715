import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
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

/**
 * Endpoint configs in Redis plus an in-process cache of compiled verifiers. Every PUT writes a
 * new `ver`; the accept script compares it, so a config changed or deleted by another process
 * is noticed on the next request (see receive.ts) without a lookup per request.
 */
export class EndpointStore {
  private readonly cache = new Map<string, ResolvedEndpoint>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: InboundKeys,
    /** Before answering a PUT: the config reached the replicas (see Context.replicated). */
    private readonly replicated: () => Promise<void>,
    private readonly deps: VerifyDeps,
  ) {}

  async put(slug: string, config: EndpointConfig): Promise<EndpointView> {
    const key = this.keys.endpoint(slug);
    const now = new Date().toISOString();
    const results = await this.redis
      .multi()
      .hset(key, { config: JSON.stringify(config), ver: randomUUID(), updated_at: now })
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
    const parsed = EndpointConfigSchema.parse(JSON.parse(config));
    const resolved: ResolvedEndpoint = { slug, ver, ...compileEndpoint(parsed, this.deps) };
    this.cache.set(slug, resolved);
    return resolved;
  }
}
