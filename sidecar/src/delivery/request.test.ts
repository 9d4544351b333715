import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import type { RuntimeEndpoint } from './endpoints';
import { buildRequest, NoActiveSecretError } from './request';
import { generateSecret, parseSecret } from './sign';

const endpoint = (over: Partial<RuntimeEndpoint>): RuntimeEndpoint => ({
  id: 'e', url: 'http://x', signing: 'standard', secrets: [], headers: {}, timeoutMs: 1000, schedule: [],
  rateIntervalMs: 0, maxInFlight: 0, eventTypes: null, ordered: false, ...over,
});

describe('buildRequest', () => {
  const body = '{"type":"t","timestamp":"2026-01-01T00:00:00.000Z","data":{}}';
  const now = Date.parse('2026-03-01T12:00:00Z');

  it('signs with the unexpired secrets only, at the given second', () => {
    const live = generateSecret();
    const old = generateSecret();
    const ep = endpoint({ secrets: [{ key: parseSecret(old), expiresAt: now - 1 }, { key: parseSecret(live), expiresAt: null }] });
    const { headers } = buildRequest(ep, 'msg_1', body, now);
    expect(headers['webhook-timestamp']).toBe(String(now / 1000));
    expect(headers['webhook-signature']!.split(' ')).toHaveLength(1);
    const wh = new Webhook(live);
    // The library checks the timestamp against its clock; verify the signature itself.
    expect(wh.sign('msg_1', new Date(now), body)).toBe(headers['webhook-signature']);
  });

  it('keeps endpoint headers but never lets them override the engine’s, and hides their values in reports', () => {
    const ep = endpoint({ signing: 'none', headers: { Authorization: 'Bearer s3cret', 'X-A': '1' } });
    const { headers, reportHeaders } = buildRequest(ep, 'm', body, now);
    expect(headers.Authorization).toBe('Bearer s3cret');
    expect(reportHeaders.authorization).toBe('[redacted]');
    expect(JSON.stringify(reportHeaders)).not.toContain('s3cret');
    expect(headers['content-type']).toBe('application/json');
  });

  it('refuses to send unsigned when every secret has expired', () => {
    const ep = endpoint({ secrets: [{ key: parseSecret(generateSecret()), expiresAt: now - 1 }] });
    expect(() => buildRequest(ep, 'm', body, now)).toThrow(NoActiveSecretError);
  });
});
