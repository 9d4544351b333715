import { createRequire } from 'node:module';
import Razorpay from 'razorpay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConnectionsHarness, type ConnectionsHarness } from '../../../test/connections/harness';
import { STANDIN_RAZORPAY, startRazorpayStandin, type RazorpayStandin } from '../../../test/providers/razorpay';
import { ALL_PROVIDERS } from '../index';

const { validatePaymentVerification } = createRequire(import.meta.url)('razorpay/dist/utils/razorpay-utils') as {
  validatePaymentVerification(params: { order_id: string; payment_id: string }, signature: string, secret: string): boolean;
};

/**
 * A fixed checkout vector: integrations_app/tests_pure/test_payments.py checks the Python
 * verifier with the same values, which the razorpay package itself accepts here.
 */
const CHECKOUT_VECTOR = {
  order_id: 'order_IluGWxBm9U8zJ8',
  payment_id: 'pay_IluGYxQwSUmXBN',
  key_secret: 'standinKeySecret9876',
  signature: '99078e5b0d9f5a38328949b067d074db61c37c16766e71c491107a3e31750fa0',
};

describe('razorpay provider', () => {
  let h: ConnectionsHarness;
  let rzp: RazorpayStandin;
  beforeAll(async () => {
    rzp = await startRazorpayStandin();
    h = await startConnectionsHarness({ connections: { providers: ALL_PROVIDERS } });
    await h.put('rzp', { base_url: rzp.url, auth: { type: 'basic', username: STANDIN_RAZORPAY.key_id, password: STANDIN_RAZORPAY.key_secret }, provider: 'razorpay' });
    await h.put('rzp-bearer', { base_url: rzp.url, auth: { type: 'oauth2_client_credentials', token_url: `${rzp.url}/token`, client_id: 'x', client_secret: 'y' }, provider: 'razorpay' });
  });
  afterAll(async () => {
    await h.close();
    await rzp.close();
  });

  const call = async (operation: string, params: Record<string, unknown>, id = 'rzp') => {
    const res = await h.api(`/v1/connections/${id}/call`, { method: 'POST', json: { operation, params } });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const last = () => rzp.requests.at(-1)!;

  it('creates orders in minor units with Basic auth: INR 499.00 → 49900, KWD 5.000 → 5000, JPY 500 → 500', async () => {
    for (const [amount, currency, minor] of [['499.00', 'INR', 49900], ['5.000', 'KWD', 5000], ['500', 'JPY', 500]] as const) {
      const r = await call('orders.create', { amount, currency, receipt: `rcpt-${currency}`, notes: { reference: 'SO-1' } });
      expect(r.body.result).toMatchObject({ entity: 'order', amount: minor, currency, status: 'created' });
      expect(last().headers.authorization).toBe(`Basic ${Buffer.from(`${STANDIN_RAZORPAY.key_id}:${STANDIN_RAZORPAY.key_secret}`).toString('base64')}`);
      expect(last().headers['content-type']).toBe('application/json');
      expect(JSON.parse(last().body)).toEqual({ amount: minor, currency, receipt: `rcpt-${currency}`, notes: { reference: 'SO-1' } });
    }
  });

  it('verifies the checkout signature as the razorpay package does, and captures and refunds the payment', async () => {
    const order = (await call('orders.create', { amount: '10.00', currency: 'INR' })).body.result;
    const checkout = rzp.pay(order.id);
    const requestsBefore = rzp.requests.length;
    const params = { order_id: checkout.razorpay_order_id, payment_id: checkout.razorpay_payment_id };
    const good = await call('payments.verify_signature', { ...params, signature: checkout.razorpay_signature });
    expect(good.body.result).toEqual({ valid: true });
    expect(validatePaymentVerification(params, checkout.razorpay_signature, STANDIN_RAZORPAY.key_secret)).toBe(true);
    const forged = checkout.razorpay_signature.replace(/^./, (c) => (c === 'a' ? 'b' : 'a'));
    expect((await call('payments.verify_signature', { ...params, signature: forged })).body.result).toEqual({ valid: false });
    expect(validatePaymentVerification(params, forged, STANDIN_RAZORPAY.key_secret)).toBe(false);
    const swapped = { order_id: order.id, payment_id: 'pay_SomeoneElse0001' };
    expect((await call('payments.verify_signature', { ...swapped, signature: checkout.razorpay_signature })).body.result).toEqual({ valid: false });
    expect(rzp.requests.length).toBe(requestsBefore); // verified in the sidecar, nothing sent

    expect((await call('payments.fetch', { id: checkout.razorpay_payment_id })).body.result.status).toBe('authorized');
    const captured = await call('payments.capture', { id: checkout.razorpay_payment_id, amount: '10', currency: 'INR' });
    expect(captured.body.result).toMatchObject({ status: 'captured', amount: 1000 });
    expect(JSON.parse(last().body)).toEqual({ amount: 1000, currency: 'INR' });
    const again = await call('payments.capture', { id: checkout.razorpay_payment_id, amount: '10', currency: 'INR' });
    expect(again.status).toBe(422);
    expect(again.body.error).toMatchObject({ message: 'razorpay: This payment has already been captured', details: { provider_code: 'BAD_REQUEST_ERROR', status: 400 } });
    expect(rzp.captured).toEqual([checkout.razorpay_payment_id]);
    expect((await call('orders.fetch', { id: order.id })).body.result.status).toBe('paid');
    const refund = await call('refunds.create', { payment_id: checkout.razorpay_payment_id, amount: '2.50', currency: 'INR', speed: 'normal' });
    expect(refund.body.result).toMatchObject({ entity: 'refund', amount: 250, status: 'processed' });
    expect((await call('refunds.fetch', { id: refund.body.result.id })).body.result.amount).toBe(250);
  });

  it('agrees with the razorpay package on the fixed vector the Python verifier is tested with', async () => {
    const { order_id, payment_id, key_secret, signature } = CHECKOUT_VECTOR;
    expect(Razorpay.validateWebhookSignature(`${order_id}|${payment_id}`, signature, key_secret)).toBe(true);
    expect(validatePaymentVerification({ order_id, payment_id }, signature, key_secret)).toBe(true);
  });

  it('cannot verify signatures for a connection that holds no key secret', async () => {
    const r = await call('payments.verify_signature', { order_id: 'order_A1', payment_id: 'pay_B2', signature: 'a'.repeat(64) }, 'rzp-bearer');
    expect(r.status).toBe(400);
    expect(r.body.error.message).toContain('holds no API secret');
  });
});
