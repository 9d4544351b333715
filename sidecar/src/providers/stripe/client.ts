import { createHash } from 'node:crypto';
import { expectOk, type ProviderFault } from '../answer';
import { deriveKey } from '../idempotency';
import type { CallContext } from '../types';
import { encodeForm, type FormValue } from './form';

/**
 * Stripe's API version every request pins (`Stripe-Version`), so an account upgraded in the
 * dashboard cannot change the shapes this client reads. The same version as the "Stripe"
 * connection preset and frappe/payments (REFERENCE.md §6.2).
 */
export const STRIPE_VERSION = '2024-06-20';

/** `{error:{type, code, decline_code, param, message}}` (https://docs.stripe.com/api/errors). */
export function stripeFault(body: unknown): ProviderFault | undefined {
  const e = (body as { error?: Record<string, unknown> } | undefined)?.error;
  if (!e || typeof e.message !== 'string') return undefined;
  const extra: Record<string, unknown> = {};
  for (const k of ['type', 'decline_code', 'param', 'payment_intent'] as const) {
    if (k === 'payment_intent' && e[k] && typeof e[k] === 'object') extra.payment_intent_id = (e[k] as { id?: unknown }).id;
    else if (typeof e[k] === 'string') extra[k] = e[k];
  }
  return { message: e.message, code: typeof e.code === 'string' ? e.code : typeof e.type === 'string' ? e.type : undefined, extra };
}

/**
 * The `Idempotency-Key` of a POST: from the caller's key and the operation when there is one
 * (the same key retried is the same request at Stripe), else a hash of the operation and its
 * exact body — so the same create sent twice inside Stripe's 24 h window is one object.
 * A caller who means two identical payments passes two different keys.
 */
export function stripeIdempotencyKey(ctx: CallContext, operation: string, body: string): string {
  if (ctx.idempotencyKey) return deriveKey(ctx.idempotencyKey, `stripe:${operation}`);
  return `auto-${createHash('sha256').update(operation).update('\0').update(body).digest('base64url').slice(0, 43)}`;
}

const id = (s: string) => encodeURIComponent(s);

export async function stripePost(ctx: CallContext, operation: string, path: string, params: Record<string, FormValue>): Promise<unknown> {
  const body = encodeForm(params);
  const res = await ctx.request({
    method: 'POST',
    path,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'stripe-version': STRIPE_VERSION },
    body,
    idempotency_key: stripeIdempotencyKey(ctx, operation, body),
  });
  return expectOk('stripe', res, stripeFault);
}

export async function stripeGet(ctx: CallContext, path: string, query?: Record<string, string | string[]>): Promise<unknown> {
  const res = await ctx.request({ method: 'GET', path, headers: { 'stripe-version': STRIPE_VERSION }, ...(query ? { query } : {}) });
  return expectOk('stripe', res, stripeFault);
}

export const objectPath = (collection: string, objectId: string, action?: string) => `/v1/${collection}/${id(objectId)}${action ? `/${action}` : ''}`;
