import { randomBytes } from 'node:crypto';
import { basicAuth, sendJson, startProviderServer, type ProviderServer } from './server';

/**
 * Twilio's Message resource as documented (https://www.twilio.com/docs/messaging/api/message-resource):
 * under `/2010-04-01/Accounts/{AccountSid}/`, Basic `AccountSid:AuthToken`, form-encoded
 * bodies; 201 with the Message JSON; errors `{code, message, more_info, status}` (20003
 * authenticate, 21211 invalid To, 21602 body required, 20404 not found).
 */
export interface TwilioState {
  accountSid: string;
  authToken: string;
  messages: Map<string, Record<string, unknown>>;
  /** The form of each accepted POST, as parsed by the stand-in. */
  forms: URLSearchParams[];
}

const error = (status: number, code: number, message: string) => ({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });

export function startTwilio(accountSid: string, authToken: string): Promise<ProviderServer<TwilioState>> {
  return startProviderServer<TwilioState>({ accountSid, authToken, messages: new Map(), forms: [] }, (req, res, state) => {
    const base = `/2010-04-01/Accounts/${state.accountSid}`;
    const auth = basicAuth(req);
    if (!auth || auth.user !== state.accountSid || auth.password !== state.authToken) return sendJson(res, 401, error(401, 20003, 'Authenticate'));
    if (req.method === 'GET') {
      const m = new RegExp(`^${base}/Messages/(SM[0-9a-f]{32})\\.json$`).exec(req.url);
      const msg = m && state.messages.get(m[1]!);
      return msg ? sendJson(res, 200, msg) : sendJson(res, 404, error(404, 20404, `The requested resource ${req.url} was not found`));
    }
    if (req.method !== 'POST' || req.url !== `${base}/Messages.json`) return sendJson(res, 404, error(404, 20404, `The requested resource ${req.url} was not found`));
    if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) return sendJson(res, 400, error(400, 21200, 'Invalid content type'));
    const form = new URLSearchParams(req.body.toString('utf8'));
    const to = form.get('To');
    if (!to) return sendJson(res, 400, error(400, 21604, "A 'To' phone number is required."));
    if (!/^(\+[1-9]\d{6,14}|[a-z]+:\+[1-9]\d{6,14})$/.test(to)) return sendJson(res, 400, error(400, 21211, `The 'To' number ${to} is not a valid phone number.`));
    if (!form.get('From') && !form.get('MessagingServiceSid')) return sendJson(res, 400, error(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message"));
    if (!form.get('Body') && !form.get('MediaUrl')) return sendJson(res, 400, error(400, 21602, 'Message body is required.'));
    const sid = `SM${randomBytes(16).toString('hex')}`;
    const msg = {
      sid, account_sid: state.accountSid, to, from: form.get('From'), messaging_service_sid: form.get('MessagingServiceSid'), body: form.get('Body'),
      status: form.get('MessagingServiceSid') ? 'accepted' : 'queued', num_segments: '1', direction: 'outbound-api', api_version: '2010-04-01',
      error_code: null, error_message: null, date_created: new Date().toUTCString(), uri: `${base}/Messages/${sid}.json`,
    };
    state.messages.set(sid, msg);
    state.forms.push(form);
    sendJson(res, 201, msg);
  });
}
