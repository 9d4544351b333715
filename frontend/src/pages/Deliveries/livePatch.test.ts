import { describe, expect, it } from 'vitest'
import { EMPTY_DELIVERY_FILTERS, type DeliveryRow } from '../../data/deliveries'
import type { Outcome } from '../../types/api'
import { MAX_LIVE_ROWS, applyOutcomes, mergeFetched, shouldApply } from './livePatch'

const NOW = '2025-01-01 12:00:00'

function row(name: string, extra: Partial<DeliveryRow> = {}): DeliveryRow {
  return {
    name,
    webhook: 'orders-hook',
    event_type: 'sales_order.submitted',
    reference_doctype: 'Sales Order',
    reference_name: 'SO-0001',
    status: 'Queued',
    attempts_count: 0,
    modified: '2025-01-01 11:00:00',
    ...extra,
  }
}

function outcome(message_id: string, status: Outcome['status'], n: number | null, extra: Partial<NonNullable<Outcome['attempt']>> = {}): Outcome {
  return {
    message_id,
    endpoint_id: 'orders-hook',
    status,
    attempt:
      n === null
        ? null
        : { n, at: '2025-01-01T12:00:00.000Z', status_code: null, duration_ms: null, error: null, response_body: null, request_headers: null, ...extra },
    next_attempt_at: null,
  }
}

describe('shouldApply', () => {
  it('moves forward for the same attempt and never back', () => {
    expect(shouldApply('Queued', 0, 'Sending', 0)).toBe(true)
    expect(shouldApply('Retrying', 1, 'Sending', 1)).toBe(false)
  })
  it('keeps a final status for the same attempt', () => {
    expect(shouldApply('Succeeded', 2, 'Failed', 2)).toBe(false)
    expect(shouldApply('Failed', 2, 'Retrying', null)).toBe(false)
  })
  it('lets a newer attempt (a replay) reopen a final delivery and ignores older ones', () => {
    expect(shouldApply('Failed', 3, 'Sending', 4)).toBe(true)
    expect(shouldApply('Retrying', 3, 'Failed', 2)).toBe(false)
  })
})

