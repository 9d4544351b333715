import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConnectionsHarness, type ConnectionsHarness } from '../../../test/connections/harness';
import { startMoto, type MotoServer } from '../../../test/connections/moto';

/**
 * `amazon_ses` against moto with signature checks on (after three unauthenticated IAM setup
 * calls moto verifies every SigV4 signature): what SES accepted is read back from moto's own
 * store (`/moto-api/data.json`), and raw MIME messages are parsed by Python's `email` package,
 * a parser that is not ours.
 */
const PYTHON = resolve(import.meta.dirname, '../../../../.venv/bin/python');

/** The MIME message as Python's email parser reads it: headers and each leaf part's decoded bytes. */
function parseMime(raw: string): { headers: Record<string, string>; parts: { type: string; filename: string | null; content_b64: string }[] } {
  const script = `
import sys, json, base64, email
from email import policy
m = email.message_from_bytes(sys.stdin.buffer.read(), policy=policy.default)
parts = [{"type": p.get_content_type(), "filename": p.get_filename(), "content_b64": base64.b64encode(p.get_payload(decode=True)).decode()} for p in m.walk() if not p.is_multipart()]
print(json.dumps({"headers": {k: str(v) for k, v in m.items()}, "parts": parts}))
`;
  return JSON.parse(execFileSync(PYTHON, ['-c', script], { input: Buffer.from(raw, 'utf8') }).toString());
}

describe('amazon_ses against moto (SigV4 checked)', () => {
  let moto: MotoServer;
  let h: ConnectionsHarness;
  const form = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };
  const aws = (service: string, id: string, secret: string) => ({
    base_url: moto.url,
    auth: { type: 'aws_sigv4', access_key_id: id, secret_access_key: secret, region: 'us-east-1', service },
    provider: service === 'ses' ? 'amazon_ses' : null,
  });
  const call = async (id: string, body: unknown) => {
    const res = await h.api(`/v1/connections/${id}/call`, { method: 'POST', json: body });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const sesStore = async () => ((await (await fetch(`${moto.url}/moto-api/data.json`)).json()) as any).ses;

  beforeAll(async () => {
    moto = await startMoto({ noAuthActions: 3 });
    h = await startConnectionsHarness();
    await h.put('iam-setup', aws('iam', 'AKIAIOSFODNN7EXAMPLE', 'setup-secret'));
    const iam = (params: Record<string, string>) => h.proxy('iam-setup', { method: 'POST', path: '/', headers: form, body: new URLSearchParams({ ...params, Version: '2010-05-08' }).toString() });
    await iam({ Action: 'CreateUser', UserName: 'mailer' });
    const key = (await iam({ Action: 'CreateAccessKey', UserName: 'mailer' })).body.body as string;
    await iam({ Action: 'PutUserPolicy', UserName: 'mailer', PolicyName: 'all', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }) });
    const id = /<AccessKeyId>(\w+)<\/AccessKeyId>/.exec(key)![1]!;
    const secret = /<SecretAccessKey>([^<]+)<\/SecretAccessKey>/.exec(key)![1]!;
    await h.put('ses', aws('ses', id, secret));
    await h.put('ses-wrong', aws('ses', id, `${secret.slice(0, -1)}X`));
    const identity = await h.proxy('ses', { method: 'POST', path: '/v2/email/identities', body: { EmailIdentity: 'billing@example.com' } });
    expect(identity.body.status).toBe(200);
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await moto?.stop();
  });

  it('sends simple content and SES keeps it under the MessageId it answered', async () => {
    const r = await call('ses', { operation: 'mail.send', params: { from: 'billing@example.com', to: ['ana@example.org'], subject: 'Receipt 7', text: 'Thanks for your payment.' } });
    expect(r.status).toBe(200);
    expect(r.body.result).toEqual({ message_id: expect.stringMatching(/^[a-z-]{20,}$/), status: 'queued' });
    const kept = (await sesStore()).Message.find((m: { id: string }) => m.id === r.body.result.message_id);
    expect(kept).toEqual({ id: r.body.result.message_id, source: 'billing@example.com', destinations: { ToAddresses: ['ana@example.org'] }, subject: 'Receipt 7', body: 'Thanks for your payment.' });
  });

  it('sends raw MIME when there are attachments or headers: reply-to, custom header and attachment bytes arrive', async () => {
    const pdf = Buffer.from([0x25, 0x50, 0x44, 0x46, 0x00, 0xff, 0xfe, 0x0d, 0x0a, 0x80]);
    const r = await call('ses', {
      operation: 'mail.send',
      params: {
        from: { email: 'billing@example.com', name: 'Acme Billing' },
        to: 'ana@example.org',
        bcc: 'audit@example.org',
        reply_to: 'help@example.com',
        subject: 'Rechnung für März',
        text: 'Anbei.',
        html: '<p>Anbei.</p>',
        headers: { 'X-Invoice': 'INV-7' },
        attachments: [{ filename: 'inv.pdf', content: pdf.toString('base64'), type: 'application/pdf' }],
      },
    });
    expect(r.status).toBe(200);
    const kept = (await sesStore()).RawMessage.find((m: { id: string }) => m.id === r.body.result.message_id);
    expect(kept.source).toBe('"Acme Billing" <billing@example.com>');
    expect(kept.destinations).toEqual(expect.arrayContaining(['ana@example.org', 'audit@example.org']));
    const mime = parseMime(kept.raw_data);
    expect(mime.headers).toMatchObject({ From: 'Acme Billing <billing@example.com>', To: 'ana@example.org', 'Reply-To': 'help@example.com', Subject: 'Rechnung für März', 'X-Invoice': 'INV-7' });
    expect(mime.headers.Bcc).toBeUndefined();
    expect(mime.parts).toEqual([
      { type: 'text/plain', filename: null, content_b64: Buffer.from('Anbei.').toString('base64') },
      { type: 'text/html', filename: null, content_b64: Buffer.from('<p>Anbei.</p>').toString('base64') },
      { type: 'application/pdf', filename: 'inv.pdf', content_b64: pdf.toString('base64') },
    ]);
  });

  it('sends a MIME message as it is (mail.send_raw)', async () => {
    const raw = 'From: billing@example.com\r\nTo: ana@example.org\r\nSubject: From the site\r\nMessage-Id: <q-1@site.example>\r\n\r\nBody.\r\n';
    const r = await call('ses', { operation: 'mail.send_raw', params: { raw: Buffer.from(raw).toString('base64'), from: 'billing@example.com', to: ['ana@example.org'] } });
    expect(r.status).toBe(200);
    const kept = (await sesStore()).RawMessage.find((m: { id: string }) => m.id === r.body.result.message_id);
    expect(kept.raw_data).toBe(raw);
  });

  it("reports SES's MessageRejected for an unverified sender, and a wrong secret as SignatureDoesNotMatch", async () => {
    const r = await call('ses', { operation: 'mail.send', params: { from: 'nobody@example.com', to: 'ana@example.org', subject: 's', text: 't' } });
    expect(r.status).toBe(422);
    expect(r.body.error).toMatchObject({ code: 'provider_rejected', details: { provider: 'amazon_ses', status: 400, provider_code: 'MessageRejected' } });
    expect(r.body.error.message).toMatch(/^amazon_ses: .*nobody@example\.com/);
    const wrong = await call('ses-wrong', { operation: 'mail.send', params: { from: 'billing@example.com', to: 'ana@example.org', subject: 's', text: 't' } });
    expect(wrong.status).toBe(422);
    expect(wrong.body.error.details.status).toBe(403);
  });
});
