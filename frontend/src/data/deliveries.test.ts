import { describe, expect, it } from 'vitest'
import { DELIVERY_FIELDS, DELIVERY_PAGE_LENGTH, EMPTY_DELIVERY_FILTERS, deliveriesByNameArgs, deliveryListArgs } from './deliveries'

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
    const args = deliveryListArgs({ status: 'Failed', webhook: 'orders-hook', eventType: '  Invoice ' }, 50, types)
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
    expect(deliveryListArgs({ status: '', webhook: '', eventType: '   ' }).filters).toEqual({})
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
