import { newId, StandinBase, type Reply, type SeenRequest } from './base';

/**
 * PayPal's REST API as documented, for one sandbox app:
 * - `POST /v1/oauth2/token` with HTTP Basic `client_id:secret` and `grant_type=client_credentials`
 *   (https://developer.paypal.com/api/rest/authentication/); API calls need its Bearer token;
 * - Orders v2 (https://developer.paypal.com/docs/api/orders/v2/): create (201 CREATED, with an
 *   `approve` link), the buyer's approval (`approve()`, the step a browser does), capture (201
 *   COMPLETED, one capture; 422 ORDER_NOT_APPROVED before approval, ORDER_ALREADY_CAPTURED after);
 *   captures and refunds (`/v2/payments/...`);
 * - `PayPal-Request-Id`: a POST's first answer is kept per id and given again for the same id;
 * - errors `{name, message, debug_id, details:[{issue, description}]}`; amounts are decimal
 *   strings and JPY/HUF/TWD take no decimals (422 DECIMAL_PRECISION).
 */

export const STANDIN_PAYPAL = { client_id: 'AbStandinClient0123', secret: 'EFstandin-secret-4567' };

type Obj = Record<string, any>;
const NO_DECIMALS = new Set(['JPY', 'HUF', 'TWD']);

const problem = (status: number, name: string, issue: string, description: string): Reply => ({
  status,
  body: { name, message: 'The requested action could not be performed, semantically incorrect, or failed business validation.', debug_id: newId('', 13).toLowerCase(), details: [{ issue, description }] },
});

export class PayPalStandin extends StandinBase {
  readonly tokens = new Set<string>();
  readonly orders = new Map<string, Obj>();
  readonly captures = new Map<string, Obj>();
  readonly refunds = new Map<string, Obj>();
  private readonly kept = new Map<string, Reply>();

  /** What the buyer does on PayPal's approve page. */
  approve(orderId: string): void {
    this.orders.get(orderId)!.status = 'APPROVED';
  }

