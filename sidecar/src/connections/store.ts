import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { AppError, notFound } from '../errors';
import type { Logger } from '../observability/logger';
import type { KeyRing } from '../secrets/keyring';
import type { ConnectionFrappeSync } from './frappe-sync';
import type { ConnectionKeys } from './keys';
import { ConnectionInput, isOAuth, SECRET_FIELDS, type Auth, type TokensInput } from './schemas';

/**
 * Connections in Redis: one hash per connection. The public part of the config is plain JSON
 * (`cfg`); credentials and default headers are sealed together (`sec`), tokens separately
 * (`tok`) because they change on every refresh. `ver` changes on every PUT, so every process's
 * cached runtime copy is checked against it (the admit script returns it). Every write the admit
 * script can see publishes the id on `keys.events` in the same transaction (see admit-cache.ts).
 */

export type ConnectionStatus = 'connected' | 'not_connected' | 'expired' | 'error' | 'disabled';

export interface StoredTokens {
  access_token: string;
  refresh_token: string | null;
  token_type: string;
  scope: string | null;
  /** ms since epoch; null = the provider said nothing and no default applies. */
  expires_at: number | null;
  obtained_at: number;
}

type PublicConfig = Omit<ConnectionInput, 'auth' | 'headers' | 'tokens'> & {
  auth: Record<string, unknown>;
  header_names: string[];
  created_at: string;
  updated_at: string;
};

/** What a call needs, secrets opened; lives in process memory only. */
export interface RuntimeConnection {
  id: string;
  ver: string;
  origin: string;
  /** The base URL's path without its trailing slash ('' for the root). */
  basePath: string;
  /** The base URL's own query (kept before the call's). */
  baseQuery: string;
  auth: Auth;
  headers: Record<string, string>;
  config: Omit<ConnectionInput, 'auth' | 'headers' | 'tokens'>;
}

const TOKENS_CTX = (id: string) => `cn:${id}:tokens`;
const SECRETS_CTX = (id: string) => `cn:${id}:credentials`;
/** AAD of a pending OAuth flow: bound to its own state, so it cannot be replayed under another. */
export const STATE_CTX = (state: string) => `cn:state:${state}`;

/** Writes tokens only if they are newer than what is stored: a stale copy never wins. */
const WRITE_TOKENS = `
local cur = tonumber(redis.call('HGET', KEYS[1], 'tok_at') or '0')
if not redis.call('HGET', KEYS[1], 'ver') then return -1 end
if tonumber(ARGV[2]) <= cur then return 0 end
redis.call('HSET', KEYS[1], 'tok', ARGV[1], 'tok_at', ARGV[2], 'exp', ARGV[3], 'status', ARGV[4])
redis.call('HDEL', KEYS[1], 'last_error', 'last_error_at')
if ARGV[5] == '1' then redis.call('ZADD', KEYS[2], ARGV[3] == '' and '9e15' or ARGV[3], ARGV[6]) else redis.call('ZREM', KEYS[2], ARGV[6]) end
for i = 8, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('PUBLISH', ARGV[7], ARGV[6])
return 1`;

const iso = (ms: string | number | null | undefined) => (ms === null || ms === undefined || ms === '' ? null : new Date(Number(ms)).toISOString());

function redactAuth(auth: Auth): Record<string, unknown> {
  const out: Record<string, unknown> = { ...auth };
  for (const f of SECRET_FIELDS[auth.type]) if (f in out) out[f] = '[redacted]';
  return out;
}

export function tokensFromInput(t: TokensInput): StoredTokens {
  return {
    access_token: t.access_token,
    refresh_token: t.refresh_token,
    token_type: t.token_type,
    scope: t.scope,
    expires_at: t.expires_at ? Date.parse(t.expires_at) : null,
    obtained_at: Date.parse(t.obtained_at),
  };
}

export function tokensForFrappe(t: StoredTokens) {
  return { ...t, expires_at: iso(t.expires_at), obtained_at: iso(t.obtained_at)! };
}

