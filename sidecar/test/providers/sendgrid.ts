import { randomBytes } from 'node:crypto';
import { sendJson, startProviderServer, type ProviderServer } from './server';

/**
 * SendGrid v3 Mail Send as documented (https://www.twilio.com/docs/sendgrid/api-reference/mail-send/mail-send):
 * bearer API key (401 `{errors:[{message}]}` otherwise), JSON body checked for the required
 * parts (400 `{errors:[{message, field, help}]}`), 202 with an empty body and `X-Message-Id`,
 * and the rate-limit headers (`X-RateLimit-Limit/Remaining/Reset`) on every answer.
 */
export interface SendgridState {
  apiKey: string;
  /** Accepted messages: the X-Message-Id given and the JSON received. */
  sent: { id: string; body: any }[];
}

const err = (message: string, field: string | null = null) => ({ errors: [{ message, field, help: null }] });

export function startSendgrid(apiKey: string): Promise<ProviderServer<SendgridState>> {
  return startProviderServer<SendgridState>({ apiKey, sent: [] }, (req, res, state) => {
    const limits = { 'x-ratelimit-limit': '600', 'x-ratelimit-remaining': '599', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 60) };
    if (req.method !== 'POST' || req.url !== '/v3/mail/send') return sendJson(res, 404, err('Not Found'), limits);
    if (req.headers.authorization !== `Bearer ${state.apiKey}`) return sendJson(res, 401, err('The provided authorization grant is invalid, expired, or revoked'), limits);
    if (!String(req.headers['content-type']).startsWith('application/json')) return sendJson(res, 415, err('Content-Type should be application/json.'), limits);
    let body: any;
    try {
      body = JSON.parse(req.body.toString('utf8'));
    } catch {
      return sendJson(res, 400, err('Bad Request', null), limits);
    }
    if (!Array.isArray(body.personalizations) || !body.personalizations[0]?.to?.length) {
      return sendJson(res, 400, err('The personalizations field is required and must have at least one personalization.', 'personalizations'), limits);
    }
    if (!body.from?.email) return sendJson(res, 400, err('The from object must be provided for every email send.', 'from'), limits);
    if (!body.subject) return sendJson(res, 400, err('The subject is required.', 'subject'), limits);
    const content = body.content ?? [];
    if (!content.length) return sendJson(res, 400, err('Unless a valid template_id is provided, the content parameter is required.', 'content'), limits);
    if (content.length > 1 && content[0].type !== 'text/plain') return sendJson(res, 400, err('If present, text/plain content must be first.', 'content'), limits);
    for (const [i, a] of (body.attachments ?? []).entries()) {
      if (!a.filename || !/^[A-Za-z0-9+/]*={0,2}$/.test(a.content ?? '')) return sendJson(res, 400, err('The attachment content must be base64 encoded.', `attachments.${i}.content`), limits);
    }
    const id = randomBytes(11).toString('base64url');
    state.sent.push({ id, body });
    res.writeHead(202, { 'x-message-id': id, ...limits }).end();
  });
}
