import { z } from 'zod';
import { toMinor } from '../money';
import { operation, type Provider } from '../types';
import { objectPath, stripeGet, stripePost } from './client';
import type { FormValue } from './form';

/**
 * Stripe (https://docs.stripe.com/api): PaymentIntents, refunds, customers and Checkout
 * Sessions. Amounts go in as decimal strings with a currency and leave in Stripe's minor units
 * (`money.ts`); every POST carries an `Idempotency-Key` and every request the pinned
 * `Stripe-Version` (`client.ts`). Results are Stripe's objects as it returns them.
 */

const StripeId = (prefix: string) => z.string().regex(new RegExp(`^${prefix}_[A-Za-z0-9_]{1,250}$`), `a Stripe id starting ${prefix}_`);
/** A decimal string such as "5.00" (converted per currency; floats would round). */
const Amount = z.string().regex(/^\d{1,15}(\.\d{1,6})?$/, 'a decimal string such as 5.00');
const Currency = z.string().regex(/^[A-Za-z]{3}$/, 'a three-letter ISO 4217 code');
/** Stripe metadata: up to 50 keys of ≤40 characters, values ≤500. */
const Metadata = z
  .record(z.string().min(1).max(40), z.string().max(500))
  .refine((m) => Object.keys(m).length <= 50, 'at most 50 keys')
  .optional();
const Url = z.url({ protocol: /^https?$/ }).max(2048);

const money = (amount: string, currency: string) => ({ amount: toMinor(amount, currency, 'stripe'), currency: currency.toLowerCase() });

const CreateIntent = z
  .object({
    amount: Amount,
    currency: Currency,
    customer: StripeId('cus').optional(),
    description: z.string().max(1000).optional(),
    receipt_email: z.email().optional(),
    metadata: Metadata,
    /** e.g. `["card"]`; without it Stripe's automatic payment methods are on. */
    payment_method_types: z.array(z.string().regex(/^[a-z_]{1,40}$/)).min(1).max(20).optional(),
    payment_method: z.string().min(3).max(255).optional(),
    /** Confirm at once (needs `payment_method`). */
    confirm: z.boolean().optional(),
    capture_method: z.enum(['automatic', 'automatic_async', 'manual']).optional(),
    return_url: Url.optional(),
  })
  .strict()
  .refine((p) => !p.confirm || p.payment_method, { path: ['payment_method'], message: 'confirm needs a payment_method' });

const ById = (prefix: string) => z.object({ id: StripeId(prefix) }).strict();

const CheckoutItem = z
  .object({
    name: z.string().min(1).max(250),
    amount: Amount,
    quantity: z.number().int().min(1).max(999_999).default(1),
  })
  .strict();

