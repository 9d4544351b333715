import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startConnectionsHarness, type ConnectionsHarness } from '../../test/connections/harness';
import { startPeer, type TestPeer } from '../../test/connections/peer';
import { expectOk } from './answer';
import { deriveKey } from './idempotency';
import { operation, type Provider } from './types';

/** A provider written the way real ones are: typed params, requests through ctx, errors from the body. */
const notes: Provider = {
  name: 'notes',
  area: 'email',
  title: 'Notes (test)',
  operations: {
    'notes.create': operation({
      summary: 'Create a note',
      params: z.object({ text: z.string().min(1) }).strict(),
      async run(ctx, p) {
        const res = await ctx.request({
          method: 'POST',
          path: '/notes',
          body: { text: p.text, sandbox: ctx.sandbox },
          ...(ctx.idempotencyKey ? { idempotency_key: deriveKey(ctx.idempotencyKey, 'create') } : {}),
        });
        return expectOk('notes', res, (b) => {
          const e = (b as { error?: { message?: string; type?: string } } | undefined)?.error;
          return e?.message ? { message: e.message, code: e.type } : undefined;
        });
      },
    }),
  },
};

const json = (res: import('node:http').ServerResponse, status: number, body: unknown) =>
  void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

describe('POST /v1/connections/{id}/call', () => {
  let h: ConnectionsHarness;
  let peer: TestPeer;
  beforeAll(async () => {
    h = await startConnectionsHarness({ connections: { providers: [notes] } });
    peer = await startPeer();
    await h.put('n1', { base_url: peer.url, auth: { type: 'bearer', token: 'n-s3cret' }, provider: 'notes', sandbox: true, max_attempts: 2 });
    await h.put('plain', { base_url: peer.url, auth: { type: 'bearer', token: 'x' } });
  });
  afterAll(async () => {
    await h.close();
    await peer.close();
  });
  const call = async (id: string, body: unknown) => {
    const res = await h.api(`/v1/connections/${id}/call`, { method: 'POST', json: body });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  it('runs the operation through the proxy with auth and a derived idempotency key', async () => {
    peer.handler = (_q, res) => json(res, 201, { id: 'note_1' });
    const r = await call('n1', { operation: 'notes.create', params: { text: 'hi' }, idempotency_key: 'order-7' });
    expect(r).toEqual({ status: 200, body: { provider: 'notes', operation: 'notes.create', result: { id: 'note_1' } } });
    const got = peer.requests.at(-1)!;
    expect(got.headers.authorization).toBe('Bearer n-s3cret');
    expect(got.headers['idempotency-key']).toBe(deriveKey('order-7', 'create'));
    expect(JSON.parse(got.body)).toEqual({ text: 'hi', sandbox: true });
  });

  it('turns the provider\'s 4xx into provider_rejected with its code, and 5xx after retries into provider_error', async () => {
    peer.handler = (_q, res) => json(res, 402, { error: { message: 'Your card was declined.', type: 'card_error' } });
    const r = await call('n1', { operation: 'notes.create', params: { text: 'x' }, idempotency_key: 'k' });
    expect(r.status).toBe(422);
    expect(r.body.error).toEqual({ code: 'provider_rejected', message: 'notes: Your card was declined.', details: { provider: 'notes', status: 402, provider_code: 'card_error' } });
    const before = peer.requests.length;
    peer.handler = (_q, res) => void res.writeHead(500).end('<html>oops</html>');
    const f = await call('n1', { operation: 'notes.create', params: { text: 'x' }, idempotency_key: 'k' });
    expect(f.status).toBe(502);
    expect(f.body.error).toMatchObject({ code: 'provider_error', message: 'notes: answered 500', details: { status: 500 } });
    expect(peer.requests.length - before).toBe(2); // retried once: the POST carried an idempotency key
  });

  it('refuses bad params, unknown operations, connections without a provider and unknown providers', async () => {
    const bad = await call('n1', { operation: 'notes.create', params: { text: '', extra: 1 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_request');
    expect(bad.body.error.details.map((d: { path: string }) => d.path)).toContain('params.text');
    expect((await call('n1', { operation: 'notes.delete' })).status).toBe(404);
    expect((await call('n1', { operation: 'constructor' })).status).toBe(404);
    expect((await call('n1', { op: 'x' })).status).toBe(400);
    const unset = await call('plain', { operation: 'notes.create', params: { text: 'a' } });
    expect(unset.status).toBe(409);
    expect(unset.body.error.code).toBe('provider_unset');
    expect((await call('missing', { operation: 'notes.create', params: { text: 'a' } })).status).toBe(404);
    const put = await h.api('/v1/connections/n2', { method: 'PUT', json: { base_url: peer.url, auth: { type: 'bearer', token: 'x' }, provider: 'nope' } });
    expect(put.status).toBe(400);
    expect(((await put.json()) as any).error.message).toContain('notes');
  });

  it('lists providers with their operations and params as JSON Schema', async () => {
    const res = await h.api('/v1/providers');
    const body = (await res.json()) as any;
    expect(body.providers).toEqual([
      { name: 'notes', title: 'Notes (test)', area: 'email', operations: [{ name: 'notes.create', summary: 'Create a note', params: expect.objectContaining({ type: 'object', required: ['text'] }) }] },
    ]);
  });
});
