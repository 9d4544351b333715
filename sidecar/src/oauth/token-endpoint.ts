import { z } from 'zod';
import type { HttpClient } from '../connections/http';
import { OAuthError } from '../connections/errors';
import type { TokenAuth } from '../connections/schemas';
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
    const url = new URL(sa ? auth.token_uri : auth.token_url);
    const params = new URLSearchParams(sa ? grant : { ...auth.token_params, ...grant });
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', 'user-agent': 'integrations-app-sidecar' };
    // A service account's signed assertion (in `grant`) is its whole authentication.
    if (!sa && auth.client_auth === 'basic' && auth.client_secret !== undefined) {
      headers.authorization = `Basic ${Buffer.from(`${formEncode(auth.client_id)}:${formEncode(auth.client_secret)}`).toString('base64')}`;
    } else if (!sa) {
      params.set('client_id', auth.client_id);
      if (auth.client_secret !== undefined) params.set('client_secret', auth.client_secret);
    }
    try {
      this.http.checkHost(url.hostname);
    } catch (err) {
      throw new OAuthError(id, `token endpoint refused: ${(err as Error).message}`, null, false);
    }
    const obtainedAt = Date.now();
    const res = await this.http.request({
      origin: url.origin,
      path: url.pathname + url.search,
      method: 'POST',
      headers,
      body: params.toString(),
      timeoutMs: this.opts.timeoutMs,
      maxResponseBytes: 256 * 1024,
    });
    if (res.error) throw new OAuthError(id, `token endpoint unreachable (${res.error.kind}): ${res.error.message}`, null, res.error.kind !== 'ssrf');
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
}
