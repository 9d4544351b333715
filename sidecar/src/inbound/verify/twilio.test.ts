import { createHmac } from 'node:crypto';
import twilioSdk from 'twilio';
import { describe, expect, it } from 'vitest';
import { CertStore } from './certs';
import { MalformedError, SignatureError } from './errors';
import { compileEndpoint, EndpointConfigSchema } from './registry';
import { twilioSignedString } from './twilio';

const deps = { certs: new CertStore(), fetch, snsHost: /^sns\.[a-z0-9-]+\.amazonaws\.com$/ };
const TOKEN = '12345678901234567890123456789012';
const PUBLIC_URL = 'https://erp.example.com/v1/inbound/twilio-sms?site=main';

function verifier(publicUrl = PUBLIC_URL) {
  const ep = compileEndpoint(EndpointConfigSchema.parse({ provider: 'twilio', secret: TOKEN, options: { public_url: publicUrl } }), deps);
  return async (body: string, headers: Record<string, string>) => ep.verify({ body: Buffer.from(body), headers, nowS: 1_750_000_000 });
}

const params = {
  MessageSid: 'SM0123456789abcdef0123456789abcdef',
  MessageStatus: 'delivered',
  AccountSid: 'AC0123456789abcdef0123456789abcdef',
  To: '+14155550100',
  From: '+14155550199',
  ApiVersion: '2010-04-01',
  ErrorCode: '',
};
const form = (p: Record<string, string | string[]>) => {
  const f = new URLSearchParams();
  for (const [k, v] of Object.entries(p)) for (const one of Array.isArray(v) ? v : [v]) f.append(k, one);
  return f.toString();
};

describe('twilio inbound scheme', () => {
  it('accepts a status callback signed by the twilio SDK for the configured public URL', async () => {
    const signature = twilioSdk.getExpectedTwilioSignature(TOKEN, PUBLIC_URL, params);
    const v = await verifier()(form(params), { 'x-twilio-signature': signature });
    expect(v.events).toEqual([
      { provider_event_id: 'SM0123456789abcdef0123456789abcdef:delivered', type: 'message.delivered', payload: JSON.stringify(params) },
    ]);
  });

  it('signs exactly what the SDK validates: repeated names, unicode, empty values, symbols', () => {
    const cases: Record<string, string | string[]>[] = [
      params,
      { ...params, MediaUrl: ['https://b.example/2.png', 'https://a.example/1.png', 'https://a.example/1.png'], Body: 'Grüße ✓ & = + %20' },
      { b: '', a: 'x', A: 'y', 'a b': '1' },
    ];
    for (const p of cases) {
      const map = new Map(Object.entries(p).map(([k, v]) => [k, Array.isArray(v) ? v : [v]]));
      const ours = createHmac('sha1', TOKEN).update(twilioSignedString(PUBLIC_URL, map), 'utf8').digest('base64');
      expect(twilioSdk.validateRequest(TOKEN, ours, PUBLIC_URL, p)).toBe(true);
      expect(twilioSdk.validateRequest(TOKEN, ours, PUBLIC_URL, { ...p, extra: '1' })).toBe(false);
    }
  });

  it('accepts a repeated parameter signed by the SDK, and the URL signed with the default port', async () => {
    const p = { ...params, MediaUrl: ['https://b.example/2.png', 'https://a.example/1.png'] };
    await expect(verifier()(form(p), { 'x-twilio-signature': twilioSdk.getExpectedTwilioSignature(TOKEN, PUBLIC_URL, p) })).resolves.toBeTruthy();
    const withPort = 'https://erp.example.com:443/v1/inbound/twilio-sms?site=main';
    await expect(verifier()(form(params), { 'x-twilio-signature': twilioSdk.getExpectedTwilioSignature(TOKEN, withPort, params) })).resolves.toBeTruthy();
  });

  it('refuses the URL the sidecar sees, a wrong token, a changed parameter and a missing header', async () => {
    const v = verifier();
    const internal = 'http://127.0.0.1:8787/v1/inbound/twilio-sms?site=main';
    await expect(v(form(params), { 'x-twilio-signature': twilioSdk.getExpectedTwilioSignature(TOKEN, internal, params) })).rejects.toThrow(SignatureError);
    await expect(v(form(params), { 'x-twilio-signature': twilioSdk.getExpectedTwilioSignature('0'.repeat(32), PUBLIC_URL, params) })).rejects.toThrow(SignatureError);
    const good = twilioSdk.getExpectedTwilioSignature(TOKEN, PUBLIC_URL, params);
    await expect(v(form({ ...params, MessageStatus: 'undelivered' }), { 'x-twilio-signature': good })).rejects.toThrow(SignatureError);
    await expect(v(form(params), {})).rejects.toThrow(/Missing x-twilio-signature/);
  });

  it('checks SharedKey HMAC-SHA256 signatures when the settings header names it, and refuses unknown algorithms', async () => {
    const v = verifier();
    const sig256 = twilioSdk.getExpectedTwilioSignature(TOKEN, PUBLIC_URL, params, 'HMAC_SHA256');
    const settings = { 'x-twilio-webhooks-signature-settings': 'key=webhooks_sharedkey_1,algorithm=HMAC_SHA256' };
    await expect(v(form(params), { 'x-twilio-signature': sig256, ...settings })).resolves.toBeTruthy();
    await expect(v(form(params), { 'x-twilio-signature': sig256 })).rejects.toThrow(SignatureError);
    await expect(v(form(params), { 'x-twilio-signature': sig256, 'x-twilio-webhooks-signature-settings': 'algorithm=HMAC_MD5' })).rejects.toThrow(/Unsupported/);
  });

  it('names incoming messages and calls, and refuses a signed request that names nothing', async () => {
    const v = verifier();
    const incoming = { SmsSid: 'SMaaaa', SmsStatus: 'received', Body: 'hi' };
    const got = await v(form(incoming), { 'x-twilio-signature': twilioSdk.getExpectedTwilioSignature(TOKEN, PUBLIC_URL, incoming) });
    expect(got.events[0]).toMatchObject({ provider_event_id: 'SMaaaa:received', type: 'message.received' });
    const nothing = { Foo: 'bar' };
    await expect(v(form(nothing), { 'x-twilio-signature': twilioSdk.getExpectedTwilioSignature(TOKEN, PUBLIC_URL, nothing) })).rejects.toThrow(MalformedError);
    const token = await v(form(nothing), { 'x-twilio-signature': twilioSdk.getExpectedTwilioSignature(TOKEN, PUBLIC_URL, nothing), 'i-twilio-idempotency-token': 'tok-1' });
    expect(token.events[0]).toMatchObject({ provider_event_id: 'tok-1', type: 'request' });
  });

  it('requires the public URL in the config', () => {
    expect(EndpointConfigSchema.safeParse({ provider: 'twilio', secret: TOKEN }).success).toBe(false);
    expect(EndpointConfigSchema.safeParse({ provider: 'twilio', secret: TOKEN, options: { public_url: '/v1/inbound/x' } }).success).toBe(false);
  });
});
