import { sign } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { snsStringToSign } from '../../src/inbound/verify/ses';
import type { KeyPair } from './certs';

export const PAYPAL_CERT_URL = 'https://api.paypal.com/v1/notifications/certs/CERT-test-1';
export const SNS_CERT_URL = 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem';
export const TOPIC = 'arn:aws:sns:us-east-1:123456789012:ses-events';

/** PayPal's transmission headers for `body`, signed like PayPal does (SHA256withRSA). */
export function paypalHeaders(
  signer: KeyPair,
  o: { body: string; webhookId: string; time: string; id?: string; certUrl?: string },
): Record<string, string> {
  const id = o.id ?? 'tx-1';
  const data = `${id}|${o.time}|${o.webhookId}|${crc32(Buffer.from(o.body))}`;
  return {
    'content-type': 'application/json',
    'paypal-transmission-id': id,
    'paypal-transmission-time': o.time,
    'paypal-transmission-sig': sign('sha256', Buffer.from(data), signer.key).toString('base64'),
    'paypal-cert-url': o.certUrl ?? PAYPAL_CERT_URL,
    'paypal-auth-algo': 'SHA256withRSA',
  };
}

/** An SNS message (JSON text) signed with SignatureVersion 1 (SHA1) or 2 (SHA256). */
export function snsBody(signer: KeyPair, fields: Record<string, string>, version: '1' | '2' = '2'): string {
  const msg: Record<string, string> = {
    TopicArn: TOPIC, SignatureVersion: version, SigningCertURL: SNS_CERT_URL, UnsubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe',
    ...fields,
  };
  msg.Signature = sign(version === '1' ? 'sha1' : 'sha256', Buffer.from(snsStringToSign(msg)), signer.key).toString('base64');
  return JSON.stringify(msg);
}

export function sesNotification(signer: KeyPair, messageId: string, timestamp: string, version: '1' | '2' = '2'): string {
  return snsBody(signer, {
    Type: 'Notification', MessageId: messageId, Timestamp: timestamp,
    Message: JSON.stringify({ eventType: 'Bounce', mail: { messageId: 'm1' } }),
  }, version);
}
