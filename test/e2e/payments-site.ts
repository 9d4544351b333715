/**
 * The Payments half of a Frappe site, served live on the stand-in for the payments browser test.
 * Each method follows its Python original and calls a real sidecar as SidecarClient does:
 * - api/connections.py list_connections (with `api_provider` and `area`), connection_stats,
 *   recent_failures, catalogue;
 * - api/providers.py test_operation → payments/tryit.py → providers/payments.py create_payment
 *   (`payment_intents.create` with the row's name in metadata, a test card on sandbox connections);
 * - api/payments.py list_payments and refresh_payment;
 * - api/sidecar.py receive_inbound_events → payments/inbound.py: a verified Stripe event moves
 *   its payment by the state machine (payments/rules/state.py) and settles it once.
 * Every change to a payment is published as `integrations_payment` to `doctype:Integration
 * Payment`, as ledger.publish does after commit.
 */
import { randomBytes } from 'node:crypto'
import { callOperation as sidecarCall, forbidden, isManager, json, serveConnectionsPage, tryItCall } from './site-parts'
import { frappeError, type SiteCall, type Standin } from './standin-server'

export interface PaymentConnection {
  name: string
  sidecar_id: string
  base_url: string
  sandbox: boolean
}

export interface PaymentRecord {
  name: string
  provider: 'stripe'
  provider_payment_id: string
  connection: string
  status: 'Created' | 'Pending' | 'Succeeded' | 'Failed' | 'Refunded' | 'Cancelled'
  amount: string
  currency: string
  reference_doctype: string | null
  reference_name: string | null
  settled_at: string | null
  description: string | null
  checkout_url: string | null
  last_error: string | null
  creation: string
  modified: string
}

/** payments/rules/state.py ALLOWED */
const ALLOWED: Record<PaymentRecord['status'], PaymentRecord['status'][]> = {
  Created: ['Pending', 'Succeeded', 'Failed', 'Cancelled'],
  Pending: ['Succeeded', 'Failed', 'Cancelled'],
  Failed: ['Pending', 'Succeeded', 'Cancelled'],
  Succeeded: ['Refunded'],
  Refunded: [],
  Cancelled: [],
}
/** payments/rules/observe.py STRIPE_INTENT */
const INTENT: Record<string, PaymentRecord['status']> = {
  requires_payment_method: 'Pending', requires_confirmation: 'Pending', requires_action: 'Pending', processing: 'Pending',
  requires_capture: 'Pending', succeeded: 'Succeeded', canceled: 'Cancelled',
}
const ZERO_DECIMAL = new Set(['BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF', 'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF'])
const THREE_DECIMAL = new Set(['BHD', 'JOD', 'KWD', 'OMR', 'TND'])
const exponent = (c: string) => (ZERO_DECIMAL.has(c) ? 0 : THREE_DECIMAL.has(c) ? 3 : 2)
/** money.normalize / from_minor */
const normalize = (amount: string, currency: string) => Number(amount).toFixed(exponent(currency))
const fromMinor = (minor: number, currency: string) => (minor / 10 ** exponent(currency)).toFixed(exponent(currency))
/** frappe.utils.now(): site time, naive */
const now = () => new Date().toISOString().replace('T', ' ').replace('Z', '')

export interface PaymentsSite {
  connections: Map<string, PaymentConnection>
  payments: Map<string, PaymentRecord>
  /** Payments settled, in order (the integrations_payment_settled hook). */
  settled: string[]
}

