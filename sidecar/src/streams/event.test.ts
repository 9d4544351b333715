import { createServer } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { listenLocal, type LocalServer } from '../../test/local-server';
import { StreamEvent } from './event';

describe('StreamEvent.wsFrame', () => {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const server = createServer();
  let listening: LocalServer | undefined;
  afterAll(() => listening?.close());

  it('is a whole text frame a WebSocket client reads as the event, for each length encoding', async () => {
    // 7-bit, 16-bit and 64-bit payload lengths (the 64-bit one is over 64 KiB).
    const events = [1, 200, 70_000].map((n, i) => new StreamEvent(`1-${i}`, 'order.created', JSON.stringify({ pad: 'x'.repeat(n) })));
    server.on('upgrade', (req, socket, head) =>
      wss.handleUpgrade(req, socket, head, () => {
        for (const e of events) socket.write(e.wsFrame());
      }),
    );
    listening = await listenLocal(server);
    const client = new WebSocket(`ws://127.0.0.1:${listening.port}`);
    const received: Array<{ text: string; binary: boolean }> = [];
    await new Promise<void>((ok, fail) => {
      client.on('message', (d, binary) => {
        received.push({ text: String(d), binary });
        if (received.length === events.length) ok();
      });
      client.on('error', fail);
    });
    client.close();
    expect(received.map((r) => r.binary)).toEqual([false, false, false]);
    expect(received.map((r) => JSON.parse(r.text))).toEqual(events.map((e) => ({ id: e.id, type: 'order.created', data: JSON.parse(e.data) })));
    // Built once: every subscriber is handed the same bytes.
    expect(events[0]!.wsFrame()).toBe(events[0]!.wsFrame());
  });
});
