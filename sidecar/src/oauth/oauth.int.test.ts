import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropPrefix } from '../../test/helpers';
import { FrappeClient } from '../frappe/client';
import { startConnectionsHarness, type ConnectionsHarness } from '../../test/connections/harness';
import { startFrappeStandin, type FrappeStandin } from '../../test/connections/frappe';
import { CLIENTS, REDIRECT_URI, startOAuthServer, type TestOAuthServer } from '../../test/oauth/provider';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const USER = 'admin@site.example';

/** Waits until the connection's access token is inside its refresh margin (but still valid). */
async function untilStale(h: ConnectionsHarness, id: string, marginMs: number) {
  const view = (await (await h.api(`/v1/connections/${id}`)).json()) as any;
  const exp = Date.parse(view.token.expires_at);
  await sleep(Math.max(0, exp - marginMs - Date.now() + 50));
  return view;
}

describe('OAuth 2 against a real provider (oidc-provider)', () => {
  let server: TestOAuthServer;
  let frappe: FrappeStandin;
  let h: ConnectionsHarness;
  beforeAll(async () => {
    server = await startOAuthServer({ accessTtlS: 4 });
    frappe = await startFrappeStandin();
    h = await startConnectionsHarness({ frappe: new FrappeClient({ url: frappe.url, apiKey: 'k', apiSecret: 's', timeoutMs: 2000 }), connections: { refresher: { intervalMs: 3_600_000 } } });
  });
  afterAll(async () => {
    await h.close();
    await frappe.close();
    await server.close();
  });

  const acConfig = () => ({
    base_url: server.apiUrl,
    auth: {
      type: 'oauth2_authorization_code', authorize_url: server.authorizeUrl, token_url: server.tokenUrl,
      client_id: CLIENTS.ac.id, client_secret: CLIENTS.ac.secret, scopes: ['openid', 'api:read'],
    },
  });

  async function connect(id: string, user = USER) {
    await h.put(id, acConfig());
    frappe.configs.set(id, acConfig());
    const start = (await (await h.api(`/v1/connections/${id}/oauth/start`, { method: 'POST', json: { user, redirect_uri: REDIRECT_URI } })).json()) as any;
    const { code, state } = await server.consent(start.authorize_url);
    expect(state).toBe(start.state);
    const res = await h.api('/v1/oauth/callback', { method: 'POST', json: { state, code, user } });
    expect(res.status).toBe(200);
    return res.json() as Promise<any>;
  }

  it('client credentials: one token for many calls, a new one shortly before expiry', async () => {
    await h.put('cc', { base_url: server.apiUrl, auth: { type: 'oauth2_client_credentials', token_url: server.tokenUrl, client_id: CLIENTS.cc.id, client_secret: CLIENTS.cc.secret } });
    const before = server.tokenRequests;
    for (let i = 0; i < 3; i++) expect((await h.proxy('cc', { method: 'GET', path: '/things' })).body).toMatchObject({ status: 200, body: expect.stringContaining('"client":"cc-client"') });
    expect(server.tokenRequests - before).toBe(1);
    const view = await untilStale(h, 'cc', 2000);
    expect(JSON.stringify(view)).not.toMatch(/access_token|cc-secret/);
    expect((await h.proxy('cc', { method: 'GET', path: '/things' })).body.status).toBe(200);
    expect(server.tokenRequests - before).toBe(2);
    expect(server.apiCalls.rejected).toBe(0);
  });

  it('authorization code + PKCE S256 + state: connects, writes the tokens back to Frappe, and calls succeed', async () => {
    await h.put('ac', acConfig());
    expect((await h.proxy('ac', { method: 'GET', path: '/me' })).body.error.code).toBe('not_connected');
    const start = (await (await h.api('/v1/connections/ac/oauth/start', { method: 'POST', json: { user: USER, redirect_uri: REDIRECT_URI } })).json()) as any;
    const url = new URL(start.authorize_url);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('state')).toBe(start.state);
    const { code, state } = await server.consent(start.authorize_url);
    const done = (await (await h.api('/v1/oauth/callback', { method: 'POST', json: { state, code, user: USER } })).json()) as any;
    expect(done).toMatchObject({ connection_id: 'ac', status: 'connected', connected_by: USER });
    const again = await h.api('/v1/oauth/callback', { method: 'POST', json: { state, code, user: USER } });
    expect(again.status).toBe(400);
    expect(((await again.json()) as any).error.code).toBe('oauth_state_invalid');

    const r = await h.proxy('ac', { method: 'GET', path: '/me' });
    expect(r.body).toMatchObject({ status: 200, body: expect.stringContaining('"account":"alice"') });
    const view = (await (await h.api('/v1/connections/ac')).json()) as any;
    expect(view).toMatchObject({ status: 'connected', connected_by: USER, token: { has_refresh_token: true } });
    const stored = (await h.module.store.readTokens('ac'))!;
    for (const secret of [stored.access_token, stored.refresh_token!, CLIENTS.ac.secret]) expect(JSON.stringify(view)).not.toContain(secret);
    const raw = JSON.stringify(await h.ctx.redis.hgetall(`${h.prefix}:cn:conn:ac`));
    for (const secret of [stored.access_token, stored.refresh_token!, CLIENTS.ac.secret]) expect(raw).not.toContain(secret);
    const wb = frappe.callsOf('storeTokens').filter((c) => c.connection_id === 'ac');
    expect(wb).toHaveLength(1);
    expect(wb[0]).toMatchObject({ status: 'connected', connected_by: USER, tokens: { token_type: 'Bearer', refresh_token: expect.any(String), access_token: expect.any(String) } });
  });

  it('binds state to the user who started the flow', async () => {
    await h.put('ac-user', acConfig());
    const start = (await (await h.api('/v1/connections/ac-user/oauth/start', { method: 'POST', json: { user: USER, redirect_uri: REDIRECT_URI } })).json()) as any;
    const { code, state } = await server.consent(start.authorize_url);
    const res = await h.api('/v1/oauth/callback', { method: 'POST', json: { state, code, user: 'intruder@site.example' } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error).toMatchObject({ code: 'oauth_state_invalid', message: expect.stringContaining('another user') });
    expect(((await (await h.api('/v1/connections/ac-user')).json()) as any).status).toBe('not_connected');
  });

  it('refreshes before expiry with a rotated refresh token; the old one is spent', async () => {
    await connect('rot');
    const first = await h.module.store.readTokens('rot');
    const grantsBefore = server.grants.refresh_token ?? 0;
    await untilStale(h, 'rot', 2000);
    expect((await h.proxy('rot', { method: 'GET', path: '/me' })).body.status).toBe(200);
    expect((server.grants.refresh_token ?? 0) - grantsBefore).toBe(1);
    const second = await h.module.store.readTokens('rot');
    expect(second!.refresh_token).not.toBe(first!.refresh_token);
    expect(second!.obtained_at).toBeGreaterThan(first!.obtained_at);
    // Reusing the rotated-out token is refused by the provider.
    const reuse = await fetch(server.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${CLIENTS.ac.id}:${CLIENTS.ac.secret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: first!.refresh_token! }).toString(),
    });
    expect(((await reuse.json()) as any).error).toBe('invalid_grant');
    await expect.poll(() => frappe.callsOf('storeTokens').filter((c) => c.connection_id === 'rot').map((c) => c.tokens.refresh_token)).toContain(second!.refresh_token);
  });

  it('a revoked refresh token marks the connection expired and tells Frappe', async () => {
    await connect('rev');
    const t = await h.module.store.readTokens('rev');
    await server.revoke(t!.refresh_token!, 'refresh_token');
    await untilStale(h, 'rev', 2000);
    const r = await h.proxy('rev', { method: 'GET', path: '/me' });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('connection_expired');
    expect(((await (await h.api('/v1/connections/rev')).json()) as any)).toMatchObject({ status: 'expired', last_error: expect.stringContaining('invalid_grant') });
    await expect.poll(() => frappe.callsOf('status').filter((c) => c.connection_id === 'rev')).toEqual([expect.objectContaining({ status: 'expired' })]);
    const requests = server.tokenRequests;
    expect((await h.proxy('rev', { method: 'GET', path: '/me' })).body.error.code).toBe('connection_expired');
    expect(server.tokenRequests).toBe(requests);
  });

  it('after Redis is flushed, the connection and its tokens come back from Frappe without reconnecting', async () => {
    await connect('flush');
    await expect.poll(() => frappe.configs.get('flush')?.tokens).toBeTruthy();
    const exchanges = server.grants.authorization_code;
    await dropPrefix(h.prefix);
    const r = await h.proxy('flush', { method: 'GET', path: '/me' });
    expect(r.body).toMatchObject({ status: 200 });
    expect(server.grants.authorization_code).toBe(exchanges);
    expect(((await (await h.api('/v1/connections/flush')).json()) as any).status).toBe('connected');
  });

  it('a PUT moving the base URL to another host drops the tokens; the same config keeps them', async () => {
    await connect('moved');
    await h.put('moved', acConfig());
    expect(((await (await h.api('/v1/connections/moved')).json()) as any)).toMatchObject({ status: 'connected', token: { has_refresh_token: true } });
    const elsewhere = server.apiUrl.replace('127.0.0.1', 'localhost');
    const view = await h.put('moved', { ...acConfig(), base_url: elsewhere });
    expect(view).toMatchObject({ status: 'not_connected', token: null });
    expect(await h.module.store.readTokens('moved')).toBeNull();
    const requests = server.tokenRequests;
    expect((await h.proxy('moved', { method: 'GET', path: '/me' })).body.error.code).toBe('not_connected');
    expect(server.tokenRequests).toBe(requests);
  });

  it('a PUT with another client id or token URL drops the tokens', async () => {
    await connect('client');
    const other = { ...acConfig(), auth: { ...acConfig().auth, token_url: `${server.tokenUrl}?v=2` } };
    expect(await h.put('client', other)).toMatchObject({ status: 'not_connected', token: null });
    await connect('client2');
    const cc = { base_url: server.apiUrl, auth: { type: 'oauth2_client_credentials', token_url: server.tokenUrl, client_id: CLIENTS.cc.id, client_secret: CLIENTS.cc.secret } };
    expect(await h.put('client2', cc)).toMatchObject({ status: 'connected', token: null });
  });

  const revocable = () => ({ ...acConfig(), auth: { ...acConfig().auth, revoke_url: server.revokeUrl } });
  const refreshWith = async (refreshToken: string) => {
    const res = await fetch(server.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${CLIENTS.ac.id}:${CLIENTS.ac.secret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(),
    });
    return { status: res.status, body: (await res.json()) as any };
  };

  it('Disconnect revokes the refresh token, then the access token, at the provider (RFC 7009)', async () => {
    await h.put('bye', revocable());
    frappe.configs.set('bye', revocable());
    const start = (await (await h.api('/v1/connections/bye/oauth/start', { method: 'POST', json: { user: USER, redirect_uri: REDIRECT_URI } })).json()) as any;
    const { code, state } = await server.consent(start.authorize_url);
    expect((await h.api('/v1/oauth/callback', { method: 'POST', json: { state, code, user: USER } })).status).toBe(200);
    const t = (await h.module.store.readTokens('bye'))!;
    expect((await fetch(`${server.apiUrl}/me`, { headers: { authorization: `Bearer ${t.access_token}` } })).status).toBe(200);

    const res = await h.api('/v1/connections/bye/disconnect', { method: 'POST' });
    expect(res.status).toBe(200);
    const out = (await res.json()) as any;
    expect(out).toEqual({
      connection_id: 'bye', status: 'not_connected', revocation: 'done',
      revoked: [{ token: 'refresh_token', ok: true }, { token: 'access_token', ok: true }],
    });
    for (const secret of [t.access_token, t.refresh_token!]) expect(JSON.stringify(out)).not.toContain(secret);
    // The provider no longer honours either token.
    expect((await refreshWith(t.refresh_token!)).body.error).toBe('invalid_grant');
    expect((await fetch(`${server.apiUrl}/me`, { headers: { authorization: `Bearer ${t.access_token}` } })).status).toBe(401);
    // And locally the account is gone: calls say not connected, no token request is made.
    expect(await h.module.store.readTokens('bye')).toBeNull();
    const requests = server.tokenRequests;
    expect((await h.proxy('bye', { method: 'GET', path: '/me' })).body.error.code).toBe('not_connected');
    expect(server.tokenRequests).toBe(requests);
  });

  it('Disconnect still disconnects when revocation fails, and records why', async () => {
    const dead = { ...acConfig(), auth: { ...acConfig().auth, revoke_url: `${server.issuer}/no-such-revocation` } };
    await h.put('bye-fail', dead);
    frappe.configs.set('bye-fail', dead);
    const start = (await (await h.api('/v1/connections/bye-fail/oauth/start', { method: 'POST', json: { user: USER, redirect_uri: REDIRECT_URI } })).json()) as any;
    const { code, state } = await server.consent(start.authorize_url);
    expect((await h.api('/v1/oauth/callback', { method: 'POST', json: { state, code, user: USER } })).status).toBe(200);
    const t = (await h.module.store.readTokens('bye-fail'))!;
    const out = (await (await h.api('/v1/connections/bye-fail/disconnect', { method: 'POST' })).json()) as any;
    expect(out).toMatchObject({ status: 'not_connected', revocation: 'failed', revoked: [{ token: 'refresh_token', ok: false }, { token: 'access_token', ok: false }] });
    expect(out.revoked[0].error).toMatch(/revocation endpoint answered 404/);
    const view = (await (await h.api('/v1/connections/bye-fail')).json()) as any;
    expect(view).toMatchObject({ status: 'not_connected', token: null, last_error: expect.stringContaining('did not confirm revocation') });
    expect(JSON.stringify(view)).not.toContain(t.refresh_token!);
    // Not revoked: the provider would still take it — which is what the recorded error says.
    expect((await refreshWith(t.refresh_token!)).status).toBe(200);
  });

  it('Disconnect without a revocation endpoint only forgets; a non-OAuth connection is refused', async () => {
    await connect('bye-plain');
    const out = (await (await h.api('/v1/connections/bye-plain/disconnect', { method: 'POST' })).json()) as any;
    expect(out).toEqual({ connection_id: 'bye-plain', status: 'not_connected', revoked: [], revocation: 'not_supported' });
    await h.put('key', { base_url: server.apiUrl, auth: { type: 'bearer', token: 'x' } });
    const res = await h.api('/v1/connections/key/disconnect', { method: 'POST' });
    expect(res.status).toBe(409);
    expect((await h.api('/v1/connections/nope/disconnect', { method: 'POST' })).status).toBe(404);
  });
});

