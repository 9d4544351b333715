import { describe, expect, it } from 'vitest'
import { tryItAction, tryItParams } from './actions'

describe('Try it actions', () => {
  it('offers "Create test payment" for payments connections and nothing for areas without an action', () => {
    expect(tryItAction('payments')?.label).toBe('Create test payment')
    expect(tryItAction('payments')?.fields.map((f) => f.key)).toEqual(['amount', 'currency'])
    expect(tryItAction(null)).toBeNull()
    expect(tryItAction(undefined)).toBeNull()
  })

  it('sends the defaults for empty fields and refuses values the provider could not take', () => {
    const action = tryItAction('payments')!
    expect(tryItParams(action, {})).toEqual({ params: { amount: '1.00', currency: 'USD' } })
    expect(tryItParams(action, { amount: ' 500 ', currency: 'jpy' })).toEqual({ params: { amount: '500', currency: 'jpy' } })
    expect(tryItParams(action, { amount: '5,00' })).toEqual({ error: 'Amount is a decimal such as 5.00' })
    expect(tryItParams(action, { currency: 'EURO' })).toEqual({ error: 'Currency is a three-letter code such as USD' })
  })
})
