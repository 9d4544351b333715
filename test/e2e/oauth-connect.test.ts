/**
 * Authorization code + PKCE end to end in Chromium: the SPA's Connections page → Connect → the
 * provider's login and consent pages → the site's callback → Connected, then a call through the
 * sidecar with the token the provider issued.
 *
 * Real parts: a sidecar process (`src/main.ts`) on the test Redis; `oidc-provider` with PKCE
 * required and rotating refresh tokens (sidecar/test/oauth/provider.ts); an upstream API on
 * 127.0.0.1 that checks the Bearer token with the provider; the built SPA on the stand-in site,
 * whose Connections methods follow the Python code and call the sidecar as it does
 * (connections-site.ts). Chromium may reach 127.0.0.1 only.
 */
import { createServer } from 'node:http'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listenLocal, type LocalServer } from '../../sidecar/test/local-server'
import { CLIENTS, startOAuthServer, type TestOAuthServer } from '../../sidecar/test/oauth/provider'
import type { SidecarProcess } from '../../sidecar/test/sidecar-process'
import { IntegrationsApp } from './app-page'
import { openBrowser, type BrowserSession } from './browser'
import { serveConnections, type ConnectionRecord, type ConnectionsSite } from './connections-site'
import { closeSuite, startSiteSidecar } from './site-parts'
import { startStandin, type Standin } from './standin-server'

const CALLBACK = 'integrations_app.api.connections.oauth_callback'
const SIDECAR_TOKEN = 'e2e-sidecar-token-0123456789abcdef'
const SIDECAR_USER = 'sidecar@integrations.example'
const SECOND_MANAGER = 'second.manager@integrations.example'
const SITE_TZ = 'Asia/Kolkata'

let site: Standin
let connections: ConnectionsSite
let provider: TestOAuthServer
let sidecar: SidecarProcess
let upstream: LocalServer & { seen: Array<{ path: string; authorization: string | undefined; account: string | null }> }
let session: BrowserSession
let app: IntegrationsApp
let connection: ConnectionRecord

/** Hosts a browser context tried to reach besides 127.0.0.1 (refused). */
const blocked = new Set<string>()
/** Keeps a browser context on this machine: the provider's development pages import a web font. */
async function localOnly(context: BrowserContext) {
  await context.route(
    (url) => url.hostname !== '127.0.0.1',
    (route) => {
      blocked.add(new URL(route.request().url()).hostname)
      return route.abort('blockedbyclient')
    },
  )
}
/** Console errors, but for the refused web font. */
const pageErrors = () => session.errors.filter((e) => !e.includes('net::ERR_BLOCKED_BY_CLIENT'))

/** An API that answers only Bearer tokens the provider issued and still honours. */
async function startUpstream(oauth: TestOAuthServer) {
  const seen: Array<{ path: string; authorization: string | undefined; account: string | null }> = []
  const server = createServer((req, res) => {
    void (async () => {
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
      const found = token ? await oauth.provider.AccessToken.find(token) : undefined
      const account = found && !found.isExpired ? (found.accountId ?? null) : null
      seen.push({ path: req.url ?? '', authorization: req.headers.authorization, account })
      if (!account) return void res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_token"}')
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ account }))
    })()
  })
  return { ...(await listenLocal(server)), seen }
}

/**
 * Through the provider's development login and consent pages, as a person would, until it sends
 * the browser back (or `held()` says the redirect back was caught).
 */
async function signInAndConsent(page: Page, login: string, held: () => boolean = () => false) {
  const issuer = new URL(provider.issuer).origin
  const onProvider = () => new URL(page.url()).origin === issuer
  // A provider that remembers the session and the grant sends the browser straight back.
  const start = page.url()
  await expect.poll(() => held() || page.url() !== start, { timeout: 15_000 }).toBe(true)
  if (held() || !onProvider()) return
  for (let step = 0; step < 4; step++) {
    await page.waitForLoadState()
    const before = page.url()
    const loginField = page.locator('input[name="login"]')
    if (await loginField.isVisible()) {
      await loginField.fill(login)
      await page.locator('input[name="password"]').fill('any password')
      await page.getByRole('button', { name: 'Sign-in' }).click()
    } else {
      await page.getByRole('button', { name: 'Continue' }).click()
    }
    // The next interaction (a new id), or the way back.
    await expect.poll(() => held() || !onProvider() || (page.url() !== before && new URL(page.url()).pathname.startsWith('/interaction/')), { timeout: 15_000 }).toBe(true)
    if (held() || !onProvider()) return
  }
  throw new Error(`the provider did not send the browser back: ${page.url()}`)
}

