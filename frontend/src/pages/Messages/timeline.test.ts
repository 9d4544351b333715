import { describe, expect, it } from 'vitest'
import { messageTimeline } from './timeline'

describe('messageTimeline', () => {
  it('starts with the send, then the events by their own time; timeless ones after, in arrival order', () => {
    const entries = messageTimeline({
      provider: 'sendgrid',
      sent_at: '2026-12-01 10:00:00',
      events: [
        { event: 'delivered', status: 'Delivered', at: '2026-12-01 10:00:09', detail: null },
        { event: 'open', status: null, at: null, detail: null },
        { event: 'processed', status: 'Sent', at: '2026-12-01 10:00:02', detail: '' },
        { event: 'bounce', status: 'Bounced', at: '2026-12-01 10:05:00', detail: '550 5.1.1 no such user' },
        { event: 'click', status: null, at: null, detail: null },
      ],
    })
    expect(entries.map((e) => [e.label, e.status, e.at])).toEqual([
      ['Accepted by SendGrid', 'Queued', '2026-12-01 10:00:00'],
      ['processed', 'Sent', '2026-12-01 10:00:02'],
      ['delivered', 'Delivered', '2026-12-01 10:00:09'],
      ['bounce', 'Bounced', '2026-12-01 10:05:00'],
      ['open', null, null],
      ['click', null, null],
    ])
    expect(entries[3]!.detail).toBe('550 5.1.1 no such user')
    expect(new Set(entries.map((e) => e.key)).size).toBe(entries.length)
  })
})