describe('applyOutcomes', () => {
  it('updates a known row with the attempt result', () => {
    const { rows, unknown } = applyOutcomes(
      [row('msg_a'), row('msg_b')],
      [outcome('msg_b', 'retrying', 1, { status_code: 503, error: 'HTTP 503' })],
      EMPTY_DELIVERY_FILTERS,
      NOW,
    )
    expect(unknown).toEqual([])
    expect(rows.map((r) => r.name)).toEqual(['msg_a', 'msg_b'])
    expect(rows[1]).toMatchObject({ status: 'Retrying', attempts_count: 1, last_status_code: 503, last_error: 'HTTP 503', modified: NOW })
    expect(rows[0]).toEqual(row('msg_a'))
  })

  it('clears the last error when a later attempt succeeds', () => {
    const start = row('msg_a', { status: 'Retrying', attempts_count: 1, last_status_code: 500, last_error: 'HTTP 500' })
    const { rows } = applyOutcomes([start], [outcome('msg_a', 'succeeded', 2, { status_code: 200 })], EMPTY_DELIVERY_FILTERS, NOW)
    expect(rows[0]).toMatchObject({ status: 'Succeeded', attempts_count: 2, last_status_code: 200, last_error: '' })
  })

  it('ignores stale and duplicate outcomes, in any order', () => {
    const start = row('msg_a', { status: 'Succeeded', attempts_count: 2, last_status_code: 200 })
    const { rows } = applyOutcomes(
      [start],
      [outcome('msg_a', 'retrying', 1, { status_code: 500 }), outcome('msg_a', 'sending', 2), outcome('msg_a', 'succeeded', 2, { status_code: 200 })],
      EMPTY_DELIVERY_FILTERS,
      NOW,
    )
    expect(rows[0]).toEqual(start)
  })

  it('puts an unknown delivery on top and asks for its details', () => {
    const { rows, unknown } = applyOutcomes([row('msg_a')], [outcome('msg_new', 'sending', 1), outcome('msg_new', 'succeeded', 1, { status_code: 204 })], EMPTY_DELIVERY_FILTERS, NOW)
    expect(unknown).toEqual(['msg_new'])
    expect(rows.map((r) => r.name)).toEqual(['msg_new', 'msg_a'])
    expect(rows[0]).toMatchObject({ webhook: 'orders-hook', status: 'Succeeded', attempts_count: 1, last_status_code: 204 })
  })

  it('skips unknown deliveries the filters exclude', () => {
    const filters = { ...EMPTY_DELIVERY_FILTERS, status: 'Failed' }
    const { rows, unknown } = applyOutcomes([], [outcome('msg_new', 'succeeded', 1, { status_code: 200 })], filters, NOW)
    expect(rows).toEqual([])
    expect(unknown).toEqual([])
    const other = applyOutcomes([], [outcome('msg_new', 'failed', 1, { status_code: 400 })], { ...EMPTY_DELIVERY_FILTERS, webhook: 'other-hook' }, NOW)
    expect(other.rows).toEqual([])
  })

  it("filtered to a stream, shows no webhook's live outcome, and still updates the stream's rows it has", () => {
    const filters = { ...EMPTY_DELIVERY_FILTERS, stream: 'orders' }
    const fresh = applyOutcomes([], [outcome('msg_new', 'failed', 1, { status_code: 400 })], filters, NOW)
    expect(fresh).toEqual({ rows: [], unknown: [] })
    const known = row('msg_known', { webhook: undefined, stream: 'orders' })
    expect(applyOutcomes([known], [outcome('msg_known', 'succeeded', 1)], filters, NOW).rows[0]?.status).toBe('Succeeded')
  })

  it('with an event-type filter, only asks the server about unknown deliveries', () => {
    const { rows, unknown } = applyOutcomes([], [outcome('msg_new', 'failed', 1)], { ...EMPTY_DELIVERY_FILTERS, eventType: 'invoice' }, NOW)
    expect(rows).toEqual([])
    expect(unknown).toEqual(['msg_new'])
  })

  it('keeps at most MAX_LIVE_ROWS rows', () => {
    const many = Array.from({ length: MAX_LIVE_ROWS }, (_, i) => row(`msg_${i}`))
    const { rows } = applyOutcomes(many, [outcome('msg_new', 'sending', 1)], EMPTY_DELIVERY_FILTERS, NOW)
    expect(rows).toHaveLength(MAX_LIVE_ROWS)
    expect(rows[0]?.name).toBe('msg_new')
  })
})

describe('mergeFetched', () => {
  it('fills in a partial row but keeps a status that is further along', () => {
    const live = row('msg_a', { event_type: '', reference_doctype: undefined, status: 'Succeeded', attempts_count: 1, last_status_code: 200, modified: NOW })
    const server = row('msg_a', { status: 'Sending', attempts_count: 1 })
    const [merged] = mergeFetched([live], [server], 'top')
    expect(merged).toMatchObject({ event_type: 'sales_order.submitted', reference_name: 'SO-0001', status: 'Succeeded', last_status_code: 200 })
  })

  it('takes the server row when it is ahead, and places new rows by position', () => {
    const live = row('msg_a', { status: 'Sending', attempts_count: 1 })
    const server = row('msg_a', { status: 'Failed', attempts_count: 1, last_status_code: 400 })
    expect(mergeFetched([live], [server], 'top')).toEqual([server])
    expect(mergeFetched([live], [row('msg_b')], 'top').map((r) => r.name)).toEqual(['msg_b', 'msg_a'])
    expect(mergeFetched([live], [row('msg_b')], 'end').map((r) => r.name)).toEqual(['msg_a', 'msg_b'])
  })
})