/** `HH:MM:SS` of an instant on the site's clock, as the SPA shows times. */
function siteClock(date: Date): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: SITE_TZ, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(date)
}

const card = () => app.page.getByTestId('connection').filter({ hasText: connection.name })
const callbackCalls = () => connections.sidecarCalls.filter((c) => c === 'POST /v1/oauth/callback').length

beforeAll(async () => {
  site = await startStandin({ timeZone: SITE_TZ })
  const callbackUrl = `${site.url}/api/method/${CALLBACK}`
  provider = await startOAuthServer({ redirectUris: [callbackUrl] })
  upstream = await startUpstream(provider)
  sidecar = await startSiteSidecar(site, { label: 'e2e-oauth', token: SIDECAR_TOKEN, user: SIDECAR_USER })
  connections = serveConnections(site, { sidecarUrl: sidecar.url, sidecarToken: SIDECAR_TOKEN, managers: [SECOND_MANAGER], sidecarUser: SIDECAR_USER })
  connections.providers.set('Local OIDC', {
    name: 'Local OIDC',
    authorize_url: provider.authorizeUrl,
    token_url: provider.tokenUrl,
    client_id: CLIENTS.ac.id,
    client_secret: CLIENTS.ac.secret,
    scopes: 'openid api:read',
    pkce: true,
    client_auth_method: 'basic',
    api_base_url: upstream.url,
  })
  connection = connections.newConnection({ name: 'Local OIDC Account', provider: 'Local OIDC', base_url: upstream.url, test_path: '/me' })
  session = await openBrowser(site.url)
  await localOnly(session.context)
  app = new IntegrationsApp(session.page, site.url)
})

afterAll(() => closeSuite({ session, sidecar, site }, provider, upstream))

