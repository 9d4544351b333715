import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSidecar, type TestSidecar } from '../../test/helpers';
import { SseTestClient, WsTestClient } from '../../test/streams/clients';
import { hashToken } from './auth';

const ALL = 'filter-token-all-0123456789';
const ACME = 'filter-token-acme-0123456789';
const GLOBEX = 'filter-token-globex-0123456789';

describe('streams: per-token filters', () => {
  let sc: TestSidecar;
  let n = 0;
  const fresh = () => `f${++n}`;
  const customers = ['ACME', 'GLOBEX', 'ACME', 'INITECH', 'ACME', 'GLOBEX'];
  const publish = async (stream: string, from: number, count: number): Promise<string[]> => {
    const events = Array.from({ length: count }, (_, i) => ({ type: 'order', data: { n: from + i, customer: customers[(from + i) % customers.length], nested: { id: from + i } } }));
    const res = await sc.api(`/v1/streams/${stream}/events`, { method: 'POST', json: { events } });
    expect(res.status).toBe(202);
    return ((await res.json()) as { ids: string[] }).ids;
  };
  const put = (stream: string) =>
    sc.api(`/v1/streams/${stream}`, {
      method: 'PUT',
      json: {
        token_hashes: [
          hashToken(ALL),
          { hash: hashToken(ACME), filter: { field: 'customer', equals: 'ACME' } },
          { hash: hashToken(GLOBEX), expires_at: null, filter: { field: 'customer', equals: 'GLOBEX' } },
        ],
      },
    });
  const forCustomer = (c: string, total: number) => Array.from({ length: total }, (_, i) => i).filter((i) => customers[i % customers.length] === c);

  beforeAll(async () => {
    sc = await startTestSidecar({ STREAM_HEARTBEAT_MS: '200' });
  });
  afterAll(() => sc.close());

  it('a filtered consumer sees only its events on SSE and WebSocket, the others see theirs or everything', async () => {
    const s = fresh();
    const res = await put(s);
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).token_hashes[1]).toEqual({ hash: hashToken(ACME), expires_at: null, filter: { field: 'customer', equals: 'ACME' } });
    const acmeSse = await SseTestClient.open(`${sc.url}/v1/streams/${s}/sse`, { authorization: `Bearer ${ACME}` });
    const acmeWs = await WsTestClient.open(`${sc.url}/v1/streams/${s}/ws?token=${ACME}`);
    const globexWs = await WsTestClient.open(`${sc.url}/v1/streams/${s}/ws?token=${GLOBEX}`);
    const all = await SseTestClient.open(`${sc.url}/v1/streams/${s}/sse?token=${ALL}`);
    const ids = await publish(s, 0, 30);
    await all.waitEvents(30);
    const acme = forCustomer('ACME', 30);
    await acmeSse.waitEvents(acme.length);
    await acmeWs.waitEvents(acme.length);
    await globexWs.waitEvents(forCustomer('GLOBEX', 30).length);
    // A last event from everyone else: nothing more reaches the filtered consumers.
    await publish(s, 3, 1);
    await all.waitEvents(31);
    for (const c of [acmeSse, acmeWs]) {
      expect(c.events.map((e) => e.data.n)).toEqual(acme);
      expect(c.events.map((e) => e.id)).toEqual(acme.map((i) => ids[i]));
    }
    expect(globexWs.events.map((e) => e.data.n)).toEqual(forCustomer('GLOBEX', 30));
    expect(all.events).toHaveLength(31);
    for (const c of [acmeSse, acmeWs, globexWs, all]) c.close();
  });

  it('a filtered consumer that resumes gets exactly its missed events, from history, on both transports', async () => {
    const s = fresh();
    await put(s);
    const ids = await publish(s, 0, 12);
    const acme = forCustomer('ACME', 40);
    // It saw up to ACME's event 4, then missed 5..39 (catch-up from history, then live).
    const seen = ids[4]!;
    const sse = await SseTestClient.open(`${sc.url}/v1/streams/${s}/sse`, { authorization: `Bearer ${ACME}`, 'last-event-id': seen });
    const ws = await WsTestClient.open(`${sc.url}/v1/streams/${s}/ws?token=${ACME}&last_event_id=${seen}`);
    const more = await publish(s, 12, 28);
    const all = [...ids, ...more];
    const missed = acme.filter((i) => i > 4);
    for (const c of [sse, ws]) {
      await c.waitEvents(missed.length);
      expect(c.events.map((e) => e.data.n)).toEqual(missed);
      expect(c.events.map((e) => e.id)).toEqual(missed.map((i) => all[i]));
    }
    sse.close();
    ws.close();
  });

  it('a changed filter applies to connected consumers at once; filters are validated', async () => {
    const s = fresh();
    await put(s);
    const c = await WsTestClient.open(`${sc.url}/v1/streams/${s}/ws?token=${ACME}`);
    await publish(s, 0, 1);
    await c.waitEvents(1);
    await sc.api(`/v1/streams/${s}`, { method: 'PUT', json: { token_hashes: [{ hash: hashToken(ACME), filter: { field: 'nested.id', equals: 7 } }] } });
    await publish(s, 1, 10);
    await c.waitEvents(2);
    await publish(s, 2, 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(c.events.map((e) => e.data.n)).toEqual([0, 7]);
    c.close();
    for (const filter of [{ field: 'a..b', equals: 1 }, { field: 'x', equals: { no: 1 } }, { field: 'x' }, { field: 'x', equals: 1, extra: 1 }]) {
      const r = await sc.api(`/v1/streams/${s}`, { method: 'PUT', json: { token_hashes: [{ hash: hashToken(ACME), filter }] } });
      expect(r.status, JSON.stringify(filter)).toBe(400);
    }
  });
});
