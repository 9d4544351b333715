import type { ConnectionFrappeSync } from '../connections/frappe-sync';
import { ConnectionExpiredError, NotConnectedError, OAuthError } from '../connections/errors';
import type { ConnectionMetrics } from '../connections/metrics';
import { usesTokens, type TokenAuth } from '../connections/schemas';
import { tokensForFrappe, type ConnectionStore, type RuntimeConnection, type StoredTokens } from '../connections/store';
import type { Logger } from '../observability/logger';
import { JWT_BEARER_GRANT, serviceAccountAssertion } from './jwt-assertion';
import type { RefreshLock } from './lock';
import { InvalidGrantError, type TokenEndpoint } from './token-endpoint';

/**
 * Access tokens for OAuth and Google service-account connections, refreshed BEFORE they expire
 * and never twice with the same rotating refresh token, however many callers in however many
 * processes need one:
 *  1. in-process single flight: one refresh per connection per process;
 *  2. the Redis refresh lock between processes; while waiting, re-read the tokens and stop
 *     waiting as soon as another process stored newer ones;
 *  3. re-read after acquiring: a sibling may have refreshed between our read and our lock.
 * `invalid_grant` is only believed after a re-read shows nobody else rotated the token; then
 * the connection is `expired` and Frappe is told. A refresh that fails otherwise while the old
 * token is still valid returns the old token (the next call tries again). A service account
 * has nothing to reconnect: its refused assertion (a wrong or revoked key) is an `oauth_error`
 * and the connection's last error, and the next call signs a new one.
 */

