import { describe, expect, it } from 'vitest'
import type { PaymentRow } from '../../types/api'
import { MAX_LIVE_PAYMENTS, mergePayments } from './livePayments'

const row = (name: string, status: PaymentRow['status'], modified: string): PaymentRow => ({
  name,
  provider: 'stripe',
  provider_payment_id: `pi_${name}`,
  connection: 'Stripe',
  status,
  amount: '5.00',
  currency: 'USD',
  reference_doctype: null,
  reference_name: null,
  settled_at: null,
  description: null,
  checkout_url: null,
  last_error: null,
  creation: '2026-12-01 00:00:00',
  modified,
})

describe('mergePayments', () => {
  it('updates a known payment and puts new ones on top', () => {
    const rows = [row('a', 'Pending', '2026-12-01 00:00:01')]
    const next = mergePayments(rows, [row('a', 'Succeeded', '2026-12-01 00:00:02'), row('b', 'Pending', '2026-12-01 00:00:03')], null)
    expect(next.map((r) => [r.name, r.status])).toEqual([
      ['b', 'Pending'],
      ['a', 'Succeeded'],
    ])
    expect(rows[0]!.status).toBe('Pending') // not mutated
  })

  it('ignores an older message arriving after a newer one', () => {
    const rows = [row('a', 'Succeeded', '2026-12-01 00:00:05.100000')]
    expect(mergePayments(rows, [row('a', 'Pending', '2026-12-01 00:00:05.000000')], null)[0]!.status).toBe('Succeeded')
  })

  it('keeps the status filter: rows that leave it go, new rows outside it never come', () => {
    const rows = [row('a', 'Pending', '1')]
    expect(mergePayments(rows, [row('a', 'Succeeded', '2'), row('b', 'Succeeded', '2')], 'Pending')).toEqual([])
    expect(mergePayments([], [row('c', 'Pending', '3')], 'Pending').map((r) => r.name)).toEqual(['c'])
  })

  it('keeps at most MAX_LIVE_PAYMENTS rows', () => {
    const many = Array.from({ length: MAX_LIVE_PAYMENTS }, (_, i) => row(`r${i}`, 'Pending', '1'))
    const next = mergePayments(many, [row('new', 'Pending', '2')], null)
    expect(next).toHaveLength(MAX_LIVE_PAYMENTS)
    expect(next[0]!.name).toBe('new')
  })
})
