import { randomBytes } from 'node:crypto';
import { basicAuth, sendJson, startProviderServer, type ProviderServer, type SeenRequest } from './server';

/**
 * Mailgun's Messages API as documented (https://documentation.mailgun.com/docs/mailgun/api-reference/send/mailgun/messages):
 * Basic `api:<key>` (401 plain `Forbidden` otherwise), `multipart/form-data` bodies parsed
 * with the platform's own multipart parser (`Response.formData`), 400 `{message}` for a
 * missing field, 404 `{message: "Domain not found: …"}`, 200 `{id: "<…@domain>", message: "Queued. Thank you."}`.
 */
export interface MailgunMessage {
  id: string;
  domain: string;
  /** `messages` (fields) or `messages.mime` (a MIME file). */
  resource: string;
  fields: [string, string][];
  files: { field: string; filename: string; type: string; content: Buffer }[];
}

export interface MailgunState {
  apiKey: string;
  domains: Set<string>;
  sent: MailgunMessage[];
}

async function parseForm(req: SeenRequest): Promise<FormData> {
  return new Response(req.body, { headers: { 'content-type': String(req.headers['content-type']) } }).formData();
}

export function startMailgun(apiKey: string, domains: string[]): Promise<ProviderServer<MailgunState>> {
  return startProviderServer<MailgunState>({ apiKey, domains: new Set(domains), sent: [] }, async (req, res, state) => {
    const m = /^\/v3\/([^/]+)\/(messages|messages\.mime)$/.exec(req.url);
    if (req.method !== 'POST' || !m) return sendJson(res, 404, { message: 'Not Found' });
    const auth = basicAuth(req);
    if (!auth || auth.user !== 'api' || auth.password !== state.apiKey) return void res.writeHead(401, { 'content-type': 'text/plain' }).end('Forbidden');
    const domain = decodeURIComponent(m[1]!);
    if (!state.domains.has(domain)) return sendJson(res, 404, { message: `Domain not found: ${domain}` });
    if (!String(req.headers['content-type']).startsWith('multipart/form-data')) return sendJson(res, 400, { message: "'from' parameter is missing" });
    const form = await parseForm(req);
    const msg: MailgunMessage = { id: `<${Date.now()}.${randomBytes(6).toString('hex')}@${domain}>`, domain, resource: m[2]!, fields: [], files: [] };
    for (const [k, v] of form.entries()) {
      if (typeof v === 'string') msg.fields.push([k, v]);
      else msg.files.push({ field: k, filename: v.name, type: v.type, content: Buffer.from(await v.arrayBuffer()) });
    }
    const has = (k: string) => msg.fields.some(([n]) => n === k) || msg.files.some((f) => f.field === k);
    const required = m[2] === 'messages' ? ['from', 'to', 'subject'] : ['to', 'message'];
    for (const k of required) if (!has(k)) return sendJson(res, 400, { message: `'${k}' parameter is missing` });
    if (m[2] === 'messages' && !has('text') && !has('html') && !has('template')) return sendJson(res, 400, { message: 'Need at least one of \'text\', \'html\' or \'template\' parameters specified' });
    state.sent.push(msg);
    sendJson(res, 200, { id: msg.id, message: 'Queued. Thank you.' });
  });
}
