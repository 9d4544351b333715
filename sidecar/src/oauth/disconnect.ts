import { AppError } from '../errors';
import { isOAuth, type OAuthConfig } from '../connections/schemas';
import type { ConnectionStore } from '../connections/store';
import type { Logger } from '../observability/logger';
import type { RefreshLock } from './lock';
import type { TokenEndpoint } from './token-endpoint';
import type { TokenManager } from './tokens';

/**
 * `POST /v1/connections/{id}/disconnect`: forgets the account's tokens here and, when the
 * provider has a revocation endpoint (RFC 7009), revokes them there — the refresh token first
 * (which ends the grant, so no copy of it anywhere can mint new access tokens), then the
 * access token. Revocation is best effort: a failure is reported and kept as the connection's
 * last error, but the local disconnect happens anyway (a provider that is down must not keep
 * an account connected here).
 */

export interface RevocationOutcome {
  token: 'refresh_token' | 'access_token';
  ok: boolean;
  error?: string;
}

export interface DisconnectResult {
  connection_id: string;
  status: string;
  /** Empty when the connection held no tokens or its provider has no revocation endpoint. */
  revoked: RevocationOutcome[];
  revocation: 'done' | 'failed' | 'not_supported' | 'nothing_to_revoke';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Disconnector {
  constructor(
    private readonly d: {
      store: ConnectionStore;
      tokens: TokenManager;
      endpoint: TokenEndpoint;
      lock: RefreshLock;
      lockKey: (id: string) => string;
      /** How long to wait for a refresh in flight to finish before taking the tokens anyway. */
      lockWaitMs: number;
      log: Logger;
    },
  ) {}

  async disconnect(id: string): Promise<DisconnectResult> {
    const { store, tokens, lock, lockKey, log } = this.d;
    const rt = await store.load(id);
    if (!isOAuth(rt.auth)) throw new AppError('conflict', `Connection ${id} is not an OAuth connection: disable it instead.`);
    const auth = rt.auth;
    // Hold the refresh lock so that a refresh in flight cannot store new tokens after the drop.
    const until = Date.now() + this.d.lockWaitMs;
    let held = await lock.tryAcquire(lockKey(id));
    while (!held && Date.now() < until) {
      await sleep(50);
      held = await lock.tryAcquire(lockKey(id));
    }
    let current;
    try {
      current = await store.readTokens(id);
      await store.dropTokens(id);
      tokens.forget(id);
    } finally {
      await held?.release();
    }
    const result: DisconnectResult = { connection_id: id, status: 'not_connected', revoked: [], revocation: 'nothing_to_revoke' };
    const view = await store.get(id);
    if (view) result.status = String(view.status);
    if (!current) return result;
    if (!auth.revoke_url) {
      result.revocation = 'not_supported';
      return result;
    }
    const withUrl = auth as OAuthConfig & { revoke_url: string };
    if (current.refresh_token) result.revoked.push(await this.revokeOne(id, withUrl, current.refresh_token, 'refresh_token'));
    result.revoked.push(await this.revokeOne(id, withUrl, current.access_token, 'access_token'));
    const failed = result.revoked.filter((r) => !r.ok);
    result.revocation = failed.length ? 'failed' : 'done';
    if (failed.length) {
      const message = `Disconnected here, but the provider did not confirm revocation: ${failed.map((f) => `${f.token}: ${f.error}`).join('; ')}`;
      await store.setStatus(id, result.status === 'disabled' ? 'disabled' : 'not_connected', message);
      log.warn({ connection: id, failed: failed.map((f) => f.token) }, 'token revocation at the provider failed');
    }
    return result;
  }

  private async revokeOne(id: string, auth: OAuthConfig & { revoke_url: string }, token: string, hint: RevocationOutcome['token']): Promise<RevocationOutcome> {
    try {
      await this.d.endpoint.revoke(id, auth, token, hint);
      return { token: hint, ok: true };
    } catch (err) {
      return { token: hint, ok: false, error: (err as Error).message };
    }
  }
}
