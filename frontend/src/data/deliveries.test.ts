import { describe, expect, it } from 'vitest'
import {
  DELIVERY_FIELDS,
  DELIVERY_PAGE_LENGTH,
  EMPTY_DELIVERY_FILTERS,
  deliveriesByNameArgs,
  deliveryListArgs,
  deliveryTarget,
  fromTargetFilterValue,
  targetFilterValue,
} from './deliveries'

describe('deliveryListArgs', () => {
  it('asks for the newest page with no filters', () => {
    expect(deliveryListArgs(EMPTY_DELIVERY_FILTERS)).toEqual({
      doctype: 'Integration Webhook Delivery',
      fields: [...DELIVERY_FIELDS],
      filters: {},
      order_by: 'modified desc',
      limit_start: 0,
      limit_page_length: DELIVERY_PAGE_LENGTH,
    })
  })

  it('maps status, webhook and event type to get_list filters', () => {
    const types = ['sales_invoice.created', 'purchase_invoice.submitted', 'todo.created']
    const args = deliveryListArgs({ status: 'Failed', webhook: 'orders-hook', stream: '', eventType: '  Invoice ' }, 50, types)
    expect(args.filters).toEqual({
      status: 'Failed',
      webhook: 'orders-hook',
      event_type: ['in', ['sales_invoice.created', 'purchase_invoice.submitted']],
    })
    expect(args.limit_start).toBe(50)
  })

  it('an event type nothing contains still asks for nothing, never for everything', () => {
    expect(deliveryListArgs({ ...EMPTY_DELIVERY_FILTERS, eventType: 'zzz' }, 0, ['todo.created']).filters).toEqual({
      event_type: ['in', ['zzz']],
    })
  })

  it('leaves empty filters out', () => {
    expect(deliveryListArgs({ status: '', webhook: '', stream: '', eventType: '   ' }).filters).toEqual({})
  })
})

describe('deliveriesByNameArgs', () => {
  it('adds a name filter within the current filters', () => {
    const args = deliveriesByNameArgs({ ...EMPTY_DELIVERY_FILTERS, status: 'Failed' }, ['msg_a', 'msg_b'])
    expect(args.filters).toEqual({ status: 'Failed', name: ['in', ['msg_a', 'msg_b']] })
    expect(args.limit_start).toBe(0)
    expect(args.limit_page_length).toBe(2)
  })
})

describe('delivery targets', () => {
  it('asks for the stream and sync profile of each row, not only the webhook', () => {
    expect(DELIVERY_FIELDS).toEqual(expect.arrayContaining(['webhook', 'stream', 'sync_profile']))
  })

  it("names a row's webhook, stream or sync profile", () => {
    expect(deliveryTarget({ webhook: 'orders-hook', stream: undefined, sync_profile: undefined })).toEqual({ kind: 'webhook', name: 'orders-hook' })
    expect(deliveryTarget({ webhook: undefined, stream: 'orders', sync_profile: undefined })).toEqual({ kind: 'stream', name: 'orders' })
    expect(deliveryTarget({ webhook: '', stream: '', sync_profile: 'customers' })).toEqual({ kind: 'sync_profile', name: 'customers' })
    expect(deliveryTarget({ webhook: '', stream: '', sync_profile: '' })).toBeNull()
  })

  it('one select value per webhook or stream, and back to the get_list filter', () => {
    for (const value of ['', 'webhook:orders-hook', 'stream:orders', 'stream:a:b']) {
      expect(targetFilterValue(fromTargetFilterValue(value))).toBe(value)
    }
    const byStream = { ...EMPTY_DELIVERY_FILTERS, status: 'Succeeded', ...fromTargetFilterValue('stream:orders') }
    expect(deliveryListArgs(byStream).filters).toEqual({ status: 'Succeeded', stream: 'orders' })
    expect(deliveryListArgs({ ...byStream, ...fromTargetFilterValue('webhook:orders-hook') }).filters).toEqual({ status: 'Succeeded', webhook: 'orders-hook' })
    expect(deliveryListArgs({ ...byStream, ...fromTargetFilterValue('') }).filters).toEqual({ status: 'Succeeded' })
  })
})
