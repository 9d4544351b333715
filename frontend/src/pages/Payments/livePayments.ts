/**
 * Keeping the Payments log live from `integrations_payment` (the site publishes a payment's row
 * after each committed change). Messages can arrive out of order, so a row is replaced only by
 * one at least as new (`modified`); new payments matching the filter go on top.
 */
import type { PaymentRow, PaymentStatus } from '../../types/api'

/** The most rows the live log keeps; older ones drop off the end. */
export const MAX_LIVE_PAYMENTS = 500

export function mergePayments(rows: PaymentRow[], items: PaymentRow[], status: PaymentStatus | null): PaymentRow[] {
  const next = [...rows]
  for (const item of items) {
    const index = next.findIndex((row) => row.name === item.name)
    const known = next[index]
    if (known) {
      if (item.modified < known.modified) continue
      if (status && item.status !== status) next.splice(index, 1)
      else next[index] = item
    } else if (!status || item.status === status) {
      next.unshift(item)
    }
  }
  return next.slice(0, MAX_LIVE_PAYMENTS)
}
