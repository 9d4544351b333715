import { describe, expect, it } from 'vitest'
import { tryItAction, tryItParams } from './actions'

describe('Try it actions', () => {
  it('offers "Create test payment" for payments connections and nothing for areas without an action', () => {
    expect(tryItAction('payments')?.label).toBe('Create test payment')
    expect(tryItAction('payments')?.fields.map((f) => f.key)).toEqual(['amount', 'currency'])
    expect(tryItAction('email')?.label).toBe('Send test email')
    expect(tryItAction('sms')?.fields.map((f) => f.key)).toEqual(['to', 'sender'])
    expect(tryItAction('storage')?.fields).toEqual([])
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

  it('asks email and SMS for a recipient it can send to; the sender may stay empty', () => {
    expect(tryItParams(tryItAction('email')!, {})).toEqual({ error: 'To is an email address' })
    expect(tryItParams(tryItAction('email')!, { to: 'ana@example.org' })).toEqual({ params: { to: 'ana@example.org', sender: '' } })
    expect(tryItParams(tryItAction('sms')!, { to: '4155550100' })).toEqual({ error: 'To is a phone number in E.164 form such as +14155550100' })
    expect(tryItParams(tryItAction('storage')!, {})).toEqual({ params: {} })
  })
})
