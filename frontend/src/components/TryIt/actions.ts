/**
 * The "Try it" panel's actions, one per provider area: what the button says and which fields it
 * asks for. The site runs the action (`integrations_app.api.providers.test_operation`, which
 * dispatches on the connection's area); each area adds its entry here and there.
 */
import { __ } from '../../translate'
import type { ProviderArea } from '../../types/api'

export interface TryItField {
  key: string
  label: string
  /** Shown in the empty input (a value, not words: no translation). */
  example: string
  /** Sent when left empty. */
  initial: string
  /** What the value must look like; the message says why not. */
  pattern?: RegExp
  invalid?: string
}

export interface TryItAction {
  label: string
  description: string
  fields: TryItField[]
}

export function tryItAction(area: ProviderArea | null | undefined): TryItAction | null {
  if (area === 'payments') {
    return {
      label: __('Create test payment'),
      description: __('A small payment at the provider, recorded in Payments. Sandbox Stripe connections pay it with a test card.'),
      fields: [
        { key: 'amount', label: __('Amount'), example: '1.00', initial: '1.00', pattern: /^\d{1,15}(\.\d{1,6})?$/, invalid: __('Amount is a decimal such as 5.00') },
        { key: 'currency', label: __('Currency'), example: 'USD', initial: 'USD', pattern: /^[A-Za-z]{3}$/, invalid: __('Currency is a three-letter code such as USD') },
      ],
    }
  }
  if (area === 'email') {
    return {
      label: __('Send test email'),
      description: __('A short email through the provider, recorded in Integration Message; delivery events update it.'),
      fields: [
        { key: 'to', label: __('To'), example: 'ana@example.org', initial: '', pattern: /^[^@\s]+@[^@\s]+$/, invalid: __('To is an email address') },
        { key: 'sender', label: __('From'), example: 'billing@example.com', initial: '' },
      ],
    }
  }
  if (area === 'sms') {
    return {
      label: __('Send test SMS'),
      description: __('A short SMS through the provider, recorded in Integration Message; status callbacks update it.'),
      fields: [
        { key: 'to', label: __('To'), example: '+14155550100', initial: '', pattern: /^\+[1-9]\d{6,14}$/, invalid: __('To is a phone number in E.164 form such as +14155550100') },
        { key: 'sender', label: __('From'), example: '+14155550111', initial: '' },
      ],
    }
  }
  if (area === 'storage') {
    return {
      label: __('Upload test file'),
      description: __('A small text file put in the bucket, read back, and offered through a 5-minute signed URL.'),
      fields: [],
    }
  }
  return null
}

/** The params to send: each field's value or its initial one; or the first field's problem. */
export function tryItParams(action: TryItAction, values: Record<string, string>): { params: Record<string, string> } | { error: string } {
  const params: Record<string, string> = {}
  for (const field of action.fields) {
    const value = (values[field.key] ?? '').trim() || field.initial
    if (field.pattern && !field.pattern.test(value)) return { error: field.invalid ?? field.label }
    params[field.key] = value
  }
  return { params }
}
