import { createResource } from 'frappe-ui'
import type { FailingNow } from '../types/api'
import type { IntegrationWebhook } from '../types/doctypes'
import { GET_LIST, type GetListArgs, type ListRow } from './client'

export const WEBHOOK_FIELDS = [
  'name',
  'title',
  'reference_doctype',
  'url',
  'status',
  'delivered_count',
  'consecutive_failures',
  'last_success_at',
] as const

export type WebhookRow = ListRow<IntegrationWebhook, (typeof WEBHOOK_FIELDS)[number], 'status'>

/** One list serves the Webhooks page and the webhook filter of the delivery log. */
export const WEBHOOK_LIST_ARGS: GetListArgs = {
  doctype: 'Integration Webhook',
  fields: [...WEBHOOK_FIELDS],
  filters: {},
  order_by: 'modified desc',
  limit_start: 0,
  limit_page_length: 500,
}

export function webhookListResource() {
  return createResource<WebhookRow[], GetListArgs>({ url: GET_LIST, params: WEBHOOK_LIST_ARGS })
}

/** Deliveries failing now per webhook, counted by the server. */
export function failingNowResource() {
  return createResource<FailingNow>({ url: 'integrations_app.api.webhooks.failing_now' })
}

export function setPausedResource() {
  return createResource<{ status: WebhookRow['status'] }, { webhook: string; paused: boolean }>({
    url: 'integrations_app.api.webhooks.set_paused',
  })
}

export function sendTestEventResource() {
  return createResource<{ delivery: string }, { webhook: string }>({
    url: 'integrations_app.api.webhooks.send_test_event',
  })
}

/** The answer carries the new secret: the only time anyone sees it. */
export function rotateSecretResource() {
  return createResource<{ ok: boolean; previous_expires_at: string; secret: string }, { webhook: string }>({
    url: 'integrations_app.api.webhooks.rotate_secret',
  })
}
