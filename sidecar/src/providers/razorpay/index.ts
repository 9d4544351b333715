import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { expectOk, type ProviderFault } from '../answer';
import { toMinor } from '../money';
import { operation, type CallContext, type Provider } from '../types';

/**
 * Razorpay (https://razorpay.com/docs/api/): orders, payments (fetch, capture), refunds, with
 * Basic auth `key_id:key_secret` (a `basic` connection). Amounts are minor units by ISO
 * exponent (`money.ts`). Razorpay documents no idempotency header for these endpoints, so no
 * key is sent and the proxy does not retry their POSTs after they may have arrived: a lost
 * answer to a capture is settled by `payments.fetch`, and orders are not charges.
 *
 * Checkout signature (`payments.verify_signature`): hex HMAC-SHA256 of `order_id|payment_id`
 * keyed with the key secret — the connection's Basic password, used inside the sidecar only.
 */

/** `{error:{code, description, field, source, step, reason}}`. */
export function razorpayFault(body: unknown): ProviderFault | undefined {
  const e = (body as { error?: Record<string, unknown> } | undefined)?.error;
  if (!e || typeof e.description !== 'string') return undefined;
  const extra: Record<string, unknown> = {};
  for (const k of ['field', 'reason', 'source', 'step']) if (typeof e[k] === 'string' && e[k] !== 'NA') extra[k] = e[k];
  return { message: e.description, code: typeof e.code === 'string' ? e.code : undefined, extra };
}

const RzpId = (prefix: string) => z.string().regex(new RegExp(`^${prefix}_[A-Za-z0-9]{1,40}$`), `a Razorpay id starting ${prefix}_`);
const Amount = z.string().regex(/^\d{1,15}(\.\d{1,6})?$/, 'a decimal string such as 5.00');
const Currency = z.string().regex(/^[A-Za-z]{3}$/, 'a three-letter ISO 4217 code');
/** Up to 15 key-value pairs of ≤256 characters. */
const Notes = z
  .record(z.string().min(1).max(256), z.string().max(256))
  .refine((n) => Object.keys(n).length <= 15, 'at most 15 notes')
  .optional();
const rid = (s: string) => encodeURIComponent(s);

async function post(ctx: CallContext, path: string, payload: Record<string, unknown>): Promise<unknown> {
  return expectOk('razorpay', await ctx.request({ method: 'POST', path, body: payload }), razorpayFault);
}
async function get(ctx: CallContext, path: string): Promise<unknown> {
  return expectOk('razorpay', await ctx.request({ method: 'GET', path }), razorpayFault);
}

export const razorpay: Provider = {
  name: 'razorpay',
  area: 'payments',
  title: 'Razorpay',
  operations: {
    'orders.create': operation({
      summary: 'Create an order for Checkout',
      params: z.object({ amount: Amount, currency: Currency, receipt: z.string().min(1).max(40).optional(), notes: Notes, partial_payment: z.boolean().optional() }).strict(),
      run: (ctx, p) =>
        post(ctx, '/v1/orders', {
          amount: toMinor(p.amount, p.currency, 'razorpay'),
          currency: p.currency.toUpperCase(),
          receipt: p.receipt,
          notes: p.notes,
          partial_payment: p.partial_payment,
        }),
    }),
    'orders.fetch': operation({
      summary: 'Fetch an order',
      params: z.object({ id: RzpId('order') }).strict(),
      run: (ctx, p) => get(ctx, `/v1/orders/${rid(p.id)}`),
    }),
    'payments.fetch': operation({
      summary: 'Fetch a payment',
      params: z.object({ id: RzpId('pay') }).strict(),
      run: (ctx, p) => get(ctx, `/v1/payments/${rid(p.id)}`),
    }),
    'payments.capture': operation({
      summary: 'Capture an authorized payment (its full amount)',
      params: z.object({ id: RzpId('pay'), amount: Amount, currency: Currency }).strict(),
      run: (ctx, p) => post(ctx, `/v1/payments/${rid(p.id)}/capture`, { amount: toMinor(p.amount, p.currency, 'razorpay'), currency: p.currency.toUpperCase() }),
    }),
    'refunds.create': operation({
      summary: 'Refund a captured payment, wholly or (with amount and currency) in part',
      params: z
        .object({ payment_id: RzpId('pay'), amount: Amount.optional(), currency: Currency.optional(), speed: z.enum(['normal', 'optimum']).optional(), receipt: z.string().max(40).optional(), notes: Notes })
        .strict()
        .refine((p) => (p.amount === undefined) === (p.currency === undefined), { path: ['currency'], message: 'a partial refund needs amount and currency' }),
      run: (ctx, p) =>
        post(ctx, `/v1/payments/${rid(p.payment_id)}/refund`, {
          amount: p.amount !== undefined ? toMinor(p.amount, p.currency!, 'razorpay') : undefined,
          speed: p.speed,
          receipt: p.receipt,
          notes: p.notes,
        }),
    }),
    'refunds.fetch': operation({
      summary: 'Fetch a refund',
      params: z.object({ id: RzpId('rfnd') }).strict(),
      run: (ctx, p) => get(ctx, `/v1/refunds/${rid(p.id)}`),
    }),
    'payments.verify_signature': operation({
      summary: "Check Checkout's razorpay_signature for an order and payment (no request is made)",
      params: z.object({ order_id: RzpId('order'), payment_id: RzpId('pay'), signature: z.string().regex(/^[0-9a-fA-F]{64}$/, '64 hex digits') }).strict(),
      async run(ctx, p) {
        const expected = Buffer.from(ctx.hmacWithSecret(`${p.order_id}|${p.payment_id}`), 'hex');
        return { valid: timingSafeEqual(expected, Buffer.from(p.signature, 'hex')) };
      },
    }),
  },
};