  protected override handle(req: SeenRequest): Reply {
    if (req.path === '/v1/oauth2/token') return this.token(req);
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer || !this.tokens.has(bearer)) return { status: 401, body: { error: 'invalid_token', error_description: 'Token signature verification failed' } };
    if (req.method === 'GET') return this.get(req.path);
    const requestId = req.headers['paypal-request-id'];
    if (typeof requestId === 'string' && this.kept.has(requestId)) return this.kept.get(requestId)!;
    let body: Obj;
    try {
      body = req.body ? (JSON.parse(req.body) as Obj) : {};
    } catch {
      return problem(400, 'INVALID_REQUEST', 'MALFORMED_REQUEST_JSON', 'The request JSON is not well formed.');
    }
    const reply = this.post(req.path, body);
    if (typeof requestId === 'string' && reply.status < 500) this.kept.set(requestId, reply);
    return reply;
  }

  private token(req: SeenRequest): Reply {
    const basic = Buffer.from(`${STANDIN_PAYPAL.client_id}:${STANDIN_PAYPAL.secret}`).toString('base64');
    if (req.headers.authorization !== `Basic ${basic}`) return { status: 401, body: { error: 'invalid_client', error_description: 'Client Authentication failed' } };
    if (new URLSearchParams(req.body).get('grant_type') !== 'client_credentials') return { status: 400, body: { error: 'unsupported_grant_type', error_description: 'Grant Type is NULL' } };
    const access = `A21AA${newId('', 40)}`;
    this.tokens.add(access);
    return { status: 200, body: { scope: 'https://uri.paypal.com/services/payments/payment', access_token: access, token_type: 'Bearer', app_id: 'APP-80W284485P519543T', expires_in: 32400, nonce: newId('', 20) } };
  }

  private get(path: string): Reply {
    const m = /^\/v2\/(checkout\/orders|payments\/captures|payments\/refunds)\/([^/]+)$/.exec(path);
    const store = m ? { 'checkout/orders': this.orders, 'payments/captures': this.captures, 'payments/refunds': this.refunds }[m[1]!] : undefined;
    const found = store?.get(decodeURIComponent(m![2]!));
    return found ? { status: 200, body: found } : problem(404, 'RESOURCE_NOT_FOUND', 'INVALID_RESOURCE_ID', 'Specified resource ID does not exist.');
  }

  private amountError(amount: Obj | undefined): Reply | null {
    if (!amount || typeof amount.currency_code !== 'string' || typeof amount.value !== 'string') return problem(400, 'INVALID_REQUEST', 'MISSING_REQUIRED_PARAMETER', 'amount is required.');
    const decimals = NO_DECIMALS.has(amount.currency_code) ? '' : '(\\.\\d{2})';
    if (!new RegExp(`^\\d{1,10}${decimals ? `${decimals}?` : ''}$`).test(amount.value)) return problem(422, 'UNPROCESSABLE_ENTITY', 'DECIMAL_PRECISION', `If the currency supports decimals, only two decimal place precision is supported (${amount.currency_code} ${amount.value}).`);
    return null;
  }

  private post(path: string, b: Obj): Reply {
    if (path === '/v2/checkout/orders') {
      const unit = Array.isArray(b.purchase_units) ? (b.purchase_units[0] as Obj) : undefined;
      if (b.intent !== 'CAPTURE' && b.intent !== 'AUTHORIZE') return problem(400, 'INVALID_REQUEST', 'INVALID_PARAMETER_VALUE', 'intent must be CAPTURE or AUTHORIZE.');
      const bad = this.amountError(unit?.amount);
      if (bad) return bad;
      const id = newId('', 17).toUpperCase().replace(/[^A-Z0-9]/g, '7');
      const order = {
        id, intent: b.intent, status: 'CREATED', purchase_units: [{ reference_id: unit!.reference_id ?? 'default', ...unit }], create_time: new Date().toISOString(),
        links: [{ href: `${this.url}/checkoutnow?token=${id}`, rel: 'approve', method: 'GET' }, { href: `${this.url}/v2/checkout/orders/${id}`, rel: 'self', method: 'GET' }],
      };
      this.orders.set(id, order);
      return { status: 201, body: order };
    }
    const capture = /^\/v2\/checkout\/orders\/([^/]+)\/capture$/.exec(path);
    if (capture) {
      const order = this.orders.get(decodeURIComponent(capture[1]!));
      if (!order) return problem(404, 'RESOURCE_NOT_FOUND', 'INVALID_RESOURCE_ID', 'Specified resource ID does not exist.');
      if (order.status === 'COMPLETED') return problem(422, 'UNPROCESSABLE_ENTITY', 'ORDER_ALREADY_CAPTURED', 'Order already captured.');
      if (order.status !== 'APPROVED') return problem(422, 'UNPROCESSABLE_ENTITY', 'ORDER_NOT_APPROVED', 'Payer has not yet approved the Order for payment.');
      const unit = order.purchase_units[0];
      const cap = { id: newId('', 17).toUpperCase().replace(/[^A-Z0-9]/g, '3'), status: 'COMPLETED', amount: unit.amount, custom_id: unit.custom_id, invoice_id: unit.invoice_id, final_capture: true, create_time: new Date().toISOString(), supplementary_data: { related_ids: { order_id: order.id } } };
      this.captures.set(cap.id, cap);
      unit.payments = { captures: [cap] };
      order.status = 'COMPLETED';
      return { status: 201, body: order };
    }
    const refund = /^\/v2\/payments\/captures\/([^/]+)\/refund$/.exec(path);
    if (refund) {
      const cap = this.captures.get(decodeURIComponent(refund[1]!));
      if (!cap) return problem(404, 'RESOURCE_NOT_FOUND', 'INVALID_RESOURCE_ID', 'Specified resource ID does not exist.');
      if (b.amount) {
        const bad = this.amountError(b.amount);
        if (bad) return bad;
      }
      const re = { id: newId('', 17).toUpperCase().replace(/[^A-Z0-9]/g, '5'), status: 'COMPLETED', amount: b.amount ?? cap.amount, note_to_payer: b.note_to_payer, create_time: new Date().toISOString() };
      this.refunds.set(re.id, re);
      cap.status = b.amount && b.amount.value !== cap.amount.value ? 'PARTIALLY_REFUNDED' : 'REFUNDED';
      return { status: 201, body: re };
    }
    return problem(404, 'RESOURCE_NOT_FOUND', 'INVALID_RESOURCE_ID', `No route ${path}`);
  }
}

export const startPayPalStandin = () => new PayPalStandin().start();
