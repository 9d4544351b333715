import { describe, expect, it } from 'vitest';
import { ALL_PROVIDERS } from './index';
import { ProviderRegistry } from './registry';

describe('the providers the sidecar offers', () => {
  it('lists the payment providers with their operations, each with params GET /v1/providers can describe', () => {
    const catalogue = new ProviderRegistry(ALL_PROVIDERS).catalogue();
    const payments = Object.fromEntries(catalogue.filter((p) => p.area === 'payments').map((p) => [p.name, p.operations.map((o) => o.name).sort()]));
    expect(payments).toEqual({
      stripe: [
        'checkout_sessions.create', 'checkout_sessions.retrieve', 'customers.create', 'customers.retrieve', 'payment_intents.cancel',
        'payment_intents.confirm', 'payment_intents.create', 'payment_intents.retrieve', 'refunds.create', 'refunds.retrieve',
      ],
      paypal: ['captures.get', 'captures.refund', 'orders.capture', 'orders.create', 'orders.get', 'refunds.get'],
      razorpay: ['orders.create', 'orders.fetch', 'payments.capture', 'payments.fetch', 'payments.verify_signature', 'refunds.create', 'refunds.fetch'],
    });
    for (const p of catalogue) {
      for (const op of p.operations) {
        expect(op.name, `${p.name} ${op.name}`).toMatch(/^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$/);
        expect(op.params).toMatchObject({ type: 'object' });
      }
    }
    const create = catalogue.find((p) => p.name === 'stripe')!.operations.find((o) => o.name === 'payment_intents.create')!;
    expect(create.params).toMatchObject({ required: expect.arrayContaining(['amount', 'currency']) });
  });
});
