import { createResource } from 'frappe-ui'
import type { DeliveryDetail } from '../types/api'
import type { IntegrationWebhookDelivery } from '../types/doctypes'
import { GET_LIST, type FilterValue, type GetListArgs, type ListRow } from './client'

export const DELIVERY_DOCTYPE = 'Integration Webhook Delivery'

export const DELIVERY_FIELDS = [
  'name',
  'webhook',
  'stream',
  'sync_profile',
  'event_type',
  'reference_doctype',
  'reference_name',
  'status',
  'attempts_count',
  'last_status_code',
  'last_error',
  'modified',
] as const

/** A row of the log: for a webhook, a stream or a sync profile (the other two fields are empty). */
export type DeliveryRow = ListRow<IntegrationWebhookDelivery, (typeof DELIVERY_FIELDS)[number], 'event_type' | 'status'>
export type DeliveryStatus = DeliveryRow['status']

export const DELIVERY_STATUSES: DeliveryStatus[] = ['Queued', 'Sending', 'Retrying', 'Succeeded', 'Failed', 'Cancelled']

export const DELIVERY_PAGE_LENGTH = 50

export interface DeliveryFilters {
  /** A DeliveryStatus, or '' for all. */
  status: string
  /** At most one of webhook and stream is set (the target filter). */
  webhook: string
  stream: string
  /** Substring of the event type. */
  eventType: string
}

export const EMPTY_DELIVERY_FILTERS: DeliveryFilters = { status: '', webhook: '', stream: '', eventType: '' }

/** Where a row's message went: its webhook, stream or sync profile. */
export type DeliveryTarget = { kind: 'webhook' | 'stream' | 'sync_profile'; name: string }

export function deliveryTarget(row: Pick<DeliveryRow, 'webhook' | 'stream' | 'sync_profile'>): DeliveryTarget | null {
  if (row.webhook) return { kind: 'webhook', name: row.webhook }
  if (row.stream) return { kind: 'stream', name: row.stream }
  if (row.sync_profile) return { kind: 'sync_profile', name: row.sync_profile }
  return null
}

/** The target filter as one select value: `webhook:<name>`, `stream:<name>`, or '' for all. */
export function targetFilterValue(filters: Pick<DeliveryFilters, 'webhook' | 'stream'>): string {
  if (filters.stream) return `stream:${filters.stream}`
  return filters.webhook ? `webhook:${filters.webhook}` : ''
}

/** The webhook and stream filters a target select value stands for. */
export function fromTargetFilterValue(value: string): Pick<DeliveryFilters, 'webhook' | 'stream'> {
  const at = value.indexOf(':')
  const kind = value.slice(0, at)
  const name = value.slice(at + 1)
  return { webhook: kind === 'webhook' ? name : '', stream: kind === 'stream' ? name : '' }
}

/**
 * The event types of `eventTypes` (the log's, from the server) that contain `text`, ignoring
 * case. With none, `[text]` itself: it matches no row, and an empty `in` would make Frappe
 * compare `ifnull(event_type, '')`, which reads every row.
 */
export function matchingEventTypes(text: string, eventTypes: string[]): string[] {
  const needle = text.toLowerCase()
  const matching = eventTypes.filter((t) => t.toLowerCase().includes(needle))
  return matching.length ? matching : [text]
}

/**
 * get_list filters for the UI filters; empty ones are left out. "Event type contains" becomes
 * `in` the matching types: an index range, where `like '%…%'` reads the whole log.
 */
export function deliveryFilters(filters: DeliveryFilters, eventTypes: string[] = []): Record<string, FilterValue> {
  const out: Record<string, FilterValue> = {}
  if (filters.status) out.status = filters.status
  if (filters.webhook) out.webhook = filters.webhook
  if (filters.stream) out.stream = filters.stream
  const eventType = filters.eventType.trim()
  if (eventType) out.event_type = ['in', matchingEventTypes(eventType, eventTypes)]
  return out
}

/** get_list args for one page of the delivery log, newest first. */
export function deliveryListArgs(filters: DeliveryFilters, start = 0, eventTypes: string[] = []): GetListArgs {
  return {
    doctype: DELIVERY_DOCTYPE,
    fields: [...DELIVERY_FIELDS],
    filters: deliveryFilters(filters, eventTypes),
    order_by: 'modified desc',
    limit_start: start,
    limit_page_length: DELIVERY_PAGE_LENGTH,
  }
}

/** get_list args for specific deliveries (rows first seen through realtime). */
export function deliveriesByNameArgs(filters: DeliveryFilters, names: string[], eventTypes: string[] = []): GetListArgs {
  return {
    ...deliveryListArgs(filters, 0, eventTypes),
    filters: { ...deliveryFilters(filters, eventTypes), name: ['in', names] },
    limit_page_length: names.length,
  }
}

export function deliveryEventTypesResource() {
  return createResource<string[]>({ url: 'integrations_app.api.dashboard.delivery_event_types' })
}

export function deliveryListResource() {
  return createResource<DeliveryRow[], GetListArgs>({ url: GET_LIST })
}

export function deliveryDetailResource() {
  return createResource<DeliveryDetail, { delivery: string }>({
    url: 'integrations_app.api.dashboard.delivery_detail',
  })
}

export function replayDeliveryResource() {
  return createResource<{ ok: boolean }, { delivery: string }>({
    url: 'integrations_app.api.webhooks.replay_delivery',
  })
}

export function recoverFailedResource() {
  return createResource<{ requeued: number }, { webhook: string; hours: number }>({
    url: 'integrations_app.api.webhooks.recover_failed',
  })
}
