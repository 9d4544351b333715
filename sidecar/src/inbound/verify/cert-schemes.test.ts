import { X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki, stubFetch, type TestPki } from '../../../test/inbound/certs';
import { PAYPAL_CERT_URL, paypalHeaders, SNS_CERT_URL, sesNotification, snsBody, TOPIC } from '../../../test/inbound/signers';
import { CertStore } from './certs';
import { SignatureError, UpstreamError } from './errors';
import { compileEndpoint, EndpointConfigSchema } from './registry';
import type { Verification } from './types';

let pki: TestPki;
/**
 * The verifiers' clock: one second after the newest certificate became valid. Taken from the
 * fixtures rather than the wall clock, so however long openssl takes (a loaded machine), the
 * certificates are valid at this time.
 */
let NOW_MS: number;
let nowS: number;
beforeAll(() => {
  pki = makeTestPki();
  const pems = [pki.root, pki.intermediate, ...[pki.paypal, pki.impostor, pki.rogue, pki.sns].map((p) => p.cert)];
  NOW_MS = Math.max(...pems.map((pem) => Date.parse(new X509Certificate(pem).validFrom))) + 1000;
  nowS = Math.floor(NOW_MS / 1000);
});
const SNS_HOST = /^sns\.[a-z0-9-]+\.amazonaws\.com$/;

function verifier(config: unknown, docs: Record<string, string>) {
  const stub = stubFetch(docs);
  const certs = new CertStore({ fetch: stub.fetch, trustRoots: [pki.root] });
  const ep = compileEndpoint(EndpointConfigSchema.parse(config), { certs, fetch: stub.fetch, snsHost: SNS_HOST });
  const run = async (body: string, headers: Record<string, string>, at = nowS): Promise<Verification> =>
    ep.verify({ body: Buffer.from(body), headers, nowS: at });
  return { run, asked: stub.asked };
}

describe('paypal (offline, certificate)', () => {
  const body = JSON.stringify({ id: 'WH-1', event_type: 'PAYMENT.CAPTURE.COMPLETED', resource: {} });
  const cfg = { provider: 'paypal', secret: 'WEBHOOK123' };
  let time: string;
  beforeAll(() => {
    time = new Date(NOW_MS).toISOString();
  });

  it('verifies with a leaf that chains through the bundled intermediate to a trusted root', async () => {
    const { run, asked } = verifier(cfg, { [PAYPAL_CERT_URL]: pki.paypal.cert + pki.intermediate });
    const h = paypalHeaders(pki.paypal, { body, webhookId: 'WEBHOOK123', time });
    expect(await run(body, h)).toEqual({ events: [{ provider_event_id: 'WH-1', type: 'PAYMENT.CAPTURE.COMPLETED' }] });
    await run(body, h);
    expect(asked).toEqual([PAYPAL_CERT_URL]); // cached after the first use
    await expect(run(body.replace('WH-1', 'WH-2'), h)).rejects.toThrow(/does not verify/);
    await expect(run(body, paypalHeaders(pki.paypal, { body, webhookId: 'OTHER', time }))).rejects.toThrow(/does not verify/);
  });

  it('refuses an impostor name, an untrusted CA, a missing intermediate', async () => {
    const impostor = verifier(cfg, { [PAYPAL_CERT_URL]: pki.impostor.cert + pki.intermediate });
    await expect(impostor.run(body, paypalHeaders(pki.impostor, { body, webhookId: 'WEBHOOK123', time }))).rejects.toThrow(/not issued/);
    const rogue = verifier(cfg, { [PAYPAL_CERT_URL]: pki.rogue.cert });
    await expect(rogue.run(body, paypalHeaders(pki.rogue, { body, webhookId: 'WEBHOOK123', time }))).rejects.toThrow(/chain/);
    const bare = verifier(cfg, { [PAYPAL_CERT_URL]: pki.paypal.cert });
    await expect(bare.run(body, paypalHeaders(pki.paypal, { body, webhookId: 'WEBHOOK123', time }))).rejects.toThrow(/chain/);
  });

  it('never fetches from a host off the allow-list or over http', async () => {
    const { run, asked } = verifier(cfg, {});
    for (const certUrl of ['https://evil.example.com/v1/notifications/certs/X', 'http://api.paypal.com/v1/notifications/certs/X',
      'https://api.paypal.com:8443/v1/notifications/certs/X', 'https://api.paypal.com/elsewhere']) {
      await expect(run(body, paypalHeaders(pki.paypal, { body, webhookId: 'WEBHOOK123', time, certUrl }))).rejects.toThrow(SignatureError);
    }
    expect(asked).toEqual([]);
  });

  it('refuses an expired certificate and a stale transmission time', async () => {
    const later = nowS + 3 * 86_400;
    const { run } = verifier({ ...cfg, tolerance_s: 600 }, { [PAYPAL_CERT_URL]: pki.paypal.cert + pki.intermediate });
    const laterTime = new Date(later * 1000).toISOString();
    await expect(run(body, paypalHeaders(pki.paypal, { body, webhookId: 'WEBHOOK123', time: laterTime }), later)).rejects.toThrow(/expired/);
    await expect(run(body, paypalHeaders(pki.paypal, { body, webhookId: 'WEBHOOK123', time }), nowS + 601)).rejects.toThrow(/tolerance/);
  });

  it('reports an unreachable certificate host as an upstream failure', async () => {
    const certs = new CertStore({ fetch: (async () => { throw new Error('ECONNREFUSED'); }) as typeof fetch, trustRoots: [pki.root] });
    const ep = compileEndpoint(EndpointConfigSchema.parse(cfg), { certs, fetch, snsHost: SNS_HOST });
    const h = paypalHeaders(pki.paypal, { body, webhookId: 'WEBHOOK123', time });
    await expect(Promise.resolve().then(() => ep.verify({ body: Buffer.from(body), headers: h, nowS }))).rejects.toThrow(UpstreamError);
  });
});