export interface TokenManagerOptions {
  /** How long a caller waits for another process's refresh. @defaultValue 17000 */
  lockWaitMs?: number;
  /** Poll interval while waiting. @defaultValue 50 */
  pollMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class TokenManager {
  private readonly mem = new Map<string, { tokAt: string; tokens: StoredTokens | null }>();
  private readonly inflight = new Map<string, Promise<StoredTokens>>();
  private readonly lockWaitMs: number;
  private readonly pollMs: number;

  constructor(
    private readonly deps: {
      store: ConnectionStore;
      endpoint: TokenEndpoint;
      lock: RefreshLock;
      lockKey: (id: string) => string;
      frappe: ConnectionFrappeSync | null;
      metrics: ConnectionMetrics;
      log: Logger;
    },
    opts: TokenManagerOptions = {},
  ) {
    this.lockWaitMs = opts.lockWaitMs ?? 17_000;
    this.pollMs = opts.pollMs ?? 50;
  }

  /** Refresh this long before expiry: the configured margin, at most half the token's lifetime. */
  static marginMs(t: StoredTokens, auth: TokenAuth): number {
    if (t.expires_at === null) return 0;
    return Math.min(auth.refresh_margin_s * 1000, Math.max(0, (t.expires_at - t.obtained_at) / 2));
  }

  static isFresh(t: StoredTokens, auth: TokenAuth, now: number, lookaheadMs = 0): boolean {
    return t.expires_at === null || now + lookaheadMs < t.expires_at - TokenManager.marginMs(t, auth);
  }

  /**
   * A usable access token. `tokAt` is the stored tokens' version as the admit script saw it;
   * a change means another process refreshed, so the local copy is re-read.
   */
  async accessToken(rt: RuntimeConnection, tokAt: string, lookaheadMs = 0): Promise<StoredTokens> {
    const auth = rt.auth as TokenAuth;
    let m = this.mem.get(rt.id);
    if (!m || m.tokAt !== tokAt) {
      const tokens = await this.deps.store.readTokens(rt.id);
      m = { tokAt: tokens ? String(tokens.obtained_at) : '', tokens };
      this.mem.set(rt.id, m);
    }
    if (m.tokens && TokenManager.isFresh(m.tokens, auth, Date.now(), lookaheadMs)) return m.tokens;
    return this.refresh(rt, m.tokens, lookaheadMs);
  }

  /** Forces a refresh past `seen` (the upstream rejected it with 401). */
  refreshAfterRejection(rt: RuntimeConnection, seen: StoredTokens): Promise<StoredTokens> {
    return this.refresh(rt, { ...seen, expires_at: 0 }, 0);
  }

  /** The tokens this process holds for a connection, to keep them out of logged text. */
  peekSecrets(id: string): string[] {
    const t = this.mem.get(id)?.tokens;
    return t ? [t.access_token, ...(t.refresh_token ? [t.refresh_token] : [])] : [];
  }

  forget(id: string): void {
    this.mem.delete(id);
  }

  private refresh(rt: RuntimeConnection, seen: StoredTokens | null, lookaheadMs: number): Promise<StoredTokens> {
    let p = this.inflight.get(rt.id);
    if (!p) {
      p = this.refreshShared(rt, seen, lookaheadMs).then((t) => {
        this.mem.set(rt.id, { tokAt: String(t.obtained_at), tokens: t });
        return t;
      }).finally(() => this.inflight.delete(rt.id));
      this.inflight.set(rt.id, p);
    }
    return p;
  }

  /** Tokens stored by someone else since `seen`, if they are usable. */
  private usableNewer(t: StoredTokens | null, seen: StoredTokens | null, auth: TokenAuth, lookaheadMs: number): boolean {
    return t !== null && (seen === null || t.obtained_at > seen.obtained_at) && TokenManager.isFresh(t, auth, Date.now(), lookaheadMs);
  }

  private async refreshShared(rt: RuntimeConnection, seen: StoredTokens | null, lookaheadMs: number): Promise<StoredTokens> {
    const { store, lock, lockKey } = this.deps;
    const auth = rt.auth as TokenAuth;
    const until = Date.now() + this.lockWaitMs;
    for (;;) {
      const held = await lock.tryAcquire(lockKey(rt.id));
      if (held) {
        try {
          const current = await store.readTokens(rt.id);
          if (this.usableNewer(current, seen, auth, lookaheadMs)) return current!;
          return await this.grant(rt, current);
        } finally {
          await held.release();
        }
      }
      const current = await store.readTokens(rt.id);
      if (this.usableNewer(current, seen, auth, lookaheadMs)) return current!;
      if (Date.now() > until) {
        if (current && current.expires_at !== null && current.expires_at > Date.now()) return current;
        throw new OAuthError(rt.id, 'another process holds the refresh lock and has not finished', null, true);
      }
      await sleep(this.pollMs * (0.5 + Math.random()));
    }
  }

  /** Runs the grant under the lock and stores the result; `current` is what Redis holds now. */
  private async grant(rt: RuntimeConnection, current: StoredTokens | null): Promise<StoredTokens> {
    const { store, endpoint, metrics, log } = this.deps;
    const auth = rt.auth;
    if (!usesTokens(auth)) throw new Error(`connection ${rt.id} does not use tokens`);
    let grant: Record<string, string>;
    if (auth.type === 'google_service_account') {
      grant = { grant_type: JWT_BEARER_GRANT, assertion: serviceAccountAssertion(auth, Date.now()) };
    } else if (auth.type === 'oauth2_client_credentials') {
      grant = { grant_type: 'client_credentials', ...(auth.scopes.length ? { scope: auth.scopes.join(' ') } : {}) };
    } else {
      if (!current) {
        await this.deps.store.setStatus(rt.id, 'not_connected', null);
        throw new NotConnectedError(rt.id);
      }
      if (!current.refresh_token) {
        if (current.expires_at !== null && current.expires_at > Date.now()) return current;
        const reason = 'the access token expired and the provider gave no refresh token';
        await this.expire(rt.id, reason);
        throw new ConnectionExpiredError(rt.id, reason);
      }
      grant = { grant_type: 'refresh_token', refresh_token: current.refresh_token };
    }
    try {
      const next = await endpoint.request(rt.id, auth, grant, current?.refresh_token ?? null);
      await store.writeTokens(rt.id, next, 'connected');
      metrics.tokenRefreshes.inc({ connection: rt.id, result: 'ok' });
      // Frappe keeps OAuth tokens to recover them; a service account can always sign anew.
      if (auth.type !== 'google_service_account') this.writeBack(rt.id, next);
      return next;
    } catch (err) {
      if (err instanceof InvalidGrantError && auth.type === 'google_service_account') {
        metrics.tokenRefreshes.inc({ connection: rt.id, result: 'invalid_grant' });
        const reason = `the token endpoint refused the service-account assertion (invalid_grant: ${err.message.slice(0, 200)})`;
        await store.setStatus(rt.id, 'error', reason);
        throw new OAuthError(rt.id, reason, 'invalid_grant', false);
      }
      if (err instanceof InvalidGrantError) {
        const again = await store.readTokens(rt.id);
        if (again && current && again.obtained_at > current.obtained_at) return again;
        metrics.tokenRefreshes.inc({ connection: rt.id, result: 'invalid_grant' });
        const reason = `the provider rejected the ${auth.type === 'oauth2_client_credentials' ? 'client credentials' : 'refresh token'} (invalid_grant)`;
        await this.expire(rt.id, reason);
        throw new ConnectionExpiredError(rt.id, reason);
      }
      metrics.tokenRefreshes.inc({ connection: rt.id, result: 'error' });
      log.warn({ connection: rt.id, err: (err as Error).message }, 'token refresh failed');
      if (current && current.expires_at !== null && current.expires_at > Date.now()) return current;
      throw err;
    }
  }

  private async expire(id: string, reason: string): Promise<void> {
    await this.deps.store.setStatus(id, 'expired', reason);
    this.mem.delete(id);
    this.deps.log.warn({ connection: id, reason }, 'connection expired');
    this.deps.frappe?.reportStatus(id, 'expired', reason).catch((err: Error) => this.deps.log.warn({ connection: id, err: err.message }, 'could not tell Frappe the connection expired'));
  }

  /**
   * Hands new tokens to Frappe (its Password fields are the recovery copy). Not awaited by the
   * call; a failure marks the connection so the refresher sends them again.
   */
  writeBack(id: string, t: StoredTokens, extra: { connected_by?: string; connected_at?: string } = {}): Promise<void> {
    const { frappe, store, log } = this.deps;
    if (!frappe) return Promise.resolve();
    return frappe.storeTokens(id, tokensForFrappe(t), extra).then(
      () => store.markWriteBack(id, false),
      async (err: Error) => {
        log.warn({ connection: id, err: err.message }, 'token write-back to Frappe failed; will retry');
        await store.markWriteBack(id, true).catch(() => {});
      },
    );
  }

  /** Re-sends the stored tokens of a connection whose write-back failed. */
  async retryWriteBack(id: string): Promise<void> {
    const t = await this.deps.store.readTokens(id);
    if (t) await this.writeBack(id, t);
    else await this.deps.store.markWriteBack(id, false);
  }
}
