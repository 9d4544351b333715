import { z } from 'zod';
import type { HttpClient } from '../connections/http';
import { OAuthError } from '../connections/errors';
import type { OAuthConfig, TokenAuth } from '../connections/schemas';
import type { StoredTokens } from '../connections/store';

/**
 * Requests to a provider's token endpoint (RFC 6749 §4.1.3, §4.4, §6; RFC 7523 §2.1): form-encoded,
 * an OAuth client authenticated by HTTP Basic or in the body (a service account's assertion
 * authenticates itself), through the same SSRF-guarded client as
 * proxied calls. Never logs or returns the request; error messages carry the provider's
 * `error` code and description only.
 */

/** The refresh token was revoked, expired or already used: only a reconnect helps. */
export class InvalidGrantError extends Error {
  override name = 'InvalidGrantError';
}

const TokenReply = z.object({
  access_token: z.string().min(1),
  token_type: z.string().default('Bearer'),
  expires_in: z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]).optional(),
  refresh_token: z.string().min(1).optional(),
  scope: z.string().optional(),
});

const ErrorReply = z.object({ error: z.string(), error_description: z.string().optional() });

/** RFC 6749 §2.3.1: client id and secret are form-encoded before Basic encoding. */
const formEncode = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');

export interface TokenRequestOptions {
  /** Deadline of the request. */
  timeoutMs: number;
}

export class TokenEndpoint {
  constructor(
    private readonly http: HttpClient,
    private readonly opts: TokenRequestOptions,
  ) {}

  /**
   * Sends a grant and returns the new tokens. A refresh reply without a refresh token keeps
   * the old one (providers that do not rotate).
   * @throws InvalidGrantError for `invalid_grant`; OAuthError for anything else.
   */
  async request(id: string, auth: TokenAuth, grant: Record<string, string>, previousRefresh: string | null = null): Promise<StoredTokens> {
    const sa = auth.type === 'google_service_account';
    const obtainedAt = Date.now();
    const res = await this.post(id, 'token', sa ? auth.token_uri : auth.token_url, auth, new URLSearchParams(sa ? grant : { ...auth.token_params, ...grant }));
    let json: unknown = null;
    try {
      json = JSON.parse(res.body.toString('utf8'));
    } catch {
      // Reported below with the status.
    }
    const status = res.status!;
    if (status < 200 || status >= 300) {
      const e = ErrorReply.safeParse(json);
      if (e.success && e.data.error === 'invalid_grant') throw new InvalidGrantError(e.data.error_description ?? 'invalid_grant');
      const what = e.success ? `${e.data.error}${e.data.error_description ? `: ${e.data.error_description.slice(0, 200)}` : ''}` : `status ${status}`;
      throw new OAuthError(id, `token endpoint answered ${status} (${what})`, e.success ? e.data.error : null, status >= 500 || status === 429);
    }
    const ok = TokenReply.safeParse(json);
    if (!ok.success) throw new OAuthError(id, 'token endpoint sent a reply without access_token', null, true);
    // Google always sends expires_in; an hour is its tokens' lifetime when a stand-in does not.
    const lifetime = ok.data.expires_in ?? (sa ? 3600 : auth.default_token_lifetime_s);
    return {
      access_token: ok.data.access_token,
      refresh_token: ok.data.refresh_token ?? previousRefresh,
      // RFC 6750 names the scheme `Bearer`; some providers send `bearer`.
      token_type: /^bearer$/i.test(ok.data.token_type) ? 'Bearer' : ok.data.token_type,
      scope: ok.data.scope ?? (auth.scopes.length ? auth.scopes.join(' ') : null),
      expires_at: obtainedAt + lifetime * 1000,
      obtained_at: obtainedAt,
    };
  }

  /**
   * RFC 7009: asks the provider to revoke one token (a refresh token revokes its grant). 200 is
   * success, also for a token the provider no longer knows (§2.2).
   * @throws OAuthError naming the provider's `error` code, never the token.
   */
  async revoke(id: string, auth: OAuthConfig & { revoke_url: string }, token: string, hint: 'refresh_token' | 'access_token'): Promise<void> {
    const res = await this.post(id, 'revocation', auth.revoke_url, auth, new URLSearchParams({ token, token_type_hint: hint }));
    if (res.status === 200) return;
    let json: unknown = null;
    try {
      json = JSON.parse(res.body.toString('utf8'));
    } catch {
      // Reported with the status.
    }
    const e = ErrorReply.safeParse(json);
    throw new OAuthError(id, `revocation endpoint answered ${res.status}${e.success ? ` (${e.data.error})` : ''}`, e.success ? e.data.error : null, (res.status ?? 0) >= 500 || res.status === 429);
  }

  /** A form POST with the client authenticated as configured (RFC 6749 §2.3.1); network errors throw. */
  private async post(id: string, what: string, target: string, auth: TokenAuth, params: URLSearchParams) {
    const url = new URL(target);
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', 'user-agent': 'integrations-app-sidecar' };
    if (auth.type === 'google_service_account') {
      // A service account's signed assertion (in `params`) is its whole authentication.
    } else if (auth.client_auth === 'basic' && auth.client_secret !== undefined) {
      headers.authorization = `Basic ${Buffer.from(`${formEncode(auth.client_id)}:${formEncode(auth.client_secret)}`).toString('base64')}`;
    } else {
      params.set('client_id', auth.client_id);
      if (auth.client_secret !== undefined) params.set('client_secret', auth.client_secret);
    }
    try {
      this.http.checkHost(url.hostname);
    } catch (err) {
      throw new OAuthError(id, `${what} endpoint refused: ${(err as Error).message}`, null, false);
    }
    const res = await this.http.request({
      origin: url.origin,
      path: url.pathname + url.search,
      method: 'POST',
      headers,
      body: params.toString(),
      timeoutMs: this.opts.timeoutMs,
      maxResponseBytes: 256 * 1024,
    });
    if (res.error) throw new OAuthError(id, `${what} endpoint unreachable (${res.error.kind}): ${res.error.message}`, null, res.error.kind !== 'ssrf');
    return res;
  }
}
