import { createHash } from 'node:crypto';
import { z } from 'zod';
import { expectOk, type ProviderFault } from '../answer';
import { deriveKey } from '../idempotency';
import { toPayPalValue } from '../money';
import { operation, type CallContext, type Provider } from '../types';

/**
 * PayPal Orders v2 (https://developer.paypal.com/docs/api/orders/v2/) and captured payments'
 * refunds. The connection is `oauth2_client_credentials` against `/v1/oauth2/token` (the
 * PayPal preset): the proxy gets and renews the token. Every POST carries `PayPal-Request-Id`
 * (PayPal's idempotency header) derived like Stripe's key: from the caller's key, else from the
 * operation and its body. Amounts go as PayPal's decimal strings with the currency's decimals.
 */

/** `{name, message, debug_id, details:[{issue, description}]}`; the token endpoint's `{error, error_description}`. */
export function paypalFault(body: unknown): ProviderFault | undefined {
  const b = body as Record<string, unknown> | undefined;
  if (!b || typeof b !== 'object') return undefined;
  if (typeof b.error === 'string') return { message: typeof b.error_description === 'string' ? b.error_description : b.error, code: b.error };
  if (typeof b.message !== 'string') return undefined;
  const details = Array.isArray(b.details) ? (b.details as Array<Record<string, unknown>>) : [];
  const issue = typeof details[0]?.issue === 'string' ? (details[0].issue as string) : undefined;
  const description = typeof details[0]?.description === 'string' ? `: ${details[0].description as string}` : '';
  return {
    message: `${b.message}${description}`,
    code: issue ?? (typeof b.name === 'string' ? b.name : undefined),
    extra: { ...(typeof b.name === 'string' ? { name: b.name } : {}), ...(typeof b.debug_id === 'string' ? { debug_id: b.debug_id } : {}) },
  };
}

function requestId(ctx: CallContext, op: string, body: string): string {
  if (ctx.idempotencyKey) return deriveKey(ctx.idempotencyKey, `paypal:${op}`);
  return `auto-${createHash('sha256').update(op).update('\0').update(body).digest('base64url').slice(0, 43)}`;
}

async function post(ctx: CallContext, op: string, path: string, payload: unknown): Promise<unknown> {
  const body = JSON.stringify(payload);
  const res = await ctx.request({
    method: 'POST',
    path,
    // The whole resource back (with captures), not the minimal one.
    headers: { 'content-type': 'application/json', prefer: 'return=representation' },
    body,
    idempotency_key: requestId(ctx, op, body),
    idempotency_header: 'PayPal-Request-Id',
  });
  return expectOk('paypal', res, paypalFault);
}

async function get(ctx: CallContext, path: string): Promise<unknown> {
  return expectOk('paypal', await ctx.request({ method: 'GET', path }), paypalFault);
}

const PayPalId = z.string().regex(/^[A-Z0-9-]{4,64}$/, 'a PayPal id');
const Amount = z.string().regex(/^\d{1,15}(\.\d{1,6})?$/, 'a decimal string such as 5.00');
const Currency = z.string().regex(/^[A-Za-z]{3}$/, 'a three-letter ISO 4217 code');
const Url = z.url({ protocol: /^https?$/ }).max(2048);
const Text = (max: number) => z.string().min(1).max(max);
const pid = (s: string) => encodeURIComponent(s);

const amountOf = (amount: string, currency: string) => ({ currency_code: currency.toUpperCase(), value: toPayPalValue(amount, currency) });

export const paypal: Provider = {
  name: 'paypal',
  area: 'payments',
  title: 'PayPal',
  operations: {
    'orders.create': operation({
      summary: 'Create an order (intent CAPTURE by default); the buyer approves it at its approve link',
      params: z
        .object({
          amount: Amount,
          currency: Currency,
          intent: z.enum(['CAPTURE', 'AUTHORIZE']).default('CAPTURE'),
          reference_id: Text(256).optional(),
          description: Text(127).optional(),
          /** Comes back on captures and in webhooks: the site's document, e.g. `Sales Invoice/SINV-0001`. */
          custom_id: Text(127).optional(),
          invoice_id: Text(127).optional(),
          return_url: Url.optional(),
          cancel_url: Url.optional(),
        })
        .strict(),
      run: (ctx, p) =>
        post(ctx, 'orders.create', '/v2/checkout/orders', {
          intent: p.intent,
          purchase_units: [
            {
              reference_id: p.reference_id,
              description: p.description,
              custom_id: p.custom_id,
              invoice_id: p.invoice_id,
              amount: amountOf(p.amount, p.currency),
            },
          ],
          ...(p.return_url || p.cancel_url
            ? { payment_source: { paypal: { experience_context: { return_url: p.return_url, cancel_url: p.cancel_url } } } }
            : {}),
        }),
    }),
    'orders.capture': operation({
      summary: 'Capture an approved order',
      params: z.object({ id: PayPalId }).strict(),
      run: (ctx, p) => post(ctx, 'orders.capture', `/v2/checkout/orders/${pid(p.id)}/capture`, {}),
    }),
    'orders.get': operation({
      summary: 'Show an order',
      params: z.object({ id: PayPalId }).strict(),
      run: (ctx, p) => get(ctx, `/v2/checkout/orders/${pid(p.id)}`),
    }),
    'captures.get': operation({
      summary: 'Show a captured payment',
      params: z.object({ id: PayPalId }).strict(),
      run: (ctx, p) => get(ctx, `/v2/payments/captures/${pid(p.id)}`),
    }),
    'captures.refund': operation({
      summary: 'Refund a captured payment, wholly or (with amount and currency) in part',
      params: z
        .object({ capture_id: PayPalId, amount: Amount.optional(), currency: Currency.optional(), note_to_payer: Text(255).optional(), invoice_id: Text(127).optional() })
        .strict()
        .refine((p) => (p.amount === undefined) === (p.currency === undefined), { path: ['currency'], message: 'a partial refund needs amount and currency' }),
      run: (ctx, p) =>
        post(ctx, 'captures.refund', `/v2/payments/captures/${pid(p.capture_id)}/refund`, {
          ...(p.amount !== undefined ? { amount: amountOf(p.amount, p.currency!) } : {}),
          note_to_payer: p.note_to_payer,
          invoice_id: p.invoice_id,
        }),
    }),
    'refunds.get': operation({
      summary: 'Show a refund',
      params: z.object({ id: PayPalId }).strict(),
      run: (ctx, p) => get(ctx, `/v2/payments/refunds/${pid(p.id)}`),
    }),
  },
};
