/**
 * A message's timeline for the detail dialog: sent to the provider (the message row itself:
 * status Queued at `sent_at`), then the provider's events in the order they happened. Providers
 * deliver events in no guaranteed order, so they are sorted by their own time; events reported
 * without one keep their arrival order after those that have one.
 */
import { providerTitle } from '../../data/messages'
import { __ } from '../../translate'
import type { MessageDetail, MessageStatus } from '../../types/api'

export interface TimelineEntry {
  key: string
  /** The provider's own event name (`delivered`, `Bounce`), or what the app did. */
  label: string
  /** The status it reported; null for events that change none (a deferral, an open). */
  status: MessageStatus | null
  at: string | null
  detail: string
}

export function messageTimeline(message: Pick<MessageDetail, 'provider' | 'sent_at' | 'events'>): TimelineEntry[] {
  const events = message.events
    .map((event, index) => ({ event, index }))
    .sort((a, b) => {
      if (a.event.at && b.event.at && a.event.at !== b.event.at) return a.event.at < b.event.at ? -1 : 1
      if (!a.event.at !== !b.event.at) return a.event.at ? -1 : 1
      return a.index - b.index
    })
  return [
    { key: 'sent', label: __('Accepted by {0}', [providerTitle(message.provider)]), status: 'Queued', at: message.sent_at, detail: '' },
    ...events.map(({ event, index }) => ({ key: `event-${index}`, label: event.event, status: event.status, at: event.at, detail: event.detail ?? '' })),
  ]
}