describe('proactive refresh', () => {
  it('refreshes an idle connection before its token expires', async () => {
    const server = await startOAuthServer({ accessTtlS: 4 });
    const h = await startConnectionsHarness({ connections: { refresher: { intervalMs: 300 } } });
    try {
      await h.put('idle', {
        base_url: server.apiUrl,
        auth: { type: 'oauth2_authorization_code', authorize_url: server.authorizeUrl, token_url: server.tokenUrl, client_id: CLIENTS.ac.id, client_secret: CLIENTS.ac.secret, scopes: ['openid'] },
      });
      const start = (await (await h.api('/v1/connections/idle/oauth/start', { method: 'POST', json: { user: USER, redirect_uri: REDIRECT_URI } })).json()) as any;
      const { code, state } = await server.consent(start.authorize_url);
      expect((await h.api('/v1/oauth/callback', { method: 'POST', json: { state, code, user: USER } })).status).toBe(200);
      const first = (await h.module.store.readTokens('idle'))!;
      await expect.poll(async () => (await h.module.store.readTokens('idle'))!.obtained_at, { timeout: 5000, interval: 100 }).toBeGreaterThan(first.obtained_at);
      // Refreshed while the old token was still valid: never a gap.
      expect(Date.now()).toBeLessThan(first.expires_at! + 500);
      expect(server.grants.refresh_token).toBeGreaterThanOrEqual(1);
    } finally {
      await h.close();
      await server.close();
    }
  });
});
