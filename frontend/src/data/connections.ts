import { createResource } from 'frappe-ui'
import type { CatalogueEntry, ConnectionRow, ConnectionStats, ConnectionTestResult } from '../types/api'

const API = 'integrations_app.api.connections.'

export function connectionListResource() {
  return createResource<ConnectionRow[]>({ url: API + 'list_connections' })
}

export function catalogueResource() {
  return createResource<CatalogueEntry[]>({ url: API + 'catalogue' })
}

/** The sidecar's per-connection counters; the page charts the rate between two polls. */
export function connectionStatsResource() {
  return createResource<ConnectionStats>({ url: API + 'connection_stats' })
}

export function testConnectionResource() {
  return createResource<ConnectionTestResult, { connection: string }>({ url: API + 'test_connection' })
}

export function startOAuthResource() {
  return createResource<{ authorize_url: string; expires_at: string | null }, { connection: string; return_to: 'spa' }>({ url: API + 'start_oauth' })
}

export function disconnectResource() {
  return createResource<{ status: string }, { connection: string }>({ url: API + 'disconnect' })
}

/** Desk's new-connection form, filled with a catalogue entry's defaults. */
export function newConnectionUrl(entry: CatalogueEntry): string {
  return '/app/integration-connection/new?' + new URLSearchParams(entry.defaults).toString()
}