describe('ses (SNS)', () => {
  const cfg = { provider: 'ses', options: { allowed_topic_arns: [TOPIC] } };
  let ts: string;
  beforeAll(() => {
    ts = new Date(NOW_MS).toISOString();
  });
  const docs = () => ({ [SNS_CERT_URL]: pki.sns.cert });

  it('verifies SignatureVersion 1 (SHA1) and 2 (SHA256) notifications; type from the SES message', async () => {
    const { run } = verifier(cfg, docs());
    for (const v of ['1', '2'] as const) {
      expect(await run(sesNotification(pki.sns, `mid-${v}`, ts, v), {})).toEqual({ events: [{ provider_event_id: `mid-${v}`, type: 'Bounce' }] });
    }
    const tampered = sesNotification(pki.sns, 'mid-3', ts).replace('Bounce', 'Complaint');
    await expect(run(tampered, {})).rejects.toThrow(/does not verify/);
  });

  it('refuses other topics, foreign certificate hosts and stale messages', async () => {
    const { run, asked } = verifier(cfg, docs());
    const other = snsBody(pki.sns, { Type: 'Notification', MessageId: 'x', Timestamp: ts, Message: '{}', TopicArn: 'arn:aws:sns:us-east-1:123456789012:other' });
    await expect(run(other, {})).rejects.toThrow(/TopicArn/);
    const foreign = snsBody(pki.sns, { Type: 'Notification', MessageId: 'x', Timestamp: ts, Message: '{}', SigningCertURL: 'https://sns.evil.com/x.pem' });
    await expect(run(foreign, {})).rejects.toThrow(SignatureError);
    const stale = sesNotification(pki.sns, 'old', new Date(NOW_MS - 3 * 3600_000).toISOString());
    await expect(run(stale, {})).rejects.toThrow(/tolerance/);
    expect(asked).toEqual([]);
  });

  it('confirms a SubscriptionConfirmation by fetching SubscribeURL on an SNS host only', async () => {
    const subscribe = 'https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=t1';
    const { run, asked } = verifier(cfg, { ...docs(), [subscribe]: '<ConfirmSubscriptionResponse/>' });
    const confirm = (url: string) => snsBody(pki.sns, { Type: 'SubscriptionConfirmation', MessageId: 'c1', Token: 't1', Timestamp: ts, Message: 'confirm', SubscribeURL: url });
    expect(await run(confirm(subscribe), {})).toEqual({ events: [{ provider_event_id: 'c1', type: 'SubscriptionConfirmation' }] });
    expect(asked).toContain(subscribe);
    await expect(run(confirm('https://attacker.example.com/?Action=ConfirmSubscription'), {})).rejects.toThrow(/SubscribeURL/);
    expect(asked.filter((u) => u.includes('attacker'))).toEqual([]);
  });
});
