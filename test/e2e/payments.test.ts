/**
 * Payments end to end in Chromium: a connection's "Try it" panel creates a test payment through
 * a real sidecar process and a Stripe stand-in (test/providers), the Payments log lists it, and a
 * Stripe-signed webhook (signed by Stripe's own SDK) arriving at the sidecar's inbound endpoint
 * settles a pending payment, which the open Payments page shows live.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { STANDIN_STRIPE_KEY, startStripeStandin, type StripeStandin } from '../../sidecar/test/providers/stripe'
import type { SidecarProcess } from '../../sidecar/test/sidecar-process'
import { IntegrationsApp } from './app-page'
import { openBrowser, type BrowserSession } from './browser'
import { servePayments, type PaymentsSite } from './payments-site'
import { closeSuite, startSiteSidecar } from './site-parts'
import { startStandin, type Standin } from './standin-server'

const SIDECAR_TOKEN = 'e2e-pay-sidecar-token-0123456789'
const SIDECAR_USER = 'sidecar@integrations.example'
const WEBHOOK_SECRET = 'whsec_e2e_payments_0123456789'

let site: Standin
let stripe: StripeStandin
let sidecar: SidecarProcess
let paySite: PaymentsSite
let session: BrowserSession
let app: IntegrationsApp

async function sidecarApi(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${sidecar.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${SIDECAR_TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
}

async function addConnection(name: string, sandbox: boolean) {
  const id = name.replace(/[^A-Za-z0-9_.-]/g, '-')
  const res = await sidecarApi('PUT', `/v1/connections/${id}`, { base_url: stripe.url, auth: { type: 'bearer', token: STANDIN_STRIPE_KEY }, provider: 'stripe', sandbox })
  expect(res.status).toBe(200)
  paySite.connections.set(name, { name, sidecar_id: id, base_url: 'https://api.stripe.com', sandbox })
}

beforeAll(async () => {
  site = await startStandin()
  stripe = await startStripeStandin()
  sidecar = await startSiteSidecar(site, { label: 'e2e-pay', token: SIDECAR_TOKEN, user: SIDECAR_USER })
  paySite = servePayments(site, { sidecarUrl: sidecar.url, sidecarToken: SIDECAR_TOKEN, sidecarUser: SIDECAR_USER })
  await addConnection('Stripe Sandbox', true)
  await addConnection('Stripe Live', false)
  expect((await sidecarApi('PUT', '/v1/inbound-endpoints/stripe-pay', { provider: 'stripe', secret: WEBHOOK_SECRET })).status).toBe(200)
  session = await openBrowser(site.url)
  app = new IntegrationsApp(session.page, site.url)
})

afterAll(() => closeSuite({ session, sidecar, site }, stripe))



describe('payments in Chromium', () => {
  it('Try it → Create test payment: JPY 500 reaches Stripe as 500 and shows as Succeeded in Payments', async () => {
    await app.page.goto(`${site.url}/integrations/connections`)
    const tryIt = app.tryIt('Stripe Sandbox')
    await app.fillTryIt(tryIt, 'amount', '500')
    await app.fillTryIt(tryIt, 'currency', 'JPY')
    await tryIt.getByRole('button', { name: 'Create test payment' }).click()
    await expect.poll(() => tryIt.getByTestId('try-it-result').innerText().catch(() => '')).toMatch(/^Payment pi_\w+ of 500 JPY: Succeeded/)
    await app.screenshot('payments-try-it')

    const sent = stripe.seen(/^\/v1\/payment_intents$/).at(-1)!
    expect(sent.headers['stripe-version']).toBe('2024-06-20')
    expect(sent.headers.authorization).toBe(`Bearer ${STANDIN_STRIPE_KEY}`)
    expect(sent.headers['idempotency-key']).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(new URLSearchParams(sent.body).get('amount')).toBe('500')
    expect(new URLSearchParams(sent.body).get('currency')).toBe('jpy')
    expect(stripe.charges).toHaveLength(1)

    await tryIt.getByRole('link', { name: 'See it in Payments' }).click()
    await app.page.getByRole('heading', { level: 1, name: 'Payments' }).waitFor()
    const row = app.page.getByTestId('payments-log').locator('tbody tr').first()
    await expect.poll(() => row.getByTestId('payment-amount').innerText()).toBe('500 JPY')
    expect(await row.getByTestId('payment-status').innerText()).toBe('Succeeded')
    expect(session.errors).toEqual([])
  })

  it('a Stripe-signed webhook through the sidecar settles a pending payment once, live on the open page', async () => {
    await app.page.goto(`${site.url}/integrations/connections`)
    const tryIt = app.tryIt('Stripe Live')
    await app.fillTryIt(tryIt, 'amount', '5')
    await app.fillTryIt(tryIt, 'currency', 'kwd')
    await tryIt.getByRole('button', { name: 'Create test payment' }).click()
    await expect.poll(() => tryIt.getByTestId('try-it-result').innerText().catch(() => '')).toMatch(/of 5\.000 KWD: Pending/)
    expect(new URLSearchParams(stripe.seen(/^\/v1\/payment_intents$/).at(-1)!.body).get('amount')).toBe('5000')
    const payment = [...paySite.payments.values()].find((p) => p.currency === 'KWD')!

    await app.page.goto(`${site.url}/integrations/payments`)
    const row = app.page.locator(`[data-testid="payments-log"] tr[data-name="${payment.name}"]`)
    await expect.poll(() => row.getByTestId('payment-status').innerText()).toBe('Pending')

    // The payer pays at Stripe; Stripe tells the site's inbound endpoint, signing with its SDK.
    const pi = stripe.intents.get(payment.provider_payment_id)!
    Object.assign(pi, { status: 'succeeded', amount_received: pi.amount })
    const { payload, header } = stripe.signedEvent(WEBHOOK_SECRET, 'payment_intent.succeeded', pi)
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${sidecar.url}/v1/inbound/stripe-pay`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': header }, body: payload })
      expect(res.status).toBe(200)
    }
    // The event rides the sidecar's durable forwarder to the site: slower on a loaded CI machine.
    await expect.poll(() => row.getByTestId('payment-status').innerText(), { timeout: 30_000 }).toBe('Succeeded')
    expect(paySite.settled.filter((n) => n === payment.name)).toEqual([payment.name])
    await app.screenshot('payments-log')

    const forged = await fetch(`${sidecar.url}/v1/inbound/stripe-pay`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': header.replace(/v1=\w/, 'v1=0') }, body: payload })
    expect(forged.status).toBe(401)
    expect(session.errors).toEqual([])
  })
})
