import { createHmac } from 'node:crypto';
import { newId, StandinBase, type Reply, type SeenRequest } from './base';

/**
 * Razorpay's API as documented (https://razorpay.com/docs/api/), for one test key pair:
 * - HTTP Basic `key_id:key_secret`, JSON bodies, amounts in minor units;
 * - orders (`created` → `paid`), payments (Checkout's `pay()` makes an `authorized` payment and
 *   the `razorpay_signature` Checkout hands the browser), capture (`captured`; capturing again
 *   is a 400 BAD_REQUEST_ERROR), refunds;
 * - errors `{error:{code, description, source, step, reason, field}}`.
 */

export const STANDIN_RAZORPAY = { key_id: 'rzp_test_Standin01234', key_secret: 'standinKeySecret9876' };

type Obj = Record<string, any>;
const bad = (status: number, description: string, field?: string): Reply => ({
  status,
  body: { error: { code: 'BAD_REQUEST_ERROR', description, source: 'business', step: 'payment_initiation', reason: 'input_validation_failed', field: field ?? 'NA', metadata: {} } },
});
const now = () => Math.floor(Date.now() / 1000);

export class RazorpayStandin extends StandinBase {
  readonly orders = new Map<string, Obj>();
  readonly payments = new Map<string, Obj>();
  readonly refunds = new Map<string, Obj>();
  /** One entry per capture that took money. */
  readonly captured: string[] = [];

  /**
   * The buyer pays an order in Checkout: an authorized payment and what Checkout gives the
   * browser, `razorpay_signature` = hex HMAC-SHA256(`order_id|payment_id`, key secret).
   */
  pay(orderId: string): { razorpay_order_id: string; razorpay_payment_id: string; razorpay_signature: string } {
    const order = this.orders.get(orderId)!;
    const payment = { id: newId('pay_', 14), entity: 'payment', amount: order.amount, currency: order.currency, status: 'authorized', order_id: order.id, captured: false, method: 'card', amount_refunded: 0, notes: order.notes, created_at: now() };
    this.payments.set(payment.id, payment);
    order.status = 'attempted';
    const signature = createHmac('sha256', STANDIN_RAZORPAY.key_secret).update(`${order.id}|${payment.id}`).digest('hex');
    return { razorpay_order_id: order.id, razorpay_payment_id: payment.id, razorpay_signature: signature };
  }

  protected override handle(req: SeenRequest): Reply {
    const basic = Buffer.from(`${STANDIN_RAZORPAY.key_id}:${STANDIN_RAZORPAY.key_secret}`).toString('base64');
    if (req.headers.authorization !== `Basic ${basic}`) return bad(401, 'Authentication failed');
    const parts = req.path.split('/').map(decodeURIComponent);
    if (req.method === 'GET') {
      const store = { orders: this.orders, payments: this.payments, refunds: this.refunds }[parts[2] ?? ''];
      const found = parts.length === 4 ? store?.get(parts[3]!) : undefined;
      return found ? { status: 200, body: found } : bad(400, 'The id provided does not exist', 'id');
    }
    let b: Obj;
    try {
      b = req.body ? (JSON.parse(req.body) as Obj) : {};
    } catch {
      return bad(400, 'The request body is not valid JSON');
    }
    if (req.path === '/v1/orders') {
      if (!Number.isInteger(b.amount) || b.amount < 100) return bad(400, 'The amount must be atleast INR 1.00', 'amount');
      if (typeof b.currency !== 'string' || !/^[A-Z]{3}$/.test(b.currency)) return bad(400, 'The currency field is invalid', 'currency');
      const order = { id: newId('order_', 14), entity: 'order', amount: b.amount, amount_paid: 0, amount_due: b.amount, currency: b.currency, receipt: b.receipt ?? null, status: 'created', attempts: 0, notes: b.notes ?? [], created_at: now() };
      this.orders.set(order.id, order);
      return { status: 200, body: order };
    }
    const pay = this.payments.get(parts[3] ?? '');
    if (parts[2] === 'payments' && parts[4] === 'capture') {
      if (!pay) return bad(400, 'The id provided does not exist', 'id');
      if (pay.status === 'captured') return bad(400, 'This payment has already been captured');
      if (b.amount !== pay.amount || b.currency !== pay.currency) return bad(400, 'Capture amount must be equal to the amount authorized', 'amount');
      Object.assign(pay, { status: 'captured', captured: true });
      this.captured.push(pay.id);
      const order = this.orders.get(pay.order_id);
      if (order) Object.assign(order, { status: 'paid', amount_paid: pay.amount, amount_due: 0 });
      return { status: 200, body: pay };
    }
    if (parts[2] === 'payments' && parts[4] === 'refund') {
      if (!pay || pay.status !== 'captured') return bad(400, 'The payment has not been captured', 'id');
      const amount = b.amount ?? pay.amount - pay.amount_refunded;
      if (amount > pay.amount - pay.amount_refunded) return bad(400, 'The refund amount provided is greater than amount captured', 'amount');
      const refund = { id: newId('rfnd_', 14), entity: 'refund', amount, currency: pay.currency, payment_id: pay.id, status: 'processed', speed_requested: b.speed ?? 'normal', notes: b.notes ?? [], created_at: now() };
      pay.amount_refunded += amount;
      this.refunds.set(refund.id, refund);
      return { status: 200, body: refund };
    }
    return bad(400, `The requested URL was not found on the server: ${req.path}`);
  }
}

export const startRazorpayStandin = () => new RazorpayStandin().start();
