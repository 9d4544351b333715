import { createResource } from 'frappe-ui'
import type { PaymentRow, PaymentStatus } from '../types/api'

export const PAYMENT_STATUSES: PaymentStatus[] = ['Created', 'Pending', 'Succeeded', 'Failed', 'Refunded', 'Cancelled']
export const PAYMENT_PAGE_LENGTH = 100

export interface PaymentListArgs {
  status?: PaymentStatus
  limit: number
}

export function paymentListResource() {
  return createResource<PaymentRow[], PaymentListArgs>({ url: 'integrations_app.api.payments.list_payments' })
}

/** Re-read one payment at its provider (a webhook that never came). */
export function refreshPaymentResource() {
  return createResource<PaymentRow, { payment: string }>({ url: 'integrations_app.api.payments.refresh_payment' })
}

export const paymentDeskUrl = (name: string) => '/app/integration-payment/' + encodeURIComponent(name)
