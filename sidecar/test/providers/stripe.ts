import Stripe from 'stripe';
import { newId, parseForm, StandinBase, type Reply, type SeenRequest } from './base';

/**
 * Stripe's API as documented (https://docs.stripe.com/api), for one test account:
 * - `Authorization: Bearer <secret key>` or 401; form-encoded bodies read the way Stripe reads
 *   them; an unknown parameter is 400 `parameter_unknown`; `Stripe-Version` must be a version (`2024-06-20`, `2026-10-28.endive`);
 * - idempotency (https://docs.stripe.com/api/idempotent_requests): a POST's result is kept per
 *   `Idempotency-Key` and replayed (`Idempotent-Replayed: true`); the same key with other
 *   parameters is 400 `idempotency_error`;
 * - state: PaymentIntents (confirming with `pm_card_visa` succeeds and is one charge,
 *   `pm_card_chargeDeclined` is a 402 card_error), refunds, customers, Checkout Sessions;
 * - ISK amounts must be multiples of 100 (`invalid_charge_amount_no_decimal_compatible`).
 */

export const STANDIN_STRIPE_KEY = 'sk_test_standin_51Hx0123456789';

const ALLOWED: Record<string, string[]> = {
  'POST /v1/payment_intents': ['amount', 'currency', 'customer', 'description', 'receipt_email', 'metadata', 'payment_method_types', 'automatic_payment_methods', 'payment_method', 'confirm', 'capture_method', 'return_url'],
  'POST /v1/payment_intents/:id/confirm': ['payment_method', 'return_url'],
  'POST /v1/payment_intents/:id/cancel': ['cancellation_reason'],
  'POST /v1/refunds': ['payment_intent', 'amount', 'reason', 'metadata'],
  'POST /v1/customers': ['email', 'name', 'description', 'metadata'],
  'POST /v1/checkout/sessions': ['mode', 'line_items', 'success_url', 'cancel_url', 'customer', 'customer_email', 'client_reference_id', 'metadata', 'payment_intent_data'],
};

type Obj = Record<string, any>;
const err = (status: number, error: Obj, headers?: Record<string, string>): Reply => ({ status, body: { error }, headers });
const notFound = (what: string, id: string) => err(404, { type: 'invalid_request_error', code: 'resource_missing', param: 'id', message: `No such ${what}: '${id}'` });
const now = () => Math.floor(Date.now() / 1000);

export class StripeStandin extends StandinBase {
  readonly intents = new Map<string, Obj>();
  readonly refunds = new Map<string, Obj>();
  readonly customers = new Map<string, Obj>();
  readonly sessions = new Map<string, Obj>();
  /** Money actually taken: one entry per PaymentIntent that succeeded. */
  readonly charges: Array<{ payment_intent: string; amount: number; currency: string }> = [];
  private readonly kept = new Map<string, { fingerprint: string; reply: Reply }>();
  private readonly sdk = new Stripe(STANDIN_STRIPE_KEY);

  /** A webhook body and its `Stripe-Signature`, signed by Stripe's own SDK. */
  signedEvent(secret: string, type: string, object: Obj): { payload: string; header: string; id: string } {
    const id = newId('evt_', 24);
    const payload = JSON.stringify({ id, object: 'event', api_version: '2024-06-20', created: now(), livemode: false, type, data: { object } });
    return { payload, header: this.sdk.webhooks.generateTestHeaderString({ payload, secret }), id };
  }

  protected override handle(req: SeenRequest): Reply {
    if (req.headers.authorization !== `Bearer ${STANDIN_STRIPE_KEY}`) {
      return err(401, { type: 'invalid_request_error', message: 'Invalid API Key provided: sk_test_****' });
    }
    const version = req.headers['stripe-version'];
    if (version !== undefined && !/^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$/.test(String(version))) return err(400, { type: 'invalid_request_error', message: `Invalid Stripe API version: ${String(version)}` });
    if (req.method === 'GET') return this.get(req.path);
    if (req.method !== 'POST') return err(405, { type: 'invalid_request_error', message: 'Method not allowed' });
    const route = req.path.replace(/^(\/v1\/payment_intents\/)[^/]+/, '$1:id');
    const params = parseForm(req.body);
    const unknown = Object.keys(params).find((k) => !(ALLOWED[`POST ${route}`] ?? []).includes(k));
    if (unknown) return err(400, { type: 'invalid_request_error', code: 'parameter_unknown', param: unknown, message: `Received unknown parameter: ${unknown}` });
    const key = req.headers['idempotency-key'];
    if (typeof key !== 'string') return this.post(route, req.path, params);
    const fingerprint = JSON.stringify([req.path, params]);
    const kept = this.kept.get(key);
    if (kept) {
      if (kept.fingerprint !== fingerprint) {
        return err(400, {
          type: 'idempotency_error',
          message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
        });
      }
      return { ...kept.reply, headers: { ...kept.reply.headers, 'idempotent-replayed': 'true' } };
    }
    const reply = this.post(route, req.path, params);
    this.kept.set(key, { fingerprint, reply });
    return { ...reply, headers: { ...reply.headers, 'idempotency-key': key } };
  }

