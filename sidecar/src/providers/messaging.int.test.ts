import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConnectionsHarness, type ConnectionsHarness } from '../../test/connections/harness';
import { startMailgun, type MailgunState } from '../../test/providers/mailgun';
import { startSendgrid, type SendgridState } from '../../test/providers/sendgrid';
import type { ProviderServer } from '../../test/providers/server';
import { startTwilio, type TwilioState } from '../../test/providers/twilio';
import { deriveKey } from './idempotency';

/**
 * SendGrid, Mailgun and Twilio operations through the real HTTP stack (`POST /v1/connections/{id}/call`,
 * the proxy, Redis) against local servers speaking each provider's documented wire format.
 */

const SG_KEY = 'SG.test-key.0123456789';
const MG_KEY = 'key-0123456789abcdef';
const AC = 'AC0123456789abcdef0123456789abcdef';
const TW_TOKEN = 'tw-auth-token-0123456789abcdef';
// Every byte value, so a text-mangled attachment cannot pass.
const BINARY = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

describe('email and SMS providers', () => {
  let h: ConnectionsHarness;
  let sg: ProviderServer<SendgridState>;
  let mg: ProviderServer<MailgunState>;
  let tw: ProviderServer<TwilioState>;

  beforeAll(async () => {
    h = await startConnectionsHarness();
    sg = await startSendgrid(SG_KEY);
    mg = await startMailgun(MG_KEY, ['mg.example.com', 'example.com']);
    tw = await startTwilio(AC, TW_TOKEN);
    await h.put('sg', { base_url: sg.url, auth: { type: 'bearer', token: SG_KEY }, provider: 'sendgrid', max_attempts: 3 });
    await h.put('mg', { base_url: mg.url, auth: { type: 'basic', username: 'api', password: MG_KEY }, provider: 'mailgun' });
    await h.put('mg-bad', { base_url: mg.url, auth: { type: 'basic', username: 'api', password: 'wrong' }, provider: 'mailgun' });
    await h.put('tw', { base_url: `${tw.url}/2010-04-01/Accounts/${AC}`, auth: { type: 'basic', username: AC, password: TW_TOKEN }, provider: 'twilio' });
  });
  afterAll(async () => {
    await h?.close();
    await Promise.all([sg?.close(), mg?.close(), tw?.close()]);
  });

  const call = async (id: string, body: unknown) => {
    const res = await h.api(`/v1/connections/${id}/call`, { method: 'POST', json: body });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  const full = {
    from: { email: 'billing@example.com', name: 'Billing, "Acme"' },
    to: ['ana@example.org', { email: 'bo@example.org', name: 'Bø' }],
    cc: 'cc@example.org',
    bcc: ['hidden@example.org'],
    reply_to: 'support@example.com',
    subject: 'Invoice INV-0001',
    text: 'Your invoice is attached.',
    html: '<p>Your invoice is attached.</p>',
    headers: { 'X-Entity-Ref-ID': 'INV-0001' },
    attachments: [{ filename: 'inv.bin', content: BINARY.toString('base64'), type: 'application/octet-stream' }],
    metadata: { invoice: 'INV-0001' },
  };

  describe('SendGrid', () => {
    it('sends v3 mail/send JSON with bearer auth and answers the X-Message-Id of the 202', async () => {
      const r = await call('sg', { operation: 'mail.send', params: full });
      expect(r.status).toBe(200);
      const sent = sg.state.sent.at(-1)!;
      expect(r.body).toEqual({ provider: 'sendgrid', operation: 'mail.send', result: { message_id: sent.id, status: 'queued' } });
      const req = sg.requests.at(-1)!;
      expect(req.headers.authorization).toBe(`Bearer ${SG_KEY}`);
      expect(req.headers['content-type']).toBe('application/json');
      expect(JSON.parse(req.body.toString())).toEqual({
        personalizations: [{ to: [{ email: 'ana@example.org' }, { email: 'bo@example.org', name: 'Bø' }], cc: [{ email: 'cc@example.org' }], bcc: [{ email: 'hidden@example.org' }] }],
        from: { email: 'billing@example.com', name: 'Billing, "Acme"' },
        reply_to: { email: 'support@example.com' },
        subject: 'Invoice INV-0001',
        content: [{ type: 'text/plain', value: 'Your invoice is attached.' }, { type: 'text/html', value: '<p>Your invoice is attached.</p>' }],
        attachments: [{ content: BINARY.toString('base64'), filename: 'inv.bin', type: 'application/octet-stream', disposition: 'attachment' }],
        headers: { 'X-Entity-Ref-ID': 'INV-0001' },
        custom_args: { invoice: 'INV-0001' },
      });
    });

    it("turns SendGrid's error list (401 for a revoked key) into provider_rejected with its message", async () => {
      sg.state.apiKey = 'rotated';
      const r = await call('sg', { operation: 'mail.send', params: { from: 'a@example.com', to: 'b@example.org', subject: 's', text: 't' } });
      sg.state.apiKey = SG_KEY;
      expect(r.status).toBe(422);
      expect(r.body.error).toMatchObject({ code: 'provider_rejected', message: 'sendgrid: The provided authorization grant is invalid, expired, or revoked', details: { provider: 'sendgrid', status: 401 } });
      expect(JSON.stringify(r.body)).not.toContain(SG_KEY);
    });

    it('waits for Retry-After on a 429 and sends again when the caller gave an idempotency key', async () => {
      const before = sg.requests.length;
      sg.faults.push({ status: 429, headers: { 'retry-after': '1' }, body: JSON.stringify({ errors: [{ message: 'too many requests', field: null }] }) });
      const started = Date.now();
      const r = await call('sg', { operation: 'mail.send', params: { from: 'a@example.com', to: 'b@example.org', subject: 's', text: 't' }, idempotency_key: 'welcome-42' });
      expect(r.status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
      const attempts = sg.requests.slice(before);
      expect(attempts).toHaveLength(2);
      expect(attempts.map((a) => a.headers['idempotency-key'])).toEqual([deriveKey('welcome-42', 'mail.send'), deriveKey('welcome-42', 'mail.send')]);
      expect(r.body.result.message_id).toBe(sg.state.sent.at(-1)!.id);
    });

    it('without a key a send is made once: a 429 or a 500 is reported, never repeated', async () => {
      const before = sg.requests.length;
      sg.faults.push({ status: 429, headers: { 'retry-after': '1' }, body: JSON.stringify({ errors: [{ message: 'too many requests' }] }) });
      const limited = await call('sg', { operation: 'mail.send', params: { from: 'a@example.com', to: 'b@example.org', subject: 's', text: 't' } });
      expect(limited.status).toBe(502);
      expect(limited.body.error).toMatchObject({ code: 'provider_error', message: 'sendgrid: too many requests', details: { status: 429 } });
      sg.faults.push({ status: 500, body: '' });
      const failed = await call('sg', { operation: 'mail.send', params: { from: 'a@example.com', to: 'b@example.org', subject: 's', text: 't' } });
      expect(failed.body.error).toMatchObject({ code: 'provider_error', message: 'sendgrid: answered 500' });
      expect(sg.requests.length - before).toBe(2);
    });

    it('a 500 then success is retried with a key and sends one message', async () => {
      const sentBefore = sg.state.sent.length;
      sg.faults.push({ status: 500, body: '' });
      const r = await call('sg', { operation: 'mail.send', params: { from: 'a@example.com', to: 'b@example.org', subject: 's', html: '<b>h</b>' }, idempotency_key: 'k-500' });
      expect(r.status).toBe(200);
      expect(sg.state.sent.length - sentBefore).toBe(1);
    });

    it('refuses bad params before any request: no body, a bad address, a reserved header, bad base64', async () => {
      const before = sg.requests.length;
      const bad = [
        { from: 'a@example.com', to: 'b@example.org', subject: 's' },
        { from: 'not-an-address', to: 'b@example.org', subject: 's', text: 't' },
        { from: 'a@example.com', to: 'b@example.org', subject: 's', text: 't', headers: { Subject: 'x' } },
        { from: 'a@example.com', to: 'b@example.org', subject: 's\r\nBcc: x@evil.test', text: 't' },
        { from: 'a@example.com', to: 'b@example.org', subject: 's', text: 't', attachments: [{ filename: 'a', content: 'not base64!' }] },
      ];
      for (const params of bad) {
        const r = await call('sg', { operation: 'mail.send', params });
        expect(r.status).toBe(400);
        expect(r.body.error.code).toBe('invalid_request');
      }
      expect(sg.requests.length).toBe(before);
    });
  });

  describe('Mailgun', () => {
    it('posts multipart/form-data with Basic api:key to the from domain, binary attachments intact', async () => {
      const r = await call('mg', { operation: 'mail.send', params: full });
      expect(r.status).toBe(200);
      const sent = mg.state.sent.at(-1)!;
      expect(r.body.result).toEqual({ message_id: sent.id.slice(1, -1), status: 'queued' });
      expect(sent.domain).toBe('example.com');
      expect(mg.requests.at(-1)!.headers.authorization).toBe(`Basic ${Buffer.from(`api:${MG_KEY}`).toString('base64')}`);
      expect(sent.fields).toEqual([
        ['from', '"Billing, \\"Acme\\"" <billing@example.com>'],
        ['to', 'ana@example.org'],
        ['to', '=?UTF-8?B?QsO4?= <bo@example.org>'],
        ['cc', 'cc@example.org'],
        ['bcc', 'hidden@example.org'],
        ['subject', 'Invoice INV-0001'],
        ['text', 'Your invoice is attached.'],
        ['html', '<p>Your invoice is attached.</p>'],
        ['h:Reply-To', 'support@example.com'],
        ['h:X-Entity-Ref-ID', 'INV-0001'],
        ['v:invoice', 'INV-0001'],
      ]);
      expect(sent.files).toHaveLength(1);
      expect(sent.files[0]).toMatchObject({ field: 'attachment', filename: 'inv.bin', type: 'application/octet-stream' });
      expect(sent.files[0]!.content.equals(BINARY)).toBe(true);
    });

    it('sends to the named domain, and a MIME message as it is through messages.mime', async () => {
      const r = await call('mg', { operation: 'mail.send', params: { from: 'a@example.com', to: 'b@example.org', subject: 's', text: 't', domain: 'mg.example.com' } });
      expect(r.status).toBe(200);
      expect(mg.requests.at(-1)!.url).toBe('/v3/mg.example.com/messages');
      const mime = Buffer.concat([Buffer.from('From: a@example.com\r\nTo: b@example.org\r\nSubject: raw\r\n\r\n'), BINARY]);
      const raw = await call('mg', { operation: 'mail.send_raw', params: { raw: mime.toString('base64'), from: 'a@example.com', to: ['b@example.org', 'c@example.org'] } });
      expect(raw.status).toBe(200);
      const sent = mg.state.sent.at(-1)!;
      expect(sent.resource).toBe('messages.mime');
      expect(sent.fields).toEqual([['to', 'b@example.org'], ['to', 'c@example.org']]);
      expect(sent.files[0]!.field).toBe('message');
      expect(sent.files[0]!.content.equals(mime)).toBe(true);
    });

    it("reports Mailgun's errors: unknown domain (404 {message}) and a wrong key (401 Forbidden, plain text)", async () => {
      const unknown = await call('mg', { operation: 'mail.send', params: { from: 'a@nowhere.example', to: 'b@example.org', subject: 's', text: 't' } });
      expect(unknown.status).toBe(422);
      expect(unknown.body.error).toMatchObject({ code: 'provider_rejected', message: 'mailgun: Domain not found: nowhere.example', details: { status: 404 } });
      const forbidden = await call('mg-bad', { operation: 'mail.send', params: { from: 'a@example.com', to: 'b@example.org', subject: 's', text: 't' } });
      expect(forbidden.body.error).toMatchObject({ code: 'provider_rejected', message: 'mailgun: answered 401' });
    });

    it('a 500 then success with a key sends one message', async () => {
      const before = mg.state.sent.length;
      mg.faults.push({ status: 500, body: JSON.stringify({ message: 'internal error' }) });
      const r = await call('mg', { operation: 'mail.send', params: { from: 'a@example.com', to: 'b@example.org', subject: 's', text: 't' }, idempotency_key: 'mg-1' });
      expect(r.status).toBe(200);
      expect(mg.state.sent.length - before).toBe(1);
    });
  });

  describe('proxy body_encoding base64', () => {
    it('sends the decoded bytes, and refuses a base64 body without a content-type', async () => {
      const before = mg.requests.length;
      const bad = await h.proxy('mg', { method: 'POST', path: '/v3/example.com/messages', body: BINARY.toString('base64'), body_encoding: 'base64' });
      expect(bad.status).toBe(400);
      expect(mg.requests.length).toBe(before);
      const ok = await h.proxy('mg', { method: 'POST', path: '/v3/example.com/messages', headers: { 'content-type': 'application/octet-stream' }, body: BINARY.toString('base64'), body_encoding: 'base64' });
      expect(ok.status).toBe(200);
      expect(mg.requests.at(-1)!.body.equals(BINARY)).toBe(true);
    });
  });

  describe('Twilio', () => {
    it('posts the form with Basic AccountSid:AuthToken and a status callback; answers the SID', async () => {
      const r = await call('tw', {
        operation: 'messages.send',
        params: { to: '+14155550100', from: '+14155550199', body: 'Code 1234 & more', media_url: ['https://cdn.example.com/a.png', 'https://cdn.example.com/b.png'], status_callback: 'https://erp.example.com/v1/inbound/twilio?x=1' },
      });
      expect(r.status).toBe(200);
      const sid = [...tw.state.messages.keys()].at(-1)!;
      expect(r.body.result).toEqual({ message_id: sid, status: 'queued' });
      const req = tw.requests.at(-1)!;
      expect(req.headers.authorization).toBe(`Basic ${Buffer.from(`${AC}:${TW_TOKEN}`).toString('base64')}`);
      expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(req.body.toString()).toBe(
        'To=%2B14155550100&Body=Code+1234+%26+more&From=%2B14155550199&MediaUrl=https%3A%2F%2Fcdn.example.com%2Fa.png&MediaUrl=https%3A%2F%2Fcdn.example.com%2Fb.png&StatusCallback=https%3A%2F%2Ferp.example.com%2Fv1%2Finbound%2Ftwilio%3Fx%3D1',
      );
      const got = await call('tw', { operation: 'messages.get', params: { message_id: sid } });
      expect(got.body.result).toEqual({ message_id: sid, status: 'queued', error_code: null, error_message: null });
    });

    it("keeps Twilio's error code: 21610 unsubscribed recipient → provider_rejected with provider_code", async () => {
      tw.faults.push({ status: 400, body: JSON.stringify({ code: 21610, message: 'Attempt to send to unsubscribed recipient', more_info: 'https://www.twilio.com/docs/errors/21610', status: 400 }) });
      const r = await call('tw', { operation: 'messages.send', params: { to: '+14155550100', messaging_service_sid: `MG${'a'.repeat(32)}`, body: 'x' } });
      expect(r.status).toBe(422);
      expect(r.body.error).toEqual({
        code: 'provider_rejected',
        message: 'twilio: Attempt to send to unsubscribed recipient',
        details: { provider: 'twilio', status: 400, provider_code: '21610', more_info: 'https://www.twilio.com/docs/errors/21610' },
      });
      const missing = await call('tw', { operation: 'messages.get', params: { message_id: `SM${'0'.repeat(32)}` } });
      expect(missing.body.error).toMatchObject({ code: 'provider_rejected', details: { status: 404, provider_code: '20404' } });
    });

    it('429 with Retry-After, then success, with a key; from and messaging_service_sid are exclusive', async () => {
      const before = tw.requests.length;
      tw.faults.push({ status: 429, headers: { 'retry-after': '1' }, body: JSON.stringify({ code: 20429, message: 'Too Many Requests', status: 429 }) });
      const r = await call('tw', { operation: 'messages.send', params: { to: '+14155550100', from: 'Acme', body: 'x' }, idempotency_key: 'otp-9' });
      expect(r.status).toBe(200);
      expect(tw.requests.length - before).toBe(2);
      const both = await call('tw', { operation: 'messages.send', params: { to: '+14155550100', from: '+14155550199', messaging_service_sid: `MG${'a'.repeat(32)}`, body: 'x' } });
      expect(both.status).toBe(400);
    });
  });
});
