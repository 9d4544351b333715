import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startConnectionsHarness, type ConnectionsHarness } from '../../../test/connections/harness';
import { parseForm } from '../../../test/providers/base';
import { STANDIN_STRIPE_KEY, startStripeStandin, type StripeStandin } from '../../../test/providers/stripe';
import { deriveKey } from '../idempotency';
import { ALL_PROVIDERS } from '../index';
import { STRIPE_VERSION } from './client';
import { encodeForm } from './form';

/**
 * Stripe operations through the real HTTP stack and the connection's proxy, against a local
 * server that speaks Stripe's wire format and keeps its own state (test/providers/stripe.ts).
 */
describe('stripe provider', () => {
  let h: ConnectionsHarness;
  let stripe: StripeStandin;
  beforeAll(async () => {
    stripe = await startStripeStandin();
    h = await startConnectionsHarness({ connections: { providers: ALL_PROVIDERS } });
    await h.put('st', { base_url: stripe.url, auth: { type: 'bearer', token: STANDIN_STRIPE_KEY }, provider: 'stripe', max_attempts: 3 });
    // A short per-attempt timeout for the lost-answer case.
    await h.put('st-fast', { base_url: stripe.url, auth: { type: 'bearer', token: STANDIN_STRIPE_KEY }, provider: 'stripe', max_attempts: 3, timeout_ms: 400 });
  });
  afterAll(async () => {
    await h.close();
    await stripe.close();
  });
  beforeEach(() => {
    stripe.faults.length = 0;
  });

  const call = async (operation: string, params: Record<string, unknown>, idempotency_key?: string, id = 'st') => {
    const res = await h.api(`/v1/connections/${id}/call`, { method: 'POST', json: { operation, params, ...(idempotency_key ? { idempotency_key } : {}) } });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const last = () => stripe.requests.at(-1)!;

  it('creates PaymentIntents in minor units: JPY 500 → 500, USD 5.00 → 500, KWD 5.000 → 5000', async () => {
    for (const [amount, currency, minor] of [['500', 'JPY', 500], ['5.00', 'USD', 500], ['5.000', 'KWD', 5000]] as const) {
      const r = await call('payment_intents.create', { amount, currency, metadata: { order: `SO-${currency}` } }, `order-${currency}`);
      expect(r.status).toBe(200);
      expect(r.body.result).toMatchObject({ object: 'payment_intent', amount: minor, currency: currency.toLowerCase(), status: 'requires_payment_method' });
      const req = last();
      expect(req.method).toBe('POST');
      expect(req.path).toBe('/v1/payment_intents');
      expect(req.headers.authorization).toBe(`Bearer ${STANDIN_STRIPE_KEY}`);
      expect(req.headers['stripe-version']).toBe(STRIPE_VERSION);
      expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(req.headers['idempotency-key']).toBe(deriveKey(`order-${currency}`, 'stripe:payment_intents.create'));
      expect(req.body).toBe(`amount=${minor}&currency=${currency.toLowerCase()}&metadata[order]=SO-${currency}&automatic_payment_methods[enabled]=true`);
    }
  });

  it("encodes bodies byte for byte as Stripe's own SDK does", async () => {
    const sdk = new Stripe(STANDIN_STRIPE_KEY, { host: '127.0.0.1', port: Number(new URL(stripe.url).port), protocol: 'http', maxNetworkRetries: 0 });
    const params = {
      amount: 1999,
      currency: 'eur',
      payment_method_types: ['card', 'sepa_debit'],
      metadata: { 'order id': 'SO/7 & more', lang: 'ü' },
      confirm: false,
    };
    await sdk.paymentIntents.create(params);
    expect(encodeForm(params)).toBe(last().body);
    await call('payment_intents.create', { amount: '19.99', currency: 'EUR', payment_method_types: ['card', 'sepa_debit'], metadata: params.metadata, confirm: false });
    expect(parseForm(last().body)).toEqual(parseForm(encodeForm(params)));
  });

  it('derives the key from operation and params when the caller gives none: the same create twice is one PaymentIntent', async () => {
    const before = stripe.intents.size;
    const a = await call('payment_intents.create', { amount: '7.00', currency: 'USD', description: 'no key' });
    const keyA = last().headers['idempotency-key'];
    const b = await call('payment_intents.create', { amount: '7.00', currency: 'USD', description: 'no key' });
    expect(last().headers['idempotency-key']).toBe(keyA);
    expect(String(keyA)).toMatch(/^auto-[A-Za-z0-9_-]{43}$/);
    expect(b.body.result.id).toBe(a.body.result.id);
    expect(stripe.intents.size).toBe(before + 1);
    await call('payment_intents.create', { amount: '7.01', currency: 'USD', description: 'no key' });
    expect(last().headers['idempotency-key']).not.toBe(keyA);
    expect(stripe.intents.size).toBe(before + 2);
  });

  it("answers a reused key with other params as Stripe does: 400 idempotency_error, passed on as provider_rejected", async () => {
    expect((await call('payment_intents.create', { amount: '5.00', currency: 'USD' }, 'reused-key')).status).toBe(200);
    const r = await call('payment_intents.create', { amount: '6.00', currency: 'USD' }, 'reused-key');
    expect(r.status).toBe(422);
    expect(r.body.error).toMatchObject({ code: 'provider_rejected', details: { provider: 'stripe', status: 400, provider_code: 'idempotency_error' } });
  });

  it('confirms, retrieves and cancels; a declined card is provider_rejected with its decline code', async () => {
    const created = (await call('payment_intents.create', { amount: '12.50', currency: 'GBP' }, 'life-1')).body.result;
    const confirmed = await call('payment_intents.confirm', { id: created.id, payment_method: 'pm_card_visa' }, 'life-1');
    expect(confirmed.body.result).toMatchObject({ id: created.id, status: 'succeeded', amount_received: 1250 });
    expect(last().path).toBe(`/v1/payment_intents/${created.id}/confirm`);
    expect(last().body).toBe('payment_method=pm_card_visa');
    expect((await call('payment_intents.retrieve', { id: created.id })).body.result.status).toBe('succeeded');
    expect(last()).toMatchObject({ method: 'GET', body: '' });
    expect(last().headers['idempotency-key']).toBeUndefined();
    const late = await call('payment_intents.cancel', { id: created.id });
    expect(late.status).toBe(422);
    expect(late.body.error.details.provider_code).toBe('payment_intent_unexpected_state');

    const other = (await call('payment_intents.create', { amount: '3.00', currency: 'USD' }, 'life-2')).body.result;
    const cancelled = await call('payment_intents.cancel', { id: other.id, cancellation_reason: 'abandoned' }, 'life-2');
    expect(cancelled.body.result).toMatchObject({ status: 'canceled', cancellation_reason: 'abandoned' });

    const declined = await call('payment_intents.create', { amount: '3.00', currency: 'USD', confirm: true, payment_method: 'pm_card_chargeDeclined' }, 'life-3');
    expect(declined.status).toBe(422);
    expect(declined.body.error).toMatchObject({
      message: 'stripe: Your card was declined.',
      details: { status: 402, provider_code: 'card_declined', decline_code: 'generic_decline', type: 'card_error' },
    });
    expect(declined.body.error.details.payment_intent_id).toMatch(/^pi_/);
  });

  it('refunds in part and in full, and reads refunds back', async () => {
    const pi = (await call('payment_intents.create', { amount: '10.00', currency: 'USD', confirm: true, payment_method: 'pm_card_visa' }, 'refund-me')).body.result;
    const part = await call('refunds.create', { payment_intent: pi.id, amount: '1.50', currency: 'USD', reason: 'requested_by_customer' }, 'refund-me');
    expect(part.body.result).toMatchObject({ object: 'refund', amount: 150, status: 'succeeded', payment_intent: pi.id });
    expect(last().body).toBe(`payment_intent=${pi.id}&amount=150&reason=requested_by_customer`);
    const rest = await call('refunds.create', { payment_intent: pi.id }, 'refund-rest');
    expect(rest.body.result.amount).toBe(850);
    expect((await call('refunds.retrieve', { id: part.body.result.id })).body.result.amount).toBe(150);
    const none = await call('refunds.create', { payment_intent: pi.id, amount: '0.01', currency: 'USD' }, 'refund-more');
    expect(none.status).toBe(422);
    expect((await call('refunds.create', { payment_intent: pi.id, amount: '1.00' })).status).toBe(400);
  });

  it('creates and retrieves customers and Checkout Sessions with priced line items', async () => {
    const cus = (await call('customers.create', { email: 'ada@example.com', name: 'Ada', metadata: { site: 'x' } })).body.result;
    expect(cus).toMatchObject({ object: 'customer', email: 'ada@example.com' });
    expect((await call('customers.retrieve', { id: cus.id })).body.result.name).toBe('Ada');
    const cs = await call('checkout_sessions.create', {
      currency: 'JPY',
      items: [{ name: 'Tea', amount: '500', quantity: 2 }, { name: 'Cake', amount: '300' }],
      success_url: 'https://shop.example.com/ok?session={CHECKOUT_SESSION_ID}',
      customer: cus.id,
      metadata: { reference_doctype: 'Sales Order', reference_name: 'SO-9' },
    }, 'checkout-1');
    expect(cs.body.result).toMatchObject({ object: 'checkout.session', amount_total: 1300, currency: 'jpy', status: 'open' });
    expect(parseForm(last().body)).toMatchObject({
      mode: 'payment',
      line_items: [
        { price_data: { currency: 'jpy', unit_amount: '500', product_data: { name: 'Tea' } }, quantity: '2' },
        { price_data: { currency: 'jpy', unit_amount: '300', product_data: { name: 'Cake' } }, quantity: '1' },
      ],
      payment_intent_data: { metadata: { reference_doctype: 'Sales Order', reference_name: 'SO-9' } },
    });
    stripe.completeSession(cs.body.result.id);
    expect((await call('checkout_sessions.retrieve', { id: cs.body.result.id })).body.result).toMatchObject({ payment_status: 'paid' });
  });

  it('refuses amounts a currency cannot hold before any request: USD 5.001, JPY 5.5, ISK 5.50', async () => {
    const before = stripe.requests.length;
    for (const [amount, currency] of [['5.001', 'USD'], ['5.5', 'JPY'], ['5.50', 'ISK'], ['5.125', 'KWD']]) {
      const r = await call('payment_intents.create', { amount, currency });
      expect(r.status, `${amount} ${currency}`).toBe(400);
      expect(r.body.error.code).toBe('invalid_request');
    }
    expect(stripe.requests.length).toBe(before);
    // ISK whole krónur go as two-decimal amounts, which Stripe accepts.
    expect((await call('payment_intents.create', { amount: '5', currency: 'ISK' })).body.result.amount).toBe(500);
  });

  it('waits out a 429 with Retry-After and sends the same key again', async () => {
    stripe.faults.push({ kind: 'status', status: 429, headers: { 'retry-after': '1' }, body: { error: { type: 'invalid_request_error', code: 'rate_limit', message: 'Too many requests hit the API too quickly.' } } });
    const n = stripe.requests.length;
    const r = await call('payment_intents.create', { amount: '4.00', currency: 'USD' }, 'busy-1');
    expect(r.status).toBe(200);
    const [first, second] = stripe.requests.slice(n);
    expect(second!.headers['idempotency-key']).toBe(first!.headers['idempotency-key']);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950);
    expect(stripe.requests.length - n).toBe(2);
  });

  it('retries a 500 with the same key and succeeds once', async () => {
    stripe.faults.push({ kind: 'status', status: 500, body: { error: { type: 'api_error', message: 'An unknown error occurred' } } });
    const charges = stripe.charges.length;
    const n = stripe.requests.length;
    const r = await call('payment_intents.create', { amount: '4.00', currency: 'USD', confirm: true, payment_method: 'pm_card_visa' }, 'flaky-1');
    expect(r.body.result.status).toBe('succeeded');
    expect(stripe.requests.slice(n).map((q) => q.headers['idempotency-key'])).toEqual([deriveKey('flaky-1', 'stripe:payment_intents.create'), deriveKey('flaky-1', 'stripe:payment_intents.create')]);
    expect(stripe.charges.length - charges).toBe(1);
  });

  it('charges once when the answer is lost to a timeout: the retry with the same key gets the first result', async () => {
    // The first attempt reaches Stripe and charges, but its answer comes after the 400 ms timeout.
    stripe.faults.push({ kind: 'delay', ms: 1200 });
    const charges = stripe.charges.length;
    const n = stripe.requests.length;
    const r = await call('payment_intents.create', { amount: '25.00', currency: 'USD', confirm: true, payment_method: 'pm_card_visa' }, 'lost-answer', 'st-fast');
    expect(r.status).toBe(200);
    expect(r.body.result).toMatchObject({ status: 'succeeded', amount_received: 2500 });
    const attempts = stripe.requests.slice(n);
    expect(attempts).toHaveLength(2);
    expect(attempts[1]!.headers['idempotency-key']).toBe(attempts[0]!.headers['idempotency-key']);
    expect(stripe.charges.length - charges).toBe(1);
    expect(stripe.charges.at(-1)).toMatchObject({ payment_intent: r.body.result.id, amount: 2500 });
  });
});
