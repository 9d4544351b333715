import { createResource } from 'frappe-ui'
import type { MessageChannel, MessageDetail, MessageRow, MessageStatus } from '../types/api'

export const MESSAGE_STATUSES: MessageStatus[] = ['Queued', 'Sent', 'Delivered', 'Bounced', 'Complained', 'Failed', 'Undelivered']
export const MESSAGE_CHANNELS: MessageChannel[] = ['Email', 'SMS']
export const MESSAGE_PAGE_LENGTH = 100

export interface MessageFilters {
  status: MessageStatus | null
  channel: MessageChannel | null
  connection: string | null
}

/** What `list_messages` takes: only the filters that are set. */
export interface MessageListArgs {
  status?: MessageStatus
  channel?: MessageChannel
  connection?: string
  limit: number
}

export function messageListArgs(filters: MessageFilters): MessageListArgs {
  return {
    ...(filters.status ? { status: filters.status } : {}),
    ...(filters.channel ? { channel: filters.channel } : {}),
    ...(filters.connection ? { connection: filters.connection } : {}),
    limit: MESSAGE_PAGE_LENGTH,
  }
}

/** The server's filter, for rows that arrive by realtime. */
export function matchesMessageFilters(row: MessageRow, filters: MessageFilters): boolean {
  return (
    (!filters.status || row.status === filters.status) &&
    (!filters.channel || row.channel === filters.channel) &&
    (!filters.connection || row.connection === filters.connection)
  )
}

export function messageListResource() {
  return createResource<MessageRow[], MessageListArgs>({ url: 'integrations_app.api.messages.list_messages' })
}

export function messageDetailResource() {
  return createResource<MessageDetail, { name: string }>({ url: 'integrations_app.api.messages.get_message' })
}

/** The connection APIs that send messages (Integration Message `provider`), by their product names. */
const PROVIDER_TITLES: Record<string, string> = { sendgrid: 'SendGrid', mailgun: 'Mailgun', amazon_ses: 'Amazon SES', twilio: 'Twilio' }
export const providerTitle = (provider: string) => PROVIDER_TITLES[provider] ?? provider

export const messageDeskUrl = (name: string) => '/app/integration-message/' + encodeURIComponent(name)