describe('Connect with authorization code + PKCE, in Chromium', () => {
  let firstCallback = ''

  it('Connect → login → consent → callback → Connected with a token expiry; the proxied call carries the issued token', async () => {
    session.page.on('request', (request) => {
      if (!firstCallback && request.url().includes(`/api/method/${CALLBACK}`)) firstCallback = request.url()
    })
    await app.page.goto(`${site.url}/integrations/connections`)
    await expect.poll(() => card().getByTestId('connection-status').innerText()).toBe('Not Connected')
    // The file storage card, on a site whose files are on disk: it says how to turn storage on, and offers no move.
    await expect.poll(() => app.page.getByTestId('file-migration').innerText()).toContain('Integration Settings')
    expect(await app.page.getByTestId('file-migration-start').count()).toBe(0)
    await card().getByRole('button', { name: 'Connect', exact: true }).click()

    await signInAndConsent(app.page, 'alice')
    await app.page.waitForURL((url) => url.pathname === '/integrations/connections' && url.searchParams.has('oauth'))
    expect({ outcome: new URL(app.page.url()).searchParams.get('oauth'), last_error: connection.last_error }).toEqual({ outcome: 'connected', last_error: null })
    expect(await app.page.getByTestId('oauth-outcome').innerText()).toContain(`${connection.name} is connected.`)
    await expect.poll(() => card().getByTestId('connection-status').innerText()).toBe('Connected')

    // The provider was asked for S256 PKCE, and gave one code for one token.
    const [asked] = provider.authorizeRequests
    expect(provider.authorizeRequests).toHaveLength(1)
    expect(asked!.get('code_challenge_method')).toBe('S256')
    expect(asked!.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(asked!.get('redirect_uri')).toBe(`${site.url}/api/method/${CALLBACK}`)
    expect(new URL(firstCallback).searchParams.get('state')).toBe(asked!.get('state'))
    const exchanged = provider.issued.filter((t) => t.grant_type === 'authorization_code')
    expect(exchanged).toHaveLength(1)
    const issued = exchanged[0]!.access_token

    // Frappe holds the issued token (written back by the sidecar) and its absolute expiry, which the page shows.
    await expect.poll(() => connection.access_token).toBe(issued)
    const grant = (await provider.provider.AccessToken.find(issued))!
    expect(Math.abs(connection.token_expires_at!.getTime() - grant.exp! * 1000)).toBeLessThan(5000)
    await app.page.getByRole('button', { name: 'Refresh' }).click()
    await expect.poll(() => card().getByTestId('token-expiry').innerText()).toContain(siteClock(connection.token_expires_at!))
    expect(connection).toMatchObject({ connected_by: 'Administrator', status: 'Connected', last_error: null })
    await app.screenshot('oauth-connected-e2e')

    // Test: GET /me through the sidecar; the upstream saw the provider's token and the provider honoured it.
    await card().getByRole('button', { name: 'Test', exact: true }).click()
    await card().getByText('Test: the API answered 200').waitFor()
    expect(upstream.seen).toEqual([{ path: '/me', authorization: `Bearer ${issued}`, account: 'alice' }])
    expect(pageErrors()).toEqual([])
    expect([...blocked]).toEqual(['fonts.googleapis.com'])
  })

  it('refuses the same callback a second time: the state is single-use', async () => {
    expect(firstCallback).not.toBe('')
    const exchanges = provider.grants.authorization_code
    const forwarded = callbackCalls()
    const response = await app.page.goto(firstCallback)
    expect(response!.status()).toBe(403)
    expect(await app.page.locator('body').innerText()).toContain('This sign-in link is unknown, already used or older than 10 minutes. Start again with Connect.')
    // Not forwarded to the sidecar, no second exchange, the connection untouched.
    expect(callbackCalls()).toBe(forwarded)
    expect(provider.grants.authorization_code).toBe(exchanges)
    expect(connection.status).toBe('Connected')
    // The sidecar spends a state once too: the same redirect forwarded straight to it is refused.
    const direct = await fetch(`${sidecar.url}/v1/oauth/callback`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SIDECAR_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ state: new URL(firstCallback).searchParams.get('state'), code: new URL(firstCallback).searchParams.get('code'), user: 'Administrator' }),
    })
    expect(direct.status).toBe(400)
    expect(((await direct.json()) as { error: { code: string } }).error.code).toBe('oauth_state_invalid')
  })

  it('another manager cannot complete a flow the first one started; the first still can', async () => {
    const exchanges = provider.grants.authorization_code ?? 0
    let held = ''
    // Hold the provider's redirect back to the site, so the first manager's browser does not
    // follow it yet. Chromium does not let a route see redirected requests, so the provider's
    // pages are fetched for the browser here and their redirects followed until one leaves it.
    const issuer = new URL(provider.issuer).origin
    const onIssuer = (url: URL) => url.origin === issuer
    await session.page.route(onIssuer, async (route) => {
      let url = route.request().url()
      let response = await route.fetch({ maxRedirects: 0 })
      for (let hop = 0; hop < 6; hop++) {
        const location = response.headers().location
        if (!location) break
        const next = new URL(location, url)
        if (!onIssuer(next)) {
          held = next.href
          return route.fulfill({ status: 200, contentType: 'text/html', body: '<p>The redirect back is held by the test.</p>' })
        }
        url = next.href
        response = await session.context.request.get(url, { maxRedirects: 0 })
      }
      // A page of the provider's (login, consent): let the browser load it itself.
      if (url === route.request().url()) return route.fulfill({ response })
      return route.fulfill({ status: 303, headers: { location: url } })
    })
    await app.page.goto(`${site.url}/integrations/connections`)
    await card().getByRole('button', { name: 'Reconnect', exact: true }).click()
    await signInAndConsent(app.page, 'alice', () => held !== '')
    await session.page.unroute(onIssuer)
    expect(provider.authorizeRequests.at(-1)!.get('code_challenge_method')).toBe('S256')

    const other = await session.browser.newContext()
    try {
      await localOnly(other)
      await other.addCookies([{ name: 'sid', value: site.addSession(SECOND_MANAGER), url: site.url }])
      const page = await other.newPage()
      // The second manager is signed in and may use the page…
      await page.goto(`${site.url}/integrations/connections`)
      await page.getByTestId('connection').first().waitFor()
      // …but the first manager's redirect is refused for them, before reaching the sidecar.
      const forwarded = callbackCalls()
      const response = await page.goto(held)
      expect(response!.status()).toBe(403)
      expect(await page.locator('body').innerText()).toContain('This sign-in was started by another user. Start again with Connect.')
      expect(callbackCalls()).toBe(forwarded)
      expect(provider.grants.authorization_code).toBe(exchanges)
    } finally {
      await other.close()
    }

    // The state was not spent: the manager who pressed Reconnect completes it.
    await app.page.goto(held)
    await app.page.waitForURL((url) => url.pathname === '/integrations/connections' && url.searchParams.get('oauth') === 'connected')
    expect(provider.grants.authorization_code).toBe(exchanges + 1)
    expect(connection.connected_by).toBe('Administrator')
    await expect.poll(() => card().getByTestId('connection-status').innerText()).toBe('Connected')
  })
})
