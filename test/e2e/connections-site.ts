/**
 * The Connections half of a Frappe site, served live on the stand-in for the OAuth browser test.
 * Each method follows its Python original step by step, and talks to a real sidecar the way
 * `integrations_app.sidecar.client.SidecarClient` does (same paths, bodies and error texts):
 * - integrations_app/api/connections.py: list_connections, catalogue (OAuth providers only),
 *   connection_stats (from the sidecar's stats lookup), recent_failures, test_connection,
 *   start_oauth, oauth_callback;
 * - integrations_app/connections/oauth.py: start (push the config, ask the sidecar, remember the
 *   state hashed with its user for 10 minutes) and finish (refuse another user's or a spent
 *   state without forwarding it, forward the redirect, record the outcome, send the browser back);
 * - integrations_app/api/sidecar.py: connection_config, store_connection_tokens,
 *   report_connection_failures and connection_status, called by the sidecar with the Sidecar API User's token.
 * Records are plain objects here instead of DocType rows; secrets never leave this module
 * except in `connection_config`, as in Frappe.
 */
import { createHash } from 'node:crypto'
import { frappeError, type MethodReply, type SiteCall, type Standin } from './standin-server'

/** connections/rules/stats.py `summarize`: the sidecar's lookup answer per connection name. */
function summarizeStats(answer: any, names: Map<string, string>) {
  const bounds: Array<number | null> = answer?.latency_buckets_ms ?? []
  const p95 = (counts: number[]) => {
    const total = counts.reduce((a, b) => a + b, 0)
    if (!total) return null
    let seen = 0
    for (let i = 0; i < counts.length; i++) {
      seen += counts[i]!
      if (seen >= 0.95 * total && counts[i]) return bounds[i] ?? [...bounds].reverse().find((b) => b !== null) ?? null
    }
    return null
  }
  const states = ['closed', 'half_open', 'open']
  const out: Record<string, unknown> = {}
  for (const [id, stats] of Object.entries<any>(answer?.connections ?? {})) {
    const name = names.get(id)
    if (!name) continue
    const breaker = stats.breaker?.state
    out[name] = {
      calls: Number(stats.totals?.calls ?? 0),
      errors: Number(stats.totals?.errors ?? 0),
      by_result: { ...(stats.totals?.by_result ?? {}) },
      breaker: states.includes(breaker) ? breaker : 'closed',
      series: (stats.series ?? []).map((m: any) => ({
        minute: m.minute,
        calls: Number(m.calls ?? 0),
        errors: Number(m.errors ?? 0),
        p95_ms: p95(m.latency_counts ?? []),
        breaker: states.includes(m.breaker) ? m.breaker : null,
      })),
    }
  }
  return out
}

const CALLBACK_METHOD = 'integrations_app.api.connections.oauth_callback'
const STATE_TTL_MS = 600_000

export interface OAuthProviderRecord {
  name: string
  authorize_url: string
  token_url: string
  client_id: string
  client_secret: string
  scopes: string
  pkce: boolean
  client_auth_method: 'basic' | 'post'
  api_base_url: string
}

export interface ConnectionRecord {
  name: string
  sidecar_id: string
  auth_type: 'OAuth 2 Authorization Code'
  provider: string
  base_url: string
  test_path: string
  enabled: boolean
  sandbox: boolean
  status: 'Not Connected' | 'Connected' | 'Expired' | 'Error' | 'Disabled'
  last_error: string | null
  last_error_at: Date | null
  token_expires_at: Date | null
  token_obtained_at: Date | null
  granted_scope: string | null
  issuing_client: string | null
  connected_by: string | null
  connected_at: Date | null
  sidecar_synced: boolean
  /** The Password fields (`__Auth` in Frappe). */
  access_token: string | null
  refresh_token: string | null
}

interface Pending {
  user: string
  connection: string
  return_to: 'desk' | 'spa'
  expires: number
}

class SidecarError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message)
  }
}

export interface ConnectionsSite {
  providers: Map<string, OAuthProviderRecord>
  connections: Map<string, ConnectionRecord>
  /** Every request this site made to the sidecar (method, path), in order. */
  sidecarCalls: string[]
  newConnection(fields: Pick<ConnectionRecord, 'name' | 'provider' | 'base_url'> & Partial<ConnectionRecord>): ConnectionRecord
}

/** `utc_naive_to_iso`: milliseconds and `Z`. */
const iso = (date: Date | null) => (date ? date.toISOString() : null)