export function servePayments(site: Standin, options: { sidecarUrl: string; sidecarToken: string; sidecarUser: string }): PaymentsSite {
  const connections = new Map<string, PaymentConnection>()
  const payments = new Map<string, PaymentRecord>()
  const settled: string[] = []
  const callOperation = (conn: PaymentConnection, body: Record<string, unknown>) =>
    sidecarCall({ url: options.sidecarUrl, token: options.sidecarToken }, conn, body)

  const publish = (p: PaymentRecord) => site.emitToRoom('doctype:Integration Payment', 'integrations_payment', { items: [{ ...p }] })

  /** settle.apply: amount check, decide, conditional move, settle once. */
  function apply(pi: any) {
    const name = [...payments.values()].find((p) => p.provider_payment_id === pi.id)?.name ?? pi.metadata?.integration_payment
    const p = name ? payments.get(name) : undefined
    const observed = INTENT[pi.status]
    if (!p || !observed) return
    if (fromMinor(pi.amount, p.currency) !== p.amount || String(pi.currency).toUpperCase() !== p.currency) return
    if (observed !== p.status && ALLOWED[p.status].includes(observed)) {
      p.status = observed
      p.modified = now()
      if (observed === 'Succeeded') {
        p.settled_at = p.modified
        settled.push(p.name)
      }
    }
    publish(p)
  }

  serveConnectionsPage(site, () => [...connections.values()].map((c) => ({ ...c, api_provider: 'Stripe', area: 'payments' as const })))

  site.serve('integrations_app.api.providers.test_operation', async (call: SiteCall) => {
    const checked = tryItCall(call, connections)
    if ('reply' in checked) return checked.reply
    const { conn, params } = checked
    const currency = (params.currency || 'USD').toUpperCase()
    const amount = normalize(params.amount || '1.00', currency)
    const name = randomBytes(6).toString('hex')
    let pi: any
    try {
      pi = await callOperation(conn, {
        operation: 'payment_intents.create',
        params: {
          amount, currency, metadata: { integration_payment: name }, description: 'Test payment from desk',
          ...(conn.sandbox ? { confirm: true, payment_method: 'pm_card_visa', payment_method_types: ['card'] } : {}),
        },
        idempotency_key: `integration-payment:${name}`,
      })
    } catch (error) {
      return json({ ok: false, area: 'payments', summary: (error as Error).message, code: 'provider_rejected' })
    }
    const at = now()
    const row: PaymentRecord = {
      name, provider: 'stripe', provider_payment_id: pi.id, connection: conn.name, status: 'Created', amount, currency,
      reference_doctype: null, reference_name: null, settled_at: null, description: 'Test payment from desk', checkout_url: null,
      last_error: null, creation: at, modified: at,
    }
    payments.set(name, row)
    publish(row)
    apply(pi)
    return json({ ok: true, area: 'payments', summary: `Payment ${pi.id} of ${amount} ${currency}: ${row.status}`, payment: name, status: row.status, provider_payment_id: pi.id, url: null })
  })

  site.serve('integrations_app.api.payments.list_payments', async (call) => {
    if (!isManager(call.user)) return forbidden()
    const rows = [...payments.values()].filter((p) => !call.args.status || p.status === call.args.status).sort((a, b) => b.creation.localeCompare(a.creation))
    return json(rows.slice(0, Number(call.args.limit) || 100))
  })

  site.serve('integrations_app.api.payments.refresh_payment', async (call) => {
    if (!isManager(call.user)) return forbidden()
    const p = payments.get(String(call.args.payment))
    if (!p) return frappeError(404, 'DoesNotExistError', 'Integration Payment not found')
    apply(await callOperation(connections.get(p.connection)!, { operation: 'payment_intents.retrieve', params: { id: p.provider_payment_id } }))
    return json({ ...p })
  })

  site.serve('integrations_app.api.sidecar.receive_inbound_events', async (call) => {
    if (call.user !== options.sidecarUser) return forbidden()
    const accepted: string[] = []
    for (const e of (call.args.events as Array<Record<string, any>>) ?? []) {
      accepted.push(e.sidecar_id)
      const event = JSON.parse(e.payload)
      if (e.provider === 'stripe' && String(e.event_type).startsWith('payment_intent.')) apply(event.data.object)
    }
    return json({ accepted, duplicates: [], rejected: [] })
  })

  return { connections, payments, settled }
}