  private get(path: string): Reply {
    const m = /^\/v1\/(payment_intents|refunds|customers|checkout\/sessions)\/([^/]+)$/.exec(path);
    if (!m) return err(404, { type: 'invalid_request_error', message: `Unrecognized request URL (GET: ${path}).` });
    const [, kind, id] = m as unknown as [string, string, string];
    const store = { payment_intents: this.intents, refunds: this.refunds, customers: this.customers, 'checkout/sessions': this.sessions }[kind]!;
    const found = store.get(decodeURIComponent(id));
    return found ? { status: 200, body: found } : notFound(kind.replace(/s$/, '').replace('checkout/', 'checkout.'), id);
  }

  private amountError(amount: unknown, currency: unknown): Reply | null {
    if (typeof amount !== 'string' || !/^\d+$/.test(amount) || Number(amount) < 1) return err(400, { type: 'invalid_request_error', code: 'parameter_invalid_integer', param: 'amount', message: 'Invalid integer: ' + String(amount) });
    if (typeof currency !== 'string' || !/^[a-z]{3}$/.test(currency)) return err(400, { type: 'invalid_request_error', code: 'parameter_invalid_string', param: 'currency', message: 'Invalid currency: ' + String(currency) });
    if (currency === 'isk' && Number(amount) % 100 !== 0) {
      return err(400, { type: 'invalid_request_error', code: 'invalid_charge_amount_no_decimal_compatible', param: 'amount', message: 'Invalid amount. Currency ISK has become effectively zero-decimal and charged amounts must be evenly divisible by 100.' });
    }
    return null;
  }