export function serveConnections(
  site: Standin,
  options: { sidecarUrl: string; sidecarToken: string; managers: string[]; sidecarUser: string },
): ConnectionsSite {
  const providers = new Map<string, OAuthProviderRecord>()
  const connections = new Map<string, ConnectionRecord>()
  const pendingStates = new Map<string, Pending>()
  const sidecarCalls: string[] = []

  const isManager = (user: string) => user === 'Administrator' || options.managers.includes(user)
  const json = (message: unknown): MethodReply => ({ status: 200, body: { message } })
  /** `raise frappe.PermissionError(msg)` answering an XHR (`report_error(403)`). */
  const permissionError = (message: string) => frappeError(403, 'PermissionError', message)
  /** `frappe.throw(msg)`: a ValidationError, HTTP 417. */
  const thrown = (message: string) => frappeError(417, 'ValidationError', message)

  /** SidecarClient.request + _handle: Bearer token, JSON both ways, the same error sentences. */
  async function sidecar(method: string, path: string, body?: unknown): Promise<any> {
    sidecarCalls.push(`${method} ${path}`)
    let response: Response
    try {
      response = await fetch(options.sidecarUrl + path, {
        method,
        redirect: 'manual',
        headers: { accept: 'application/json', authorization: `Bearer ${options.sidecarToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
    } catch {
      throw new SidecarError(`Cannot connect to the sidecar at ${options.sidecarUrl}`, 0)
    }
    const text = await response.text()
    const parsed = text ? (JSON.parse(text) as any) : {}
    if (response.ok) return parsed
    const detail = parsed?.error?.message ?? response.statusText ?? 'no details'
    if (response.status === 401 || response.status === 403) throw new SidecarError(`Sidecar refused the token (${response.status}); check Sidecar Token in Integration Settings`, response.status)
    throw new SidecarError(`Sidecar answered ${response.status} to ${method} ${path}: ${detail}`, response.status)
  }

  const providerOf = (doc: ConnectionRecord) => providers.get(doc.provider)!
  const issuingClientKey = (doc: ConnectionRecord) => `oauth2_authorization_code|${providerOf(doc).client_id}|${providerOf(doc).token_url}`
  const bySidecarId = (id: unknown) => [...connections.values()].find((c) => c.sidecar_id === id)

  /** config.connection_config: the PUT body, with Frappe's copy of the tokens when it has one. */
  function connectionConfig(doc: ConnectionRecord) {
    const provider = providerOf(doc)
    const config: Record<string, unknown> = {
      base_url: doc.base_url,
      auth: {
        type: 'oauth2_authorization_code',
        token_url: provider.token_url,
        client_id: provider.client_id,
        client_auth: provider.client_auth_method,
        scopes: provider.scopes.split(/[\s,]+/).filter(Boolean),
        token_params: {},
        default_token_lifetime_s: 3600,
        client_secret: provider.client_secret,
        authorize_url: provider.authorize_url,
        pkce: provider.pkce,
        authorize_params: {},
      },
      headers: {},
      timeout_ms: 30_000,
      max_attempts: 3,
      enabled: doc.enabled,
      sandbox: doc.sandbox,
    }
    if (doc.access_token && doc.token_obtained_at && doc.issuing_client === issuingClientKey(doc)) {
      config.tokens = {
        access_token: doc.access_token,
        refresh_token: doc.refresh_token,
        token_type: 'Bearer',
        scope: doc.granted_scope,
        expires_at: iso(doc.token_expires_at),
        obtained_at: iso(doc.token_obtained_at),
      }
    }
    return config
  }

  /** config_sync.sync_connection */
  async function syncConnection(doc: ConnectionRecord): Promise<boolean> {
    try {
      await sidecar('PUT', `/v1/connections/${encodeURIComponent(doc.sidecar_id)}`, connectionConfig(doc))
    } catch (error) {
      doc.sidecar_synced = false
      if (error instanceof SidecarError && error.status >= 400 && error.status < 500) {
        Object.assign(doc, { status: 'Error', last_error: error.message, last_error_at: new Date() })
        return false
      }
      throw error
    }
    doc.sidecar_synced = true
    return true
  }

  const stateKey = (state: string) => createHash('sha256').update(state).digest('hex')

  /** oauth.return_url */
  function returnUrl(connection: string, returnTo: string, outcome: string) {
    if (returnTo === 'spa') return `/integrations/connections?${new URLSearchParams({ connection, oauth: outcome })}`
    return `/app/integration-connection/${encodeURIComponent(connection)}?${new URLSearchParams({ oauth: outcome })}`
  }

  /** api.connections._writable: manager, and the connection exists. */
  function writable(call: SiteCall): ConnectionRecord | MethodReply {
    if (!isManager(call.user)) return permissionError('Only a System Manager or an Integration Manager may do this')
    const doc = connections.get(String(call.args.connection))
    return doc ?? frappeError(404, 'DoesNotExistError', `Integration Connection ${String(call.args.connection)} not found`)
  }
  const isReply = (value: ConnectionRecord | MethodReply): value is MethodReply => !('sidecar_id' in value)
  const postOnly = (call: SiteCall) => (call.httpMethod === 'POST' ? null : frappeError(405, 'PermissionError', 'Not permitted'))

  // api/files.py on a site whose files are still on disk (File Storage off), as the Python
  // answers it: status from Integration Settings, starting refused until storage is on.
  site.serve('integrations_app.api.files.migration_status', async (call) => {
    if (!isManager(call.user)) return permissionError('Only a System Manager or an Integration Manager may do this')
    return json({ status: '', done: 0, total: 0, percent: 100, error: null, enabled: false, remaining_on_disk: 0 })
  })
  site.serve('integrations_app.api.files.start_migration', async (call) => {
    if (call.httpMethod !== 'POST') return frappeError(405, 'PermissionError', 'Not permitted')
    if (!isManager(call.user)) return permissionError('Only a System Manager or an Integration Manager may do this')
    return thrown('Turn on file storage and pick a storage connection in Integration Settings first')
  })

  site.serve('integrations_app.api.connections.list_connections', async (call) => {
    if (!isManager(call.user)) return permissionError('Only a System Manager or an Integration Manager may do this')
    const rows = [...connections.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((c) => ({
        name: c.name,
        auth_type: c.auth_type,
        provider: c.provider,
        base_url: c.base_url,
        sandbox: c.sandbox ? 1 : 0,
        enabled: c.enabled ? 1 : 0,
        status: c.status,
        last_error: c.last_error,
        last_error_at: c.last_error_at ? c.last_error_at.toISOString().slice(0, 19).replace('T', ' ') : null,
        token_expires_at: iso(c.token_expires_at),
        connected_by: c.connected_by,
        connected_at: iso(c.connected_at),
        sidecar_id: c.sidecar_id,
        sidecar_synced: c.sidecar_synced ? 1 : 0,
        oauth: true,
      }))
    return json(rows)
  })

  site.serve('integrations_app.api.connections.catalogue', async (call) => {
    if (!isManager(call.user)) return permissionError('Only a System Manager or an Integration Manager may do this')
    return json(
      [...providers.values()].map((p) => ({
        key: `provider:${p.name}`,
        title: p.name,
        kind: 'oauth',
        configured: Boolean(p.client_id),
        defaults: { auth_type: 'OAuth 2 Authorization Code', provider: p.name, base_url: p.api_base_url },
      })),
    )
  })

  site.serve('integrations_app.api.connections.connection_stats', async (call) => {
    if (!isManager(call.user)) return permissionError('Only a System Manager or an Integration Manager may do this')
    const minutes = Math.min(180, Math.max(1, Number(call.args.minutes) || 30))
    const at = new Date().toISOString()
    const names = new Map([...connections.values()].map((c) => [c.sidecar_id, c.name]))
    if (!names.size) return json({ at, minutes, connections: {}, error: null })
    let answer: any
    try {
      answer = await sidecar('POST', '/v1/connections/stats/lookup', { ids: [...names.keys()], minutes })
    } catch (error) {
      return json({ at, minutes, connections: {}, error: (error as Error).message })
    }
    return json({ at, minutes, connections: summarizeStats(answer, names), error: null })
  })

  // connections/call_log.py: the sidecar reports failed calls; the SPA reads the newest.
  const callLog: Array<Record<string, unknown> & { connection: string }> = []
  site.serve('integrations_app.api.connections.recent_failures', async (call) => {
    if (!isManager(call.user)) return permissionError('Only a System Manager or an Integration Manager may do this')
    const limit = Math.min(20, Math.max(1, Number(call.args.limit) || 5))
    const out: Record<string, unknown[]> = {}
    for (const c of connections.values()) {
      out[c.name] = callLog.filter((f) => f.connection === c.name).slice(-limit).reverse()
    }
    return json(out)
  })

  site.serve('integrations_app.api.connections.test_connection', async (call) => {
    const refused = postOnly(call)
    if (refused) return refused
    const doc = writable(call)
    if (isReply(doc)) return doc
    // connections.call → SidecarClient.proxy; a sidecar refusal is a CallError with its message.
    let answer: { status: number; duration_ms: number; attempts: number }
    try {
      answer = await sidecar('POST', `/v1/connections/${encodeURIComponent(doc.sidecar_id)}/proxy`, { method: 'GET', path: doc.test_path || '/' })
    } catch (error) {
      const message = (error as Error).message
      Object.assign(doc, { status: 'Error', last_error: message, last_error_at: new Date() })
      return json({ ok: false, status_code: null, error: message, code: 'sidecar', status: doc.status })
    }
    if (answer.status >= 200 && answer.status < 300) {
      if (doc.status === 'Error' || doc.status === 'Connected') Object.assign(doc, { status: 'Connected', last_error: null, last_error_at: null })
      return json({ ok: true, status_code: answer.status, duration_ms: answer.duration_ms, attempts: answer.attempts, error: null, status: doc.status })
    }
    const message = `The API answered ${answer.status} to GET ${doc.test_path || '/'}`
    Object.assign(doc, { status: 'Error', last_error: message, last_error_at: new Date() })
    return json({ ok: false, status_code: answer.status, error: message, code: 'upstream_status', status: doc.status })
  })

  site.serve('integrations_app.api.connections.start_oauth', async (call) => {
    const refused = postOnly(call)
    if (refused) return refused
    const doc = writable(call)
    if (isReply(doc)) return doc
    if (!doc.enabled) return thrown('Enable the connection first')
    const returnTo = call.args.return_to === 'spa' ? 'spa' : 'desk'
    let answer: { authorize_url: string; state: string; expires_at: string }
    try {
      if (!(await syncConnection(doc))) return thrown(`The sidecar refused the connection's settings: ${doc.last_error}`)
      answer = await sidecar('POST', `/v1/connections/${encodeURIComponent(doc.sidecar_id)}/oauth/start`, {
        user: call.user,
        redirect_uri: `${site.url}/api/method/${CALLBACK_METHOD}`,
      })
    } catch (error) {
      return thrown(`Could not start connecting: ${(error as Error).message}`)
    }
    pendingStates.set(stateKey(answer.state), { user: call.user, connection: doc.name, return_to: returnTo, expires: Date.now() + STATE_TTL_MS })
    return json({ authorize_url: answer.authorize_url, expires_at: answer.expires_at })
  })

  site.serve(CALLBACK_METHOD, async (call) => {
    const { state, code, error, error_description } = call.args as Record<string, string | undefined>
    if (call.user === 'Guest') {
      const params = Object.fromEntries(Object.entries({ state, code, error, error_description }).filter(([, v]) => v)) as Record<string, string>
      const back = `/api/method/${CALLBACK_METHOD}?${new URLSearchParams(params)}`
      return { redirect: `/login?${new URLSearchParams({ 'redirect-to': back })}` }
    }
    // api.connections.oauth_callback shows a refusal's reason on Frappe's message page.
    const refused = (message: string, status = 403) => ({ page: { title: 'Not connected', message, status } })
    if (!isManager(call.user)) return refused('Only a System Manager or an Integration Manager may connect accounts')
    if (!state) return refused('The provider sent no state', 417)
    if (!code && !error) return refused('The provider sent neither a code nor an error', 417)
    // oauth.finish
    const key = stateKey(state)
    const pending = pendingStates.get(key)
    if (!pending || pending.expires < Date.now()) return refused('This sign-in link is unknown, already used or older than 10 minutes. Start again with Connect.')
    if (pending.user !== call.user) return refused('This sign-in was started by another user. Start again with Connect.')
    pendingStates.delete(key)
    const body: Record<string, string> = { state, user: call.user }
    if (code) body.code = code
    else {
      body.error = (error ?? 'no_code').slice(0, 256)
      if (error_description) body.error_description = error_description.slice(0, 2048)
    }
    const doc = connections.get(pending.connection)
    let answer: { expires_at: string | null; scope: string | null; connected_at: string | null }
    try {
      answer = await sidecar('POST', '/v1/oauth/callback', body)
    } catch (e) {
      if (doc) Object.assign(doc, { last_error: (e as Error).message, last_error_at: new Date() })
      return { redirect: returnUrl(pending.connection, pending.return_to, 'failed') }
    }
    if (doc) {
      // oauth._record_connected: the tokens arrive by store_connection_tokens, before or after.
      Object.assign(doc, {
        status: 'Connected',
        last_error: null,
        last_error_at: null,
        connected_by: call.user,
        connected_at: answer.connected_at ? new Date(answer.connected_at) : new Date(),
      })
      if (answer.expires_at && !doc.token_obtained_at) doc.token_expires_at = new Date(answer.expires_at)
      if (answer.scope && !doc.granted_scope) doc.granted_scope = answer.scope
      if (!doc.issuing_client) doc.issuing_client = issuingClientKey(doc)
    }
    return { redirect: returnUrl(pending.connection, pending.return_to, 'connected') }
  })

  // The sidecar's calls (api/sidecar.py): only the Sidecar API User.
  const sidecarOnly = (call: SiteCall) => (call.user === options.sidecarUser ? null : permissionError('Only the Sidecar API User may call this'))

  site.serve('integrations_app.api.sidecar.connection_config', async (call) => {
    const refused = sidecarOnly(call)
    if (refused) return refused
    const doc = bySidecarId(call.args.connection_id)
    return json(doc ? connectionConfig(doc) : null)
  })

  site.serve('integrations_app.api.sidecar.store_connection_tokens', async (call) => {
    const refused = sidecarOnly(call)
    if (refused) return refused
    const doc = bySidecarId(call.args.connection_id)
    if (!doc) return json({ ok: false, error: `No Integration Connection '${String(call.args.connection_id)}'` })
    // tokens.store_tokens: an older copy than the one kept is ignored.
    const tokens = call.args.tokens as { access_token?: string; refresh_token?: string | null; scope?: string | null; expires_at?: string | null; obtained_at?: string }
    if (!tokens?.access_token || !tokens.obtained_at) return thrown('tokens need access_token and obtained_at')
    const obtained = new Date(tokens.obtained_at)
    if (doc.token_obtained_at && doc.token_obtained_at > obtained && doc.issuing_client === issuingClientKey(doc)) return json({ ok: true, stored: false })
    Object.assign(doc, {
      access_token: tokens.access_token,
      refresh_token: tokens.refresh_token || doc.refresh_token,
      granted_scope: tokens.scope ?? null,
      token_expires_at: tokens.expires_at ? new Date(tokens.expires_at) : null,
      token_obtained_at: obtained,
      issuing_client: issuingClientKey(doc),
      status: doc.enabled ? 'Connected' : 'Disabled',
      last_error: null,
      last_error_at: null,
    })
    if (call.args.connected_by) doc.connected_by = String(call.args.connected_by)
    if (call.args.connected_at) doc.connected_at = new Date(String(call.args.connected_at))
    return json({ ok: true, stored: true })
  })

  site.serve('integrations_app.api.sidecar.report_connection_failures', async (call) => {
    const refused = sidecarOnly(call)
    if (refused) return refused
    let stored = 0
    let ignored = 0
    for (const f of (call.args.failures as Array<Record<string, unknown>>) ?? []) {
      const doc = bySidecarId(f.connection_id)
      if (!doc) { ignored++; continue }
      const { connection_id: _, response_snippet: __, ...row } = f
      callLog.push({ ...row, name: `call-log-${callLog.length + 1}`, connection: doc.name })
      stored++
    }
    return json({ stored, ignored })
  })

  site.serve('integrations_app.api.sidecar.connection_status', async (call) => {
    const refused = sidecarOnly(call)
    if (refused) return refused
    const statuses: Record<string, ConnectionRecord['status']> = { expired: 'Expired', error: 'Error', connected: 'Connected' }
    const status = statuses[String(call.args.status)]
    if (!status) return thrown('status must be one of expired, error, connected')
    const doc = bySidecarId(call.args.connection_id)
    if (!doc) return json({ ok: false, error: `No Integration Connection '${String(call.args.connection_id)}'` })
    doc.status = status
    if (status === 'Connected') Object.assign(doc, { last_error: null, last_error_at: null })
    else if (call.args.error != null) Object.assign(doc, { last_error: String(call.args.error), last_error_at: new Date() })
    return json({ ok: true, status })
  })

  return {
    providers,
    connections,
    sidecarCalls,
    newConnection(fields) {
      const doc: ConnectionRecord = {
        sidecar_id: fields.name.replace(/[^A-Za-z0-9_.-]/g, '-'),
        auth_type: 'OAuth 2 Authorization Code',
        test_path: '/',
        enabled: true,
        sandbox: false,
        status: 'Not Connected',
        last_error: null,
        last_error_at: null,
        token_expires_at: null,
        token_obtained_at: null,
        granted_scope: null,
        issuing_client: null,
        connected_by: null,
        connected_at: null,
        sidecar_synced: false,
        access_token: null,
        refresh_token: null,
        ...fields,
      }
      connections.set(doc.name, doc)
      return doc
    },
  }
}