export const stripe: Provider = {
  name: 'stripe',
  area: 'payments',
  title: 'Stripe',
  operations: {
    'payment_intents.create': operation({
      summary: 'Create a PaymentIntent (amount as a decimal string, e.g. "5.00")',
      params: CreateIntent,
      run(ctx, p) {
        const body: Record<string, FormValue> = {
          ...money(p.amount, p.currency),
          customer: p.customer,
          description: p.description,
          receipt_email: p.receipt_email,
          payment_method: p.payment_method,
          confirm: p.confirm,
          capture_method: p.capture_method,
          return_url: p.return_url,
          metadata: p.metadata,
        };
        if (p.payment_method_types) body.payment_method_types = p.payment_method_types;
        else body.automatic_payment_methods = { enabled: true, ...(p.confirm && !p.return_url ? { allow_redirects: 'never' } : {}) };
        return stripePost(ctx, 'payment_intents.create', '/v1/payment_intents', body);
      },
    }),
    'payment_intents.confirm': operation({
      summary: 'Confirm a PaymentIntent',
      params: z.object({ id: StripeId('pi'), payment_method: z.string().min(3).max(255).optional(), return_url: Url.optional() }).strict(),
      run: (ctx, p) => stripePost(ctx, 'payment_intents.confirm', objectPath('payment_intents', p.id, 'confirm'), { payment_method: p.payment_method, return_url: p.return_url }),
    }),
    'payment_intents.retrieve': operation({
      summary: 'Retrieve a PaymentIntent',
      params: ById('pi'),
      run: (ctx, p) => stripeGet(ctx, objectPath('payment_intents', p.id)),
    }),
    'payment_intents.cancel': operation({
      summary: 'Cancel a PaymentIntent',
      params: z
        .object({ id: StripeId('pi'), cancellation_reason: z.enum(['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned']).optional() })
        .strict(),
      run: (ctx, p) => stripePost(ctx, 'payment_intents.cancel', objectPath('payment_intents', p.id, 'cancel'), { cancellation_reason: p.cancellation_reason }),
    }),
    'refunds.create': operation({
      summary: 'Refund a PaymentIntent, wholly or (with amount and currency) in part',
      params: z
        .object({
          payment_intent: StripeId('pi'),
          amount: Amount.optional(),
          currency: Currency.optional(),
          reason: z.enum(['duplicate', 'fraudulent', 'requested_by_customer']).optional(),
          metadata: Metadata,
        })
        .strict()
        .refine((p) => (p.amount === undefined) === (p.currency === undefined), { path: ['currency'], message: 'a partial refund needs amount and currency' }),
      run: (ctx, p) =>
        stripePost(ctx, 'refunds.create', '/v1/refunds', {
          payment_intent: p.payment_intent,
          amount: p.amount !== undefined ? toMinor(p.amount, p.currency!, 'stripe') : undefined,
          reason: p.reason,
          metadata: p.metadata,
        }),
    }),
    'refunds.retrieve': operation({
      summary: 'Retrieve a refund',
      params: ById('re'),
      run: (ctx, p) => stripeGet(ctx, objectPath('refunds', p.id)),
    }),
    'customers.create': operation({
      summary: 'Create a customer',
      params: z
        .object({ email: z.email().optional(), name: z.string().max(256).optional(), description: z.string().max(1000).optional(), metadata: Metadata })
        .strict(),
      run: (ctx, p) => stripePost(ctx, 'customers.create', '/v1/customers', { email: p.email, name: p.name, description: p.description, metadata: p.metadata }),
    }),
    'customers.retrieve': operation({
      summary: 'Retrieve a customer',
      params: ById('cus'),
      run: (ctx, p) => stripeGet(ctx, objectPath('customers', p.id)),
    }),
    'checkout_sessions.create': operation({
      summary: 'Create a Checkout Session (mode payment) for priced items in one currency',
      params: z
        .object({
          currency: Currency,
          items: z.array(CheckoutItem).min(1).max(100),
          success_url: Url,
          cancel_url: Url.optional(),
          customer: StripeId('cus').optional(),
          customer_email: z.email().optional(),
          client_reference_id: z.string().max(200).optional(),
          metadata: Metadata,
        })
        .strict(),
      run: (ctx, p) =>
        stripePost(ctx, 'checkout_sessions.create', '/v1/checkout/sessions', {
          mode: 'payment',
          line_items: p.items.map((item) => ({
            price_data: { currency: p.currency.toLowerCase(), unit_amount: toMinor(item.amount, p.currency, 'stripe'), product_data: { name: item.name } },
            quantity: item.quantity,
          })),
          success_url: p.success_url,
          cancel_url: p.cancel_url,
          customer: p.customer,
          customer_email: p.customer_email,
          client_reference_id: p.client_reference_id,
          metadata: p.metadata,
          // The session's PaymentIntent carries the same metadata, so its webhook names the site's document.
          payment_intent_data: p.metadata ? { metadata: p.metadata } : undefined,
        }),
    }),
    'checkout_sessions.retrieve': operation({
      summary: 'Retrieve a Checkout Session',
      params: ById('cs'),
      run: (ctx, p) => stripeGet(ctx, objectPath('checkout/sessions', p.id)),
    }),
  },
};
