import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrappeClient } from '../frappe/client';
import { startDeliveryHarness, type DeliveryHarness } from '../../test/delivery/harness';
import { startReceiver, type TestReceiver } from '../../test/delivery/receiver';

interface Call {
  method: string;
  body: Record<string, any>;
}

/** A stand-in Frappe site: records whitelisted calls; `down` makes it answer 502. */
function fakeFrappe() {
  const calls: Call[] = [];
  const state = { down: true, refused: 0 };
  const fetchImpl: typeof fetch = async (input, init) => {
    if (state.down) {
      state.refused++;
      return new Response('bad gateway', { status: 502 });
    }
    const method = String(input).split('/api/method/')[1]!;
    calls.push({ method, body: JSON.parse(String(init?.body)) as Record<string, any> });
    return Response.json({ message: { updated: 1 } });
  };
  const client = new FrappeClient({ url: 'http://frappe.test', apiKey: 'k', apiSecret: 's', fetch: fetchImpl });
  return { client, calls, state };
}

describe('reporting to Frappe and auto-disable', () => {
  let h: DeliveryHarness;
  let rx: TestReceiver;
  const frappe = fakeFrappe();
  beforeAll(async () => {
    h = await startDeliveryHarness({
      frappe: frappe.client,
      delivery: { autoDisableAfterMs: 400, reporter: { intervalMs: 50, maxBackoffMs: 200, batchSize: 7 } },
    });
    rx = await startReceiver((_q, body, res) => {
      const { type } = JSON.parse(body) as { type: string };
      res.writeHead(type === 'bad' ? 500 : 204).end();
    });
  });
  afterAll(async () => {
    await h.close();
    await rx.close();
  });

  it('reports every outcome in batches once Frappe is back, losing none', async () => {
    await h.putEndpoint('ok', { url: rx.url, signing: 'none' });
    await h.postMessages(Array.from({ length: 30 }, (_, i) => ({ id: `ok${i}`, endpoint_id: 'ok', event_type: 'good', payload: i })));
    for (let i = 0; i < 30; i++) await h.waitForStatus(`ok${i}`, ['succeeded']);
    await new Promise((r) => setTimeout(r, 300));
    expect(frappe.state.refused).toBeGreaterThan(0);
    frappe.state.down = false;
    const until = Date.now() + 10_000;
    const reported = () => new Set(frappe.calls.flatMap((c) => (c.body.outcomes ?? []).map((o: { message_id: string }) => o.message_id)));
    while (reported().size < 30 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(reported().size).toBe(30);
    const batches = frappe.calls.filter((c) => c.method === 'integrations_app.api.sidecar.report_deliveries');
    expect(Math.max(...batches.map((b) => b.body.outcomes.length))).toBeLessThanOrEqual(7);
    expect(batches[0]!.body.outcomes[0]).toMatchObject({
      endpoint_id: 'ok', status: 'succeeded', next_attempt_at: null,
      attempt: { n: 1, status_code: 204, error: null, request_headers: { 'content-type': 'application/json' } },
    });
    expect(await h.ctx.redis.xlen(h.module.service.keys.reports)).toBe(0);
  });

  it('auto-disables an endpoint failing for longer than the threshold and tells Frappe once', async () => {
    await h.putEndpoint('dead', { url: rx.url, signing: 'none', retry_schedule_s: [0, 1, 1, 1] });
    await h.postMessages([{ id: 'dead-1', endpoint_id: 'dead', event_type: 'bad', payload: 1 }]);
    const msg = await h.waitForStatus('dead-1', ['failed'], 10_000);
    // 0 s and ~1 s retries: the failure run passes 400 ms at the third attempt.
    expect(msg.attempts).toHaveLength(3);
    const view = (await (await h.api('/v1/endpoints/dead')).json()) as Record<string, any>;
    expect(view).toMatchObject({ status: 'disabled', stats: { disabled_reason: 'failing continuously for 400 ms', consecutive_failures: 3 } });
    const until = Date.now() + 5000;
    const notices = () => frappe.calls.filter((c) => c.method === 'integrations_app.api.sidecar.endpoint_disabled');
    while (notices().length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(notices()).toEqual([{ method: 'integrations_app.api.sidecar.endpoint_disabled', body: { endpoint_id: 'dead', reason: 'failing continuously for 400 ms', at: expect.any(String) } }]);
    expect(h.realtime.published.filter((p) => p.event === 'integrations_endpoint_disabled')).toHaveLength(1);

    // Re-saving the endpoint (desk: set it Active again) clears the disabled state and the failure run.
    const again = await h.putEndpoint('dead', { url: rx.url, signing: 'none' });
    expect(again.status).toBe('active');
    const stats = ((await (await h.api('/v1/endpoints/dead')).json()) as Record<string, any>).stats;
    expect(stats).toMatchObject({ disabled_reason: null, first_failure_at: null, consecutive_failures: 0 });
  });

  it('a success resets the failure run', async () => {
    await h.putEndpoint('flaky', { url: rx.url, signing: 'none', retry_schedule_s: [] });
    await h.postMessages([{ id: 'fl-1', endpoint_id: 'flaky', event_type: 'bad', payload: 1 }]);
    await h.waitForStatus('fl-1', ['failed']);
    let stats = ((await (await h.api('/v1/endpoints/flaky')).json()) as Record<string, any>).stats;
    expect(stats.first_failure_at).not.toBeNull();
    await h.postMessages([{ id: 'fl-2', endpoint_id: 'flaky', event_type: 'good', payload: 1 }]);
    await h.waitForStatus('fl-2', ['succeeded']);
    stats = ((await (await h.api('/v1/endpoints/flaky')).json()) as Record<string, any>).stats;
    expect(stats).toMatchObject({ first_failure_at: null, consecutive_failures: 0, delivered: 1, failed: 1, last_success_at: expect.any(String) });
  });
});