export class ConnectionStore {
  private readonly cache = new Map<string, RuntimeConnection>();
  private readonly recovering = new Map<string, Promise<RuntimeConnection | null>>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: ConnectionKeys,
    private readonly ring: KeyRing,
    private readonly frappe: ConnectionFrappeSync | null,
    private readonly log: Logger,
  ) {}

  async put(id: string, input: ConnectionInput): Promise<{ view: Record<string, unknown>; created: boolean }> {
    const key = this.keys.conn(id);
    const prev = await this.redis.hmget(key, 'cfg', 'sec', 'status', 'tok_at');
    const now = new Date().toISOString();
    const prevCfg = prev[0] ? (JSON.parse(prev[0]) as PublicConfig) : null;
    const { auth, headers, tokens, ...rest } = input;
    const cfg: PublicConfig = { ...rest, auth: redactAuth(auth), header_names: Object.keys(headers), created_at: prevCfg?.created_at ?? now, updated_at: now };
    // Tokens belong to one client at one token endpoint, for one API: a different client, token
    // URL or auth type invalidates them, and so does another API origin — an account's tokens
    // must not follow the connection to a new host (Frappe need not DELETE before such a PUT).
    const prevAuth = prevCfg?.auth as Partial<Record<string, unknown>> | undefined;
    const sameClient =
      prevAuth && prevAuth.type === auth.type && isOAuth(auth) && prevAuth.client_id === auth.client_id && prevAuth.token_url === auth.token_url
      && new URL(prevCfg!.base_url).origin === new URL(input.base_url).origin;
    const hasTokens = sameClient && prev[3] !== null;
    let status: ConnectionStatus;
    if (!input.enabled) status = 'disabled';
    else if (auth.type !== 'oauth2_authorization_code') status = 'connected';
    else if (hasTokens) status = prev[2] === 'expired' ? 'expired' : 'connected';
    else status = 'not_connected';

    const tx = this.redis.multi().hset(key, {
      cfg: JSON.stringify(cfg),
      sec: this.ring.seal(JSON.stringify({ auth, headers }), SECRETS_CTX(id)),
      ver: randomBytes(8).toString('hex'),
      status,
    });
    if (!hasTokens) tx.hdel(key, 'tok', 'tok_at', 'exp').zrem(this.keys.expiry, id);
    if (input.enabled && prev[2] === 'disabled') tx.hdel(key, 'last_error', 'last_error_at');
    await tx.publish(this.keys.events, id).exec();
    if (tokens && isOAuth(auth)) {
      const t = tokensFromInput(tokens);
      if (await this.writeTokens(id, t, input.enabled ? 'connected' : 'disabled')) this.log.info({ connection: id }, 'connection tokens taken from the pushed config');
    }
    this.cache.delete(id);
    return { view: (await this.get(id))!, created: prevCfg === null };
  }

  async get(id: string): Promise<Record<string, unknown> | null> {
    const h = await this.redis.hgetall(this.keys.conn(id));
    if (!h.cfg) return null;
    const { header_names, ...cfg } = JSON.parse(h.cfg) as PublicConfig;
    let token: Record<string, unknown> | null = null;
    if (h.tok) {
      const t = this.openTokens(id, h.tok);
      token = { expires_at: iso(t.expires_at), obtained_at: iso(t.obtained_at), scope: t.scope, token_type: t.token_type, has_refresh_token: t.refresh_token !== null };
    }
    return {
      id,
      ...cfg,
      headers: Object.fromEntries(header_names.map((n) => [n, '[redacted]'])),
      status: h.status,
      last_error: h.last_error ?? null,
      last_error_at: iso(h.last_error_at),
      token,
      connected_by: h.connected_by ?? null,
      connected_at: iso(h.connected_at),
    };
  }

  async delete(id: string): Promise<boolean> {
    const [removed] = (await this.redis.multi().del(...this.keys.connKeys(id)).zrem(this.keys.expiry, id).publish(this.keys.events, id).exec()) as [[Error | null, number]];
    this.cache.delete(id);
    return removed[1] > 0;
  }

  /** Drops the local copy (a PUT elsewhere, a Redis loss). */
  forget(id: string): void {
    this.cache.delete(id);
  }

  /** The cached runtime copy if it is still version `ver`. */
  cached(id: string, ver?: string): RuntimeConnection | undefined {
    const rt = this.cache.get(id);
    return rt && (ver === undefined || rt.ver === ver) ? rt : undefined;
  }

  /**
   * The runtime copy from Redis; if Redis has no such connection (never pushed, deleted, or
   * Redis lost its data) and a Frappe site is configured, asks Frappe for it once
   * (`connection_config`), stores it and uses it. Concurrent callers share one recovery.
   */
  async load(id: string): Promise<RuntimeConnection> {
    const rt = await this.loadFromRedis(id);
    if (rt) return rt;
    if (!this.frappe) throw notFound(`Connection ${id}`);
    let pending = this.recovering.get(id);
    if (!pending) {
      pending = this.recover(id).finally(() => this.recovering.delete(id));
      this.recovering.set(id, pending);
    }
    const recovered = await pending;
    if (!recovered) throw notFound(`Connection ${id}`);
    return recovered;
  }

  private async recover(id: string): Promise<RuntimeConnection | null> {
    const again = await this.loadFromRedis(id);
    if (again) return again;
    let raw: unknown;
    try {
      raw = await this.frappe!.fetchConfig(id);
    } catch (err) {
      throw new AppError('unavailable', `Connection ${id} is not in Redis and Frappe could not be asked for it: ${(err as Error).message}`, undefined, 5);
    }
    if (raw === null || raw === undefined) return null;
    const parsed = ConnectionInput.safeParse(raw);
    if (!parsed.success) {
      this.log.error({ connection: id, issues: parsed.error.issues.map((i) => i.path.join('.')) }, 'Frappe sent an invalid connection config');
      throw new AppError('unavailable', `Frappe's copy of connection ${id} is invalid.`);
    }
    await this.put(id, parsed.data);
    this.log.info({ connection: id }, 'connection recovered from Frappe');
    return this.loadFromRedis(id);
  }

  /** The connection's status and its tokens' version (`tok_at`, '' without tokens). */
  async state(id: string): Promise<{ status: ConnectionStatus | null; tokAt: string }> {
    const [status, tokAt] = await this.redis.hmget(this.keys.conn(id), 'status', 'tok_at');
    return { status: (status as ConnectionStatus | null) ?? null, tokAt: tokAt ?? '' };
  }

  private async loadFromRedis(id: string): Promise<RuntimeConnection | null> {
    const [cfgRaw, sec, ver] = await this.redis.hmget(this.keys.conn(id), 'cfg', 'sec', 'ver');
    if (!cfgRaw || !sec || !ver) return null;
    const cfg = JSON.parse(cfgRaw) as PublicConfig;
    const { auth, headers } = JSON.parse(this.ring.open(sec, SECRETS_CTX(id))) as { auth: Auth; headers: Record<string, string> };
    if (this.ring.isStale(sec)) await this.reseal(id, 'sec', sec, SECRETS_CTX(id));
    const base = new URL(cfg.base_url);
    const { auth: _a, header_names: _h, created_at: _c, updated_at: _u, ...config } = cfg;
    const rt: RuntimeConnection = {
      id,
      ver,
      origin: base.origin,
      basePath: base.pathname.replace(/\/+$/, ''),
      baseQuery: base.search.slice(1),
      auth,
      headers,
      config,
    };
    this.cache.set(id, rt);
    return rt;
  }

  private openTokens(id: string, sealed: string): StoredTokens {
    return JSON.parse(this.ring.open(sealed, TOKENS_CTX(id))) as StoredTokens;
  }

  async readTokens(id: string): Promise<StoredTokens | null> {
    const tok = await this.redis.hget(this.keys.conn(id), 'tok');
    if (!tok) return null;
    if (this.ring.isStale(tok)) await this.reseal(id, 'tok', tok, TOKENS_CTX(id));
    return this.openTokens(id, tok);
  }

  /**
   * Stores tokens if newer than the stored ones (by `obtained_at`); `refreshable` connections
   * join the proactive refresher's schedule. Returns false when a newer copy was already there.
   */
  async writeTokens(id: string, t: StoredTokens, status: ConnectionStatus, extra: Record<string, string> = {}): Promise<boolean> {
    const refreshable = t.refresh_token !== null ? '1' : '0';
    const r = (await this.redis.eval(
      WRITE_TOKENS, 2, this.keys.conn(id), this.keys.expiry,
      this.ring.seal(JSON.stringify(t), TOKENS_CTX(id)), String(t.obtained_at), t.expires_at === null ? '' : String(t.expires_at), status, refreshable, id,
      this.keys.events, ...Object.entries(extra).flat(),
    )) as number;
    if (r === -1) throw notFound(`Connection ${id}`);
    return r === 1;
  }

  /**
   * Forgets the account's tokens (Disconnect): the connection stays, `not_connected` (or
   * `disabled`). Every process notices on its next call: the admit script's token version changes.
   */
  async dropTokens(id: string): Promise<void> {
    const key = this.keys.conn(id);
    const status = await this.redis.hget(key, 'status');
    await this.redis.multi()
      .hdel(key, 'tok', 'tok_at', 'exp', 'wb', 'last_error', 'last_error_at', 'connected_by', 'connected_at')
      .hset(key, 'status', status === 'disabled' ? 'disabled' : 'not_connected')
      .zrem(this.keys.expiry, id)
      .exec();
  }

  async setStatus(id: string, status: ConnectionStatus, error: string | null): Promise<void> {
    const key = this.keys.conn(id);
    const tx = this.redis.multi().hset(key, 'status', status);
    if (error) tx.hset(key, 'last_error', error.slice(0, 1000), 'last_error_at', Date.now());
    if (status === 'expired') tx.zrem(this.keys.expiry, id);
    await tx.publish(this.keys.events, id).exec();
  }

  /** Connections whose access token expires before `until` (ms), soonest first. */
  dueForRefresh(until: number, limit = 100): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.expiry, '-inf', until, 'LIMIT', 0, limit);
  }

  /** Marks that Frappe has not got the latest tokens yet (retried by the refresher). */
  async markWriteBack(id: string, pending: boolean): Promise<void> {
    if (pending) await this.redis.hset(this.keys.conn(id), 'wb', '1');
    else await this.redis.hdel(this.keys.conn(id), 'wb');
  }

  async pendingWriteBacks(): Promise<string[]> {
    const out: string[] = [];
    let cursor = '0';
    const marker = `${this.keys.base}:conn:`;
    do {
      const [next, found] = await this.redis.scan(cursor, 'MATCH', `${marker}*`, 'COUNT', 500);
      cursor = next;
      for (const key of found) if (await this.redis.hexists(key, 'wb')) out.push(key.slice(marker.length));
    } while (cursor !== '0');
    return out;
  }

  private async reseal(id: string, field: 'sec' | 'tok', sealed: string, ctx: string): Promise<boolean> {
    const fresh = this.ring.seal(this.ring.open(sealed, ctx), ctx);
    const r = await this.redis.eval(
      `if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) return 1 end return 0`,
      1, this.keys.conn(id), field, sealed, fresh,
    );
    return r === 1;
  }

  /** Re-seals credentials and tokens under the newest key (`rekey`). */
  async rekey(): Promise<{ scanned: number; rewritten: number }> {
    let scanned = 0;
    let rewritten = 0;
    let cursor = '0';
    const marker = `${this.keys.base}:conn:`;
    do {
      const [next, found] = await this.redis.scan(cursor, 'MATCH', `${marker}*`, 'COUNT', 500);
      cursor = next;
      for (const key of found) {
        const id = key.slice(marker.length);
        const [sec, tok] = await this.redis.hmget(key, 'sec', 'tok');
        if (!sec) continue;
        scanned++;
        let changed = false;
        if (this.ring.isStale(sec)) changed = (await this.reseal(id, 'sec', sec, SECRETS_CTX(id))) || changed;
        if (tok && this.ring.isStale(tok)) changed = (await this.reseal(id, 'tok', tok, TOKENS_CTX(id))) || changed;
        if (changed) rewritten++;
      }
    } while (cursor !== '0');
    return { scanned, rewritten };
  }
}
