import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startConnectionsHarness, type ConnectionsHarness } from '../../../test/connections/harness';
import { STANDIN_PAYPAL, startPayPalStandin, type PayPalStandin } from '../../../test/providers/paypal';
import { deriveKey } from '../idempotency';
import { ALL_PROVIDERS } from '../index';

/** PayPal Orders v2 through the proxy (client-credentials token included) against a PayPal stand-in. */
describe('paypal provider', () => {
  let h: ConnectionsHarness;
  let pp: PayPalStandin;
  beforeAll(async () => {
    pp = await startPayPalStandin();
    h = await startConnectionsHarness({ connections: { providers: ALL_PROVIDERS } });
    await h.put('pp', {
      base_url: pp.url,
      auth: { type: 'oauth2_client_credentials', token_url: `${pp.url}/v1/oauth2/token`, client_id: STANDIN_PAYPAL.client_id, client_secret: STANDIN_PAYPAL.secret },
      provider: 'paypal',
      sandbox: true,
    });
  });
  afterAll(async () => {
    await h.close();
    await pp.close();
  });
  beforeEach(() => void (pp.faults.length = 0));

  const call = async (operation: string, params: Record<string, unknown>, idempotency_key?: string) => {
    const res = await h.api('/v1/connections/pp/call', { method: 'POST', json: { operation, params, ...(idempotency_key ? { idempotency_key } : {}) } });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const last = () => pp.requests.at(-1)!;

  it('gets a token with client credentials, then creates an order with PayPal-Request-Id and PayPal decimals', async () => {
    const r = await call('orders.create', { amount: '5', currency: 'usd', custom_id: 'Sales Invoice/SINV-1', return_url: 'https://shop.example.com/paid' }, 'inv-1');
    expect(r.status).toBe(200);
    expect(r.body.result).toMatchObject({ status: 'CREATED', intent: 'CAPTURE', purchase_units: [{ amount: { currency_code: 'USD', value: '5.00' }, custom_id: 'Sales Invoice/SINV-1' }] });
    const [token, create] = pp.requests.slice(-2);
    expect(token).toMatchObject({ method: 'POST', path: '/v1/oauth2/token' });
    expect(token!.headers.authorization).toBe(`Basic ${Buffer.from(`${STANDIN_PAYPAL.client_id}:${STANDIN_PAYPAL.secret}`).toString('base64')}`);
    expect(new URLSearchParams(token!.body).get('grant_type')).toBe('client_credentials');
    expect(create!.headers.authorization).toMatch(/^Bearer A21AA/);
    expect(create!.headers['paypal-request-id']).toBe(deriveKey('inv-1', 'paypal:orders.create'));
    expect(create!.headers.prefer).toBe('return=representation');
    expect(JSON.parse(create!.body)).toEqual({
      intent: 'CAPTURE',
      purchase_units: [{ custom_id: 'Sales Invoice/SINV-1', amount: { currency_code: 'USD', value: '5.00' } }],
      payment_source: { paypal: { experience_context: { return_url: 'https://shop.example.com/paid' } } },
    });
    const yen = await call('orders.create', { amount: '500', currency: 'JPY' }, 'inv-yen');
    expect(JSON.parse(last().body).purchase_units[0].amount).toEqual({ currency_code: 'JPY', value: '500' });
    expect(yen.body.result.status).toBe('CREATED');
    expect((await call('orders.create', { amount: '500.50', currency: 'JPY' })).status).toBe(400);
  });

  it('refuses to capture before the buyer approves, then captures once even through a 500', async () => {
    const order = (await call('orders.create', { amount: '20.00', currency: 'EUR' }, 'inv-2')).body.result;
    const early = await call('orders.capture', { id: order.id }, 'inv-2');
    expect(early.status).toBe(422);
    expect(early.body.error).toMatchObject({ code: 'provider_rejected', details: { provider: 'paypal', status: 422, provider_code: 'ORDER_NOT_APPROVED', name: 'UNPROCESSABLE_ENTITY' } });
    pp.approve(order.id);
    pp.faults.push({ kind: 'status', status: 500, body: { name: 'INTERNAL_SERVER_ERROR', message: 'An internal server error occurred.', debug_id: 'abc' }, path: /capture$/ });
    const n = pp.requests.length;
    const captured = await call('orders.capture', { id: order.id }, 'inv-2b');
    expect(captured.status).toBe(200);
    expect(captured.body.result.status).toBe('COMPLETED');
    const ids = pp.requests.slice(n).map((q) => q.headers['paypal-request-id']);
    expect(ids).toEqual([deriveKey('inv-2b', 'paypal:orders.capture'), deriveKey('inv-2b', 'paypal:orders.capture')]);
    expect(pp.captures.size).toBe(1);
    // The same request id again is PayPal's kept answer, not a second capture attempt.
    expect((await call('orders.capture', { id: order.id }, 'inv-2b')).body.result.status).toBe('COMPLETED');
    expect((await call('orders.get', { id: order.id })).body.result.status).toBe('COMPLETED');
  });

  it('refunds a capture in part and reads captures and refunds back', async () => {
    const order = (await call('orders.create', { amount: '9.99', currency: 'GBP' }, 'inv-3')).body.result;
    pp.approve(order.id);
    const capture = (await call('orders.capture', { id: order.id }, 'inv-3')).body.result.purchase_units[0].payments.captures[0];
    const refund = await call('captures.refund', { capture_id: capture.id, amount: '1.5', currency: 'GBP', note_to_payer: 'Sorry' }, 'inv-3');
    expect(JSON.parse(last().body)).toEqual({ amount: { currency_code: 'GBP', value: '1.50' }, note_to_payer: 'Sorry' });
    expect(refund.body.result).toMatchObject({ status: 'COMPLETED', amount: { value: '1.50' } });
    expect((await call('captures.get', { id: capture.id })).body.result.status).toBe('PARTIALLY_REFUNDED');
    expect((await call('refunds.get', { id: refund.body.result.id })).body.result.note_to_payer).toBe('Sorry');
    const missing = await call('orders.get', { id: 'NOPE1234' });
    expect(missing.body.error.details).toMatchObject({ status: 404, provider_code: 'INVALID_RESOURCE_ID' });
  });
});
