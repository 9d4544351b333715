import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropPrefix, uniquePrefix } from '../../test/helpers';
import { SidecarProcess } from '../../test/sidecar-process';
import { newKeyEntry } from '../secrets/keyring';
import { CLIENTS, REDIRECT_URI, startOAuthServer, type TestOAuthServer } from '../../test/oauth/provider';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The refresh race: 50 concurrent calls through two sidecar processes on a token about to
 * expire, with rotating refresh tokens. Exactly one refresh may reach the provider (a second
 * would redeem a spent refresh token and, with oidc-provider, revoke the grant).
 */
describe('refresh race across two sidecar processes', () => {
  const prefix = uniquePrefix('race');
  const env = { SECRETS_KEYS: newKeyEntry('k1') };
  const procs = [new SidecarProcess(prefix, env), new SidecarProcess(prefix, env)];
  let server: TestOAuthServer;
  beforeAll(async () => {
    server = await startOAuthServer({ accessTtlS: 8 });
    await Promise.all(procs.map((p) => p.start()));
  }, 60_000);
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    await server.close();
    await dropPrefix(prefix);
  });

  it('50 calls, 2 processes, a token inside its refresh margin: one refresh request, every call succeeds', async () => {
    const [a, b] = procs as [SidecarProcess, SidecarProcess];
    const put = await a.api('PUT', '/v1/connections/race', {
      base_url: server.apiUrl,
      auth: {
        type: 'oauth2_authorization_code', authorize_url: server.authorizeUrl, token_url: server.tokenUrl,
        client_id: CLIENTS.ac.id, client_secret: CLIENTS.ac.secret, scopes: ['openid'], refresh_margin_s: 4,
      },
    });
    expect(put.status).toBe(200);
    const start = await a.api('POST', '/v1/connections/race/oauth/start', { user: 'u@x', redirect_uri: REDIRECT_URI });
    const { code, state } = await server.consent(start.body.authorize_url);
    expect((await b.api('POST', '/v1/oauth/callback', { state, code, user: 'u@x' })).status).toBe(200);

    // Warm both processes' caches and sockets while the token is fresh (no refresh yet).
    await Promise.all(procs.map((p) => p.api('POST', '/v1/connections/race/proxy', { method: 'GET', path: '/warm' })));
    const view = (await a.api('GET', '/v1/connections/race')).body;
    const exp = Date.parse(view.token.expires_at);
    await sleep(exp - 4000 - Date.now() + 100);
    expect(Date.now()).toBeLessThan(exp);

    const tokenRequests = server.tokenRequests;
    const refreshes = server.grants.refresh_token ?? 0;
    const calls = Array.from({ length: 50 }, (_, i) => procs[i % 2]!.api('POST', '/v1/connections/race/proxy', { method: 'GET', path: `/call/${i}` }));
    const results = await Promise.all(calls);
    expect(results.map((r) => r.body.status ?? r.body.error?.code)).toEqual(Array(50).fill(200));
    expect(server.tokenRequests - tokenRequests).toBe(1);
    expect((server.grants.refresh_token ?? 0) - refreshes).toBe(1);
    expect(server.apiCalls.rejected).toBe(0);
    console.log(`refresh race: ${server.tokenRequests - tokenRequests} token request(s) for 50 calls across 2 processes`);
  });
});
