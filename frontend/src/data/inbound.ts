import { createResource } from 'frappe-ui'
import type { InboundEndpointStats } from '../types/api'
import type { IntegrationInboundEvent } from '../types/doctypes'
import { GET_LIST, type GetListArgs, type ListRow } from './client'

export const INBOUND_EVENT_DOCTYPE = 'Integration Inbound Event'

export const INBOUND_EVENT_FIELDS = ['name', 'endpoint', 'provider_event_id', 'event_type', 'status', 'received_at'] as const

export type InboundEventRow = ListRow<IntegrationInboundEvent, (typeof INBOUND_EVENT_FIELDS)[number], 'endpoint' | 'provider_event_id' | 'status'>

export const INBOUND_EVENT_LIST_ARGS: GetListArgs = {
  doctype: INBOUND_EVENT_DOCTYPE,
  fields: [...INBOUND_EVENT_FIELDS],
  filters: {},
  order_by: 'received_at desc',
  limit_start: 0,
  limit_page_length: 50,
}

export function endpointStatsResource() {
  return createResource<InboundEndpointStats[]>({ url: 'integrations_app.api.inbound.endpoint_stats' })
}

export function inboundEventListResource() {
  return createResource<InboundEventRow[], GetListArgs>({ url: GET_LIST, params: INBOUND_EVENT_LIST_ARGS })
}

/** The whole event document (payload, headers, error) for the payload viewer. */
export function inboundEventResource() {
  return createResource<IntegrationInboundEvent, { doctype: string; name: string }>({ url: 'frappe.client.get' })
}

export function replayEventResource() {
  return createResource<{ ok: boolean }, { event: string }>({ url: 'integrations_app.api.inbound.replay_event' })
}
