import { createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { EventWebhook } from '@sendgrid/eventwebhook';
import { describe, expect, it } from 'vitest';
import { CertStore } from './certs';
import { MalformedError, SignatureError } from './errors';
import { compileEndpoint, EndpointConfigSchema } from './registry';
import { verifySendgridSignature } from './sendgrid';

/** The fixed vector from sendgrid/sendgrid-nodejs packages/eventwebhook/src/eventwebhook.spec.js. */
const VECTOR = {
  publicKey: 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==',
  signature: 'MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0=',
  timestamp: '1588788367',
  payload: JSON.stringify({ category: 'example_payload', event: 'test_event', message_id: 'message_id' }),
};
const key = (b64: string) => createPublicKey({ key: Buffer.from(b64, 'base64'), format: 'der', type: 'spki' });
const deps = { certs: new CertStore(), fetch, snsHost: /^$/ };

describe('sendgrid', () => {
  it("verifies SendGrid's published vector, and refuses it altered", () => {
    const k = key(VECTOR.publicKey);
    expect(verifySendgridSignature(k, VECTOR.timestamp, Buffer.from(VECTOR.payload), VECTOR.signature)).toBe(true);
    expect(verifySendgridSignature(k, '1588788368', Buffer.from(VECTOR.payload), VECTOR.signature)).toBe(false);
    expect(verifySendgridSignature(k, VECTOR.timestamp, Buffer.from('payload'), VECTOR.signature)).toBe(false);
    const otherKey = 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqTxd43gyp8IOEto2LdIfjRQrIbsd4SXZkLW6jDutdhXSJCWHw8REntlo7aNDthvj+y7GjUuFDb/R1NGe1OPzpA==';
    expect(verifySendgridSignature(key(otherKey), VECTOR.timestamp, Buffer.from(VECTOR.payload), VECTOR.signature)).toBe(false);
  });

  it('accepts what @sendgrid/eventwebhook accepts, splitting the array into events', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const pub = publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    const body = JSON.stringify([
      { email: 'a@example.com', event: 'delivered', sg_event_id: 'sg1' },
      { email: 'b@example.com', event: 'open', sg_event_id: 'sg2' },
    ]);
    const ts = '1750000000';
    const sig = sign('sha256', Buffer.from(ts + body), { key: privateKey, dsaEncoding: 'der' }).toString('base64');
    const sdk = new EventWebhook();
    expect(sdk.verifySignature(sdk.convertPublicKeyToECDSA(pub), body, sig, ts)).toBe(true);

    const ep = compileEndpoint(EndpointConfigSchema.parse({ provider: 'sendgrid', secret: pub }), deps);
    const headers = { 'x-twilio-email-event-webhook-signature': sig, 'x-twilio-email-event-webhook-timestamp': ts };
    const run = async (b: string, h: Record<string, string>, nowS = 1_750_000_000) => ep.verify({ body: Buffer.from(b), headers: h, nowS });
    const { events } = await run(body, headers);
    expect(events.map((e) => [e.provider_event_id, e.type])).toEqual([['sg1', 'delivered'], ['sg2', 'open']]);
    expect(JSON.parse(events[1]!.payload!)).toMatchObject({ email: 'b@example.com' });

    await expect(run(body.replace('open', 'click'), headers)).rejects.toThrow(SignatureError);
    await expect(run(body, headers, 1_750_000_000 + 4 * 86_400)).rejects.toThrow(/tolerance/);
    await expect(run(body, { 'x-twilio-email-event-webhook-signature': sig })).rejects.toThrow(SignatureError);
    const noId = JSON.stringify([{ event: 'open' }]);
    const noIdSig = sign('sha256', Buffer.from(ts + noId), { key: privateKey, dsaEncoding: 'der' }).toString('base64');
    await expect(run(noId, { ...headers, 'x-twilio-email-event-webhook-signature': noIdSig })).rejects.toThrow(MalformedError);
  });

  it('refuses a key that is not a P-256 public key at PUT time', () => {
    expect(EndpointConfigSchema.safeParse({ provider: 'sendgrid', secret: 'bm90IGEga2V5' }).success).toBe(false);
    expect(EndpointConfigSchema.safeParse({ provider: 'sendgrid', secret: VECTOR.publicKey }).success).toBe(true);
  });
});