  /** Confirming takes the money or declines; either way the outcome is the intent's. */
  private confirm(pi: Obj, paymentMethod: unknown): Reply {
    if (!paymentMethod) return err(400, { type: 'invalid_request_error', code: 'payment_intent_unexpected_state', message: 'You cannot confirm this PaymentIntent because it\'s missing a payment method.' });
    pi.payment_method = paymentMethod;
    if (paymentMethod === 'pm_card_chargeDeclined') {
      pi.status = 'requires_payment_method';
      pi.last_payment_error = { type: 'card_error', code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' };
      return err(402, { type: 'card_error', code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.', payment_intent: pi });
    }
    pi.status = pi.capture_method === 'manual' ? 'requires_capture' : 'succeeded';
    if (pi.status === 'succeeded') {
      pi.amount_received = pi.amount;
      pi.latest_charge = newId('ch_', 24);
      this.charges.push({ payment_intent: pi.id, amount: pi.amount, currency: pi.currency });
    }
    return { status: 200, body: pi };
  }

  private post(route: string, path: string, p: Obj): Reply {
    const id = decodeURIComponent(path.split('/')[3] ?? '');
    switch (route) {
      case '/v1/payment_intents': {
        const bad = this.amountError(p.amount, p.currency);
        if (bad) return bad;
        const pi: Obj = {
          id: newId('pi_', 24), object: 'payment_intent', amount: Number(p.amount), amount_received: 0, currency: p.currency,
          status: p.payment_method ? 'requires_confirmation' : 'requires_payment_method', capture_method: p.capture_method ?? 'automatic',
          customer: p.customer ?? null, description: p.description ?? null, metadata: p.metadata ?? {}, payment_method: p.payment_method ?? null,
          payment_method_types: p.payment_method_types ?? ['card'], automatic_payment_methods: p.automatic_payment_methods ? { enabled: p.automatic_payment_methods.enabled === 'true', allow_redirects: p.automatic_payment_methods.allow_redirects ?? 'always' } : null,
          client_secret: '', created: now(), livemode: false, latest_charge: null, last_payment_error: null,
        };
        pi.client_secret = `${pi.id}_secret_${newId('', 20)}`;
        this.intents.set(pi.id, pi);
        return p.confirm === 'true' ? this.confirm(pi, p.payment_method) : { status: 200, body: pi };
      }
      case '/v1/payment_intents/:id/confirm': {
        const pi = this.intents.get(id);
        if (!pi) return notFound('payment_intent', id);
        if (pi.status === 'succeeded' || pi.status === 'canceled') {
          return err(400, { type: 'invalid_request_error', code: 'payment_intent_unexpected_state', message: `This PaymentIntent's status is ${pi.status}: it cannot be confirmed.` });
        }
        return this.confirm(pi, p.payment_method ?? pi.payment_method);
      }
      case '/v1/payment_intents/:id/cancel': {
        const pi = this.intents.get(id);
        if (!pi) return notFound('payment_intent', id);
        if (pi.status === 'succeeded' || pi.status === 'canceled') {
          return err(400, { type: 'invalid_request_error', code: 'payment_intent_unexpected_state', message: `You cannot cancel this PaymentIntent because it has a status of ${pi.status}.` });
        }
        Object.assign(pi, { status: 'canceled', cancellation_reason: p.cancellation_reason ?? null, canceled_at: now() });
        return { status: 200, body: pi };
      }
      case '/v1/refunds': {
        const pi = this.intents.get(String(p.payment_intent));
        if (!pi) return notFound('payment_intent', String(p.payment_intent));
        const refunded = [...this.refunds.values()].filter((r) => r.payment_intent === pi.id).reduce((a, r) => a + r.amount, 0);
        const amount = p.amount === undefined ? pi.amount_received - refunded : Number(p.amount);
        if (pi.status !== 'succeeded' || amount < 1 || amount > pi.amount_received - refunded) {
          return err(400, { type: 'invalid_request_error', code: 'charge_already_refunded', message: `Refund amount (${amount}) is greater than unrefunded amount on charge (${pi.amount_received - refunded})` });
        }
        const re = { id: newId('re_', 24), object: 'refund', amount, currency: pi.currency, payment_intent: pi.id, charge: pi.latest_charge, status: 'succeeded', reason: p.reason ?? null, metadata: p.metadata ?? {}, created: now() };
        this.refunds.set(re.id, re);
        return { status: 200, body: re };
      }
      case '/v1/customers': {
        const cus = { id: newId('cus_', 14), object: 'customer', email: p.email ?? null, name: p.name ?? null, description: p.description ?? null, metadata: p.metadata ?? {}, created: now(), livemode: false };
        this.customers.set(cus.id, cus);
        return { status: 200, body: cus };
      }
      case '/v1/checkout/sessions': {
        if (p.mode !== 'payment' || !Array.isArray(p.line_items) || !p.success_url) return err(400, { type: 'invalid_request_error', code: 'parameter_missing', message: 'Missing required param: line_items.' });
        let total = 0;
        const currencies = new Set<string>();
        for (const item of p.line_items as Obj[]) {
          const bad = this.amountError(item.price_data?.unit_amount, item.price_data?.currency);
          if (bad) return bad;
          total += Number(item.price_data.unit_amount) * Number(item.quantity ?? 1);
          currencies.add(item.price_data.currency);
        }
        const cs = {
          id: newId('cs_test_', 40), object: 'checkout.session', mode: 'payment', status: 'open', payment_status: 'unpaid',
          amount_total: total, currency: [...currencies][0], success_url: p.success_url, cancel_url: p.cancel_url ?? null,
          client_reference_id: p.client_reference_id ?? null, customer: p.customer ?? null, customer_email: p.customer_email ?? null,
          metadata: p.metadata ?? {}, payment_intent: null as string | null, url: '', line_items_seen: p.line_items, created: now(),
        };
        cs.url = `${this.url}/pay/${cs.id}`;
        this.sessions.set(cs.id, cs);
        return { status: 200, body: cs };
      }
      default:
        return err(404, { type: 'invalid_request_error', message: `Unrecognized request URL (POST: ${path}).` });
    }
  }

  /** The buyer pays a Checkout Session: its PaymentIntent succeeds (one charge). */
  completeSession(id: string): Obj {
    const cs = this.sessions.get(id)!;
    const pi: Obj = { id: newId('pi_', 24), object: 'payment_intent', amount: cs.amount_total, amount_received: cs.amount_total, currency: cs.currency, status: 'succeeded', metadata: cs.metadata, latest_charge: newId('ch_', 24) };
    this.intents.set(pi.id, pi);
    this.charges.push({ payment_intent: pi.id, amount: pi.amount, currency: pi.currency });
    Object.assign(cs, { status: 'complete', payment_status: 'paid', payment_intent: pi.id });
    return pi;
  }
}

export const startStripeStandin = () => new StripeStandin().start();
