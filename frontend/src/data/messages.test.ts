import { describe, expect, it } from 'vitest'
import type { MessageRow } from '../types/api'
import { MESSAGE_PAGE_LENGTH, matchesMessageFilters, messageListArgs, providerTitle } from './messages'

const row = (over: Partial<MessageRow>): MessageRow => ({
  name: 'm1', connection: 'SendGrid', channel: 'Email', provider: 'sendgrid', provider_message_id: 'sg-1', status: 'Queued',
  status_detail: null, recipient: 'ana@example.org', subject: 'Hi', sent_at: '2026-12-01 10:00:00', status_at: '2026-12-01 10:00:00',
  reference_doctype: null, reference_name: null, creation: '2026-12-01 10:00:00', modified: '2026-12-01 10:00:00', ...over,
}) // prettier-ignore

describe('messageListArgs', () => {
  it('sends only the filters that are set, with the page length', () => {
    expect(messageListArgs({ status: null, channel: null, connection: null })).toEqual({ limit: MESSAGE_PAGE_LENGTH })
    expect(messageListArgs({ status: 'Bounced', channel: 'SMS', connection: 'Twilio EU' })).toEqual({
      status: 'Bounced',
      channel: 'SMS',
      connection: 'Twilio EU',
      limit: MESSAGE_PAGE_LENGTH,
    })
  })
})

describe('matchesMessageFilters', () => {
  it('is the server filter: every set filter must match', () => {
    const none = { status: null, channel: null, connection: null }
    expect(matchesMessageFilters(row({}), none)).toBe(true)
    expect(matchesMessageFilters(row({}), { ...none, status: 'Queued', channel: 'Email', connection: 'SendGrid' })).toBe(true)
    expect(matchesMessageFilters(row({}), { ...none, status: 'Delivered' })).toBe(false)
    expect(matchesMessageFilters(row({}), { ...none, channel: 'SMS' })).toBe(false)
    expect(matchesMessageFilters(row({ connection: null }), { ...none, connection: 'SendGrid' })).toBe(false)
  })
})

describe('providerTitle', () => {
  it('names the product, and shows an unknown key as it is', () => {
    expect(providerTitle('amazon_ses')).toBe('Amazon SES')
    expect(providerTitle('postmark')).toBe('postmark')
  })
})
