import { createResource } from 'frappe-ui'
import type { CallFailure, CatalogueEntry, ConnectionRow, ConnectionStats, ConnectionTestResult } from '../types/api'

const API = 'integrations_app.api.connections.'

export function connectionListResource() {
  return createResource<ConnectionRow[]>({ url: API + 'list_connections' })
}

export function catalogueResource() {
  return createResource<CatalogueEntry[]>({ url: API + 'catalogue' })
}

/** Per-minute calls, errors and circuit state of every connection, summed over every sidecar process. */
export function connectionStatsResource(minutes: number) {
  return createResource<ConnectionStats, { minutes: number }>({ url: API + 'connection_stats', params: { minutes } })
}

/** Each connection's newest failed calls (its call log). */
export function recentFailuresResource(limit: number) {
  return createResource<Record<string, CallFailure[]>, { limit: number }>({ url: API + 'recent_failures', params: { limit } })
}

export const callLogUrl = (name: string) => '/app/integration-connection-call-log/' + encodeURIComponent(name)

export function testConnectionResource() {
  return createResource<ConnectionTestResult, { connection: string }>({ url: API + 'test_connection' })
}

export function startOAuthResource() {
  return createResource<{ authorize_url: string; expires_at: string | null }, { connection: string; return_to: 'spa' }>({ url: API + 'start_oauth' })
}

export interface DisconnectResult {
  status: string
  revocation: 'done' | 'failed' | 'not_supported' | 'nothing_to_revoke' | 'pending'
  error: string | null
}

export function disconnectResource() {
  return createResource<DisconnectResult, { connection: string }>({ url: API + 'disconnect' })
}

/** Desk's new-connection form, filled with a catalogue entry's defaults. */
export function newConnectionUrl(entry: CatalogueEntry): string {
  return '/app/integration-connection/new?' + new URLSearchParams(entry.defaults).toString()
}
