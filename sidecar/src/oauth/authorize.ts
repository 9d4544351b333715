import type { Redis } from 'ioredis';
import { AppError } from '../errors';
import { OAuthError, OAuthStateError } from '../connections/errors';
import type { ConnectionKeys } from '../connections/keys';
import { STATE_CTX, type ConnectionStore } from '../connections/store';
import type { KeyRing } from '../secrets/keyring';
import { challengeS256, newState, newVerifier } from './pkce';
import type { TokenEndpoint } from './token-endpoint';
import { InvalidGrantError } from './token-endpoint';
import type { TokenManager } from './tokens';

/**
 * The authorization-code flow with PKCE (S256) and a single-use `state` bound to the user who
 * started it. `start` keeps {connection, user, redirect_uri, verifier} sealed in Redis under the
 * state for {@link STATE_TTL_S}; `callback` takes it with GETDEL (so a state is redeemed at
 * most once, even by two racing callbacks), checks the user, and exchanges the code.
 */

export const STATE_TTL_S = 600;

interface PendingFlow {
  connection_id: string;
  user: string;
  redirect_uri: string;
  verifier: string | null;
  started_at: number;
}

export class AuthorizationFlow {
  constructor(
    private readonly d: { redis: Redis; keys: ConnectionKeys; ring: KeyRing; store: ConnectionStore; endpoint: TokenEndpoint; tokens: TokenManager },
  ) {}

  async start(id: string, user: string, redirectUri: string): Promise<{ authorize_url: string; state: string; expires_at: string }> {
    const rt = await this.d.store.load(id);
    const auth = rt.auth;
    if (auth.type !== 'oauth2_authorization_code') throw new AppError('conflict', `Connection ${id} does not use the authorization-code flow.`);
    const state = newState();
    const verifier = auth.pkce ? newVerifier() : null;
    const flow: PendingFlow = { connection_id: id, user, redirect_uri: redirectUri, verifier, started_at: Date.now() };
    await this.d.redis.set(this.d.keys.state(state), this.d.ring.seal(JSON.stringify(flow), STATE_CTX(state)), 'EX', STATE_TTL_S);
    const url = new URL(auth.authorize_url);
    const params: Record<string, string> = {
      ...auth.authorize_params,
      response_type: 'code',
      client_id: auth.client_id,
      redirect_uri: redirectUri,
      state,
      ...(auth.scopes.length ? { scope: auth.scopes.join(' ') } : {}),
      ...(verifier ? { code_challenge: challengeS256(verifier), code_challenge_method: 'S256' } : {}),
    };
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    return { authorize_url: url.toString(), state, expires_at: new Date(flow.started_at + STATE_TTL_S * 1000).toISOString() };
  }

  async callback(input: { state: string; user: string; code?: string; error?: string; error_description?: string }) {
    const raw = await this.d.redis.getdel(this.d.keys.state(input.state));
    if (!raw) throw new OAuthStateError('unknown, already used or expired');
    const flow = JSON.parse(this.d.ring.open(raw, STATE_CTX(input.state))) as PendingFlow;
    if (flow.user !== input.user) throw new OAuthStateError('it was started by another user');
    const id = flow.connection_id;
    if (input.error) {
      const reason = `authorization refused by the provider: ${input.error}${input.error_description ? ` (${input.error_description.slice(0, 200)})` : ''}`;
      await this.d.store.setStatus(id, 'error', reason).catch(() => {});
      throw new OAuthError(id, reason, input.error, false);
    }
    const rt = await this.d.store.load(id);
    if (rt.auth.type !== 'oauth2_authorization_code') throw new AppError('conflict', `Connection ${id} no longer uses the authorization-code flow.`);
    let tokens;
    try {
      tokens = await this.d.endpoint.request(id, rt.auth, {
        grant_type: 'authorization_code',
        code: input.code!,
        redirect_uri: flow.redirect_uri,
        ...(flow.verifier ? { code_verifier: flow.verifier } : {}),
      });
    } catch (err) {
      if (err instanceof InvalidGrantError) throw new OAuthError(id, `the provider refused the authorization code: ${err.message}`, 'invalid_grant', false);
      throw err;
    }
    const connectedAt = new Date().toISOString();
    await this.d.store.writeTokens(id, tokens, 'connected', { connected_by: input.user, connected_at: String(Date.parse(connectedAt)) });
    this.d.tokens.forget(id);
    void this.d.tokens.writeBack(id, tokens, { connected_by: input.user, connected_at: connectedAt });
    return {
      connection_id: id,
      status: 'connected' as const,
      expires_at: tokens.expires_at === null ? null : new Date(tokens.expires_at).toISOString(),
      scope: tokens.scope,
      connected_by: input.user,
      connected_at: connectedAt,
    };
  }
}
