/**
 * Pieces the live site stand-ins share (payments-site, messages-site, connections-site's tests):
 * Frappe's answers, the Connections page's reads and test_operation's checks for flows that start
 * at a connection's "Try it", a connection call through a real sidecar as `SidecarClient` makes
 * it, that sidecar process, and the browser suites' teardown.
 */
import { newKeyEntry } from '../../sidecar/src/secrets/keyring'
import { dropPrefix, uniquePrefix } from '../../sidecar/test/helpers'
import { SidecarProcess } from '../../sidecar/test/sidecar-process'
import type { BrowserSession } from './browser'
import { frappeError, type MethodReply, type SiteCall, type Standin } from './standin-server'

export const json = (message: unknown): MethodReply => ({ status: 200, body: { message } })

/** `permissions.require_manager`: the stand-in's browser user is Administrator. */
export const isManager = (user: string) => user === 'Administrator'
export const forbidden = () => frappeError(403, 'PermissionError', 'Only a System Manager or an Integration Manager may do this')

/** A connection as the Connections page lists it. */
export interface SiteConnection {
  name: string
  sidecar_id: string
  base_url: string
  sandbox: boolean
  /** Integration Connection's API (`Stripe`, `SendGrid`) and its area (`payments`, `email`). */
  api_provider: string
  area: 'payments' | 'email' | 'sms' | 'storage'
}

/** api/connections.py list_connections, catalogue, connection_stats, recent_failures; the file-storage card. */
export function serveConnectionsPage(site: Standin, connections: () => SiteConnection[]): void {
  site.serve('integrations_app.api.connections.list_connections', async (call) => {
    if (!isManager(call.user)) return forbidden()
    return json(
      connections().map((c) => ({
        name: c.name, auth_type: 'Bearer Token', provider: null, base_url: c.base_url, sandbox: c.sandbox ? 1 : 0, enabled: 1,
        status: 'Connected', last_error: null, last_error_at: null, token_expires_at: null, connected_by: null, connected_at: null,
        sidecar_id: c.sidecar_id, sidecar_synced: 1, oauth: false, api_provider: c.api_provider, area: c.area,
      })), // prettier-ignore
    )
  })
  site.serve('integrations_app.api.connections.catalogue', async () => json([]))
  site.serve('integrations_app.api.connections.connection_stats', async () => json({ at: new Date().toISOString(), minutes: 30, connections: {}, error: null }))
  site.serve('integrations_app.api.connections.recent_failures', async () => json({}))
  // The Connections page's file-storage card: files still on disk, storage off.
  site.serve('integrations_app.api.files.migration_status', async () => json({ status: '', done: 0, total: 0, percent: 100, error: null, enabled: false, remaining_on_disk: 0 }))
}

/** `POST /v1/connections/{id}/call` → the operation's `result`; a refusal throws with the sidecar's message. */
export async function callOperation(sidecar: { url: string; token: string }, conn: Pick<SiteConnection, 'name' | 'sidecar_id'>, body: Record<string, unknown>): Promise<any> {
  const res = await fetch(`${sidecar.url}/v1/connections/${encodeURIComponent(conn.sidecar_id)}/call`, {
    method: 'POST',
    headers: { authorization: `Bearer ${sidecar.token}`, 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
  })
  const answer = (await res.json()) as any
  if (!res.ok) throw new Error(`${conn.name}: ${answer?.error?.message ?? res.status}`)
  return answer.result
}

/**
 * A sidecar process that reports to the stand-in as `user` (its API key is registered here), on a
 * Redis prefix of its own; `stopSiteSidecar` ends it and drops the prefix.
 */
export async function startSiteSidecar(site: Standin, options: { label: string; token: string; user: string }): Promise<SidecarProcess> {
  site.addApiKey('sidecar-key', 'sidecar-secret', options.user)
  return new SidecarProcess(uniquePrefix(options.label), {
    SIDECAR_TOKEN: options.token,
    SECRETS_KEYS: newKeyEntry('e2e'),
    FRAPPE_URL: site.url,
    FRAPPE_API_KEY: 'sidecar-key',
    FRAPPE_API_SECRET: 'sidecar-secret',
  }).start()
}

export async function stopSiteSidecar(sidecar: SidecarProcess | undefined): Promise<void> {
  if (!sidecar) return
  await sidecar.stop()
  await dropPrefix(sidecar.prefix)
}

/**
 * A browser suite's afterAll: the browser first (no page left calling a server being closed), then
 * the sidecar and its prefix, the site, and the suite's own servers in the order given. Any part
 * may be undefined, where beforeAll failed before starting it.
 */
export async function closeSuite(
  parts: { session?: BrowserSession; sidecar?: SidecarProcess; site?: Standin },
  ...servers: Array<{ close(): Promise<void> } | undefined>
): Promise<void> {
  await parts.session?.close()
  await stopSiteSidecar(parts.sidecar)
  await parts.site?.close()
  for (const server of servers) await server?.close()
}

/**
 * The checks api/providers.py test_operation makes before running a connection's Try it action:
 * POST only, a manager, a known connection; → the connection and its params, or the refusal.
 */
export function tryItCall<C>(call: SiteCall, connections: Map<string, C>): { reply: MethodReply } | { conn: C; params: Record<string, string> } {
  if (call.httpMethod !== 'POST') return { reply: frappeError(405, 'PermissionError', 'Not permitted') }
  if (!isManager(call.user)) return { reply: forbidden() }
  const conn = connections.get(String(call.args.connection))
  if (!conn) return { reply: frappeError(404, 'DoesNotExistError', `Integration Connection ${String(call.args.connection)} not found`) }
  const params = (typeof call.args.params === 'string' ? JSON.parse(call.args.params) : call.args.params ?? {}) as Record<string, string>
  return { conn, params }
}
