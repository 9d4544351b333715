import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import Provider from 'oidc-provider';
import { listenLocal } from '../local-server';

/**
 * A real OAuth 2 / OpenID Connect server for tests (`oidc-provider`, certified), on
 * 127.0.0.1:0: client credentials, authorization code with PKCE required, rotating refresh
 * tokens, revocation, and its development login/consent pages. It also serves a tiny protected
 * API (`/api/...`) that accepts only access tokens the provider issued and that are still
 * valid, so "every call succeeded" means the tokens really worked. Counts token requests.
 */

export const CLIENTS = {
  cc: { id: 'cc-client', secret: 'cc-secret-0123456789' },
  ac: { id: 'ac-client', secret: 'ac-secret-0123456789' },
} as const;
export const REDIRECT_URI = 'https://site.example/integrations/oauth/callback';

export interface TestOAuthServer {
  issuer: string;
  tokenUrl: string;
  authorizeUrl: string;
  /** RFC 7009 revocation endpoint. */
  revokeUrl: string;
  apiUrl: string;
  provider: InstanceType<typeof Provider>;
  /** Every request that reached the token endpoint (`POST /token`). */
  tokenRequests: number;
  /** Successful grants by type (from the provider's own events). */
  grants: Record<string, number>;
  /** The query of every authorization request (`GET /auth`), as the provider received it. */
  authorizeRequests: URLSearchParams[];
  /** Every access token the token endpoint handed out, with its grant type. */
  issued: Array<{ grant_type: string; access_token: string; expires_in: number }>;
  /** Calls to the protected API and how they were judged. */
  apiCalls: { ok: number; rejected: number };
  /** Drives the login and consent pages as a user would (fetch + cookies); returns the redirect's code and state. */
  consent(authorizeUrl: string, login?: string): Promise<{ code: string; state: string }>;
  revoke(token: string, hint: 'refresh_token' | 'access_token'): Promise<void>;
  close(): Promise<void>;
}

export async function startOAuthServer(o: { accessTtlS?: number; redirectUris?: string[] } = {}): Promise<TestOAuthServer> {
  const ttl = o.accessTtlS ?? 3600;
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_q, res) => void res.writeHead(503).end();
  const server = createServer((req, res) => handler(req, res));
  const { url: issuer, close } = await listenLocal(server);

  const provider = new Provider(issuer, {
    clients: [
      { client_id: CLIENTS.cc.id, client_secret: CLIENTS.cc.secret, grant_types: ['client_credentials'], response_types: [], redirect_uris: [] },
      {
        client_id: CLIENTS.ac.id, client_secret: CLIENTS.ac.secret, grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'], redirect_uris: o.redirectUris ?? [REDIRECT_URI], token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    features: { clientCredentials: { enabled: true }, devInteractions: { enabled: true }, revocation: { enabled: true } },
    pkce: { required: () => true },
    scopes: ['openid', 'api:read'],
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    ttl: { AccessToken: ttl, ClientCredentials: ttl, RefreshToken: 86400, AuthorizationCode: 60, Interaction: 600, Session: 3600, Grant: 86400 },
    cookies: { keys: ['test-cookie-key-0123456789'] },
  });
  provider.on('server_error', () => {});

  const s: TestOAuthServer = {
    issuer,
    tokenUrl: `${issuer}/token`,
    authorizeUrl: `${issuer}/auth`,
    revokeUrl: `${issuer}/token/revocation`,
    apiUrl: `${issuer}/api`,
    provider,
    tokenRequests: 0,
    grants: {},
    authorizeRequests: [],
    issued: [],
    apiCalls: { ok: 0, rejected: 0 },
    consent: (url, login = 'alice') => consent(url, login),
    async revoke(token, hint) {
      const res = await fetch(`${issuer}/token/revocation`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${CLIENTS.ac.id}:${CLIENTS.ac.secret}`).toString('base64')}` },
        body: new URLSearchParams({ token, token_type_hint: hint }).toString(),
      });
      if (res.status !== 200) throw new Error(`revocation answered ${res.status}`);
    },
    close,
  };
  provider.on('grant.success', (ctx) => {
    const type = String(ctx.oidc.params?.grant_type);
    s.grants[type] = (s.grants[type] ?? 0) + 1;
    const body = ctx.body as { access_token?: string; expires_in?: number };
    if (body?.access_token) s.issued.push({ grant_type: type, access_token: body.access_token, expires_in: body.expires_in ?? 0 });
  });

  const callback = provider.callback();
  handler = (req, res) => {
    if (req.url?.startsWith('/api/')) return void api(req, res);
    if (req.method === 'POST' && req.url === '/token') s.tokenRequests++;
    if (req.method === 'GET' && req.url?.startsWith('/auth?')) s.authorizeRequests.push(new URL(req.url, issuer).searchParams);
    callback(req, res);
  };

  async function api(req: IncomingMessage, res: ServerResponse) {
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    const token = m ? ((await provider.AccessToken.find(m[1]!)) ?? (await provider.ClientCredentials.find(m[1]!))) : undefined;
    if (!token || token.isExpired) {
      s.apiCalls.rejected++;
      return void res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_token"}');
    }
    s.apiCalls.ok++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ client: token.clientId, account: 'accountId' in token ? token.accountId : null, path: req.url }));
  }

  async function consent(authorizeUrl: string, login: string): Promise<{ code: string; state: string }> {
    const jar = new Map<string, string>();
    const go = async (url: string, init: RequestInit = {}) => {
      const res = await fetch(new URL(url, issuer), {
        ...init,
        redirect: 'manual',
        headers: { ...(init.headers as Record<string, string>), cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') },
      });
      for (const c of res.headers.getSetCookie()) {
        const [pair] = c.split(';');
        const eq = pair!.indexOf('=');
        jar.set(pair!.slice(0, eq), pair!.slice(eq + 1));
      }
      await res.text();
      return res;
    };
    const form = (fields: Record<string, string>) => ({
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
    let res = await go(authorizeUrl);
    for (let step = 0; step < 10; step++) {
      const location = res.headers.get('location');
      if (!location) throw new Error(`authorization stopped at ${res.status} without a redirect`);
      if (location.startsWith(REDIRECT_URI)) {
        const back = new URL(location);
        const code = back.searchParams.get('code');
        if (!code) throw new Error(`provider redirected with ${back.searchParams.get('error')}: ${back.searchParams.get('error_description')}`);
        return { code, state: back.searchParams.get('state')! };
      }
      if (location.includes('/interaction/')) {
        const page = await go(location);
        if (page.status !== 200) throw new Error(`interaction page answered ${page.status}`);
        // The dev pages ask for a login first, then for consent.
        const loggedIn = [...jar.keys()].some((k) => k.startsWith('_session'));
        res = await go(location, form(loggedIn ? { prompt: 'consent' } : { prompt: 'login', login, password: 'any' }));
      } else {
        res = await go(location);
      }
    }
    throw new Error('authorization did not finish within 10 redirects');
  }

  return s;
}
