import { request, type IncomingMessage } from 'node:http';
import { WebSocket } from 'ws';

/** A frame a subscriber received: SSE fields, or a parsed WebSocket JSON frame. */
export interface Received {
  id?: string;
  event: string;
  data: any;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Base of the two raw test subscribers: collects frames, waits for counts or for the end. */
abstract class Collector {
  readonly frames: Received[] = [];
  comments = 0;
  ended = false;
  closeCode: number | null = null;
  closeReason = '';
  /** Stream events only (not reset / error frames). */
  get events() {
    return this.frames.filter((f) => f.id !== undefined);
  }
  async waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.frames.slice(-5))}`);
      await sleep(10);
    }
  }
  waitEvents(n: number, timeoutMs?: number) {
    return this.waitFor(() => this.events.length >= n, `${n} events`, timeoutMs);
  }
  waitEnd(timeoutMs?: number) {
    return this.waitFor(() => this.ended, 'the connection to end', timeoutMs);
  }
  abstract close(): void;
}

/** An SSE subscriber on node:http that parses frames as they arrive. */
export class SseTestClient extends Collector {
  status = 0;
  headers: IncomingMessage['headers'] = {};
  body = '';
  private res: IncomingMessage | null = null;
  private destroy: () => void = () => {};

  static async open(url: string, headers: Record<string, string> = {}): Promise<SseTestClient> {
    const c = new SseTestClient();
    await new Promise<void>((ok, fail) => {
      const req = request(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
        c.res = res;
        c.status = res.statusCode ?? 0;
        c.headers = res.headers;
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (c.status !== 200) {
            c.body += chunk;
            return;
          }
          buf += chunk;
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            c.parse(buf.slice(0, i));
            buf = buf.slice(i + 2);
          }
        });
        res.on('close', () => (c.ended = true));
        ok();
      });
      req.on('error', (err) => (c.res ? (c.ended = true) : fail(err)));
      c.destroy = () => req.destroy();
      req.end();
    });
    if (c.status !== 200) await c.waitEnd();
    return c;
  }

  private parse(block: string) {
    const f: Partial<Received> & { data?: string } = {};
    let only = true;
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      only = false;
      const [k, ...rest] = line.split(':');
      const v = rest.join(':').replace(/^ /, '');
      if (k === 'id') f.id = v;
      else if (k === 'event') f.event = v;
      else if (k === 'data') f.data = v;
    }
    if (only) return void this.comments++;
    if (f.data === undefined) return; // a `retry:`-only block
    this.frames.push({ id: f.id, event: f.event ?? 'message', data: JSON.parse(f.data) });
  }

  json(): any {
    return JSON.parse(this.body);
  }

  close() {
    this.destroy();
  }
}

/** A WebSocket subscriber (`ws`), recording frames, the close code and reason. */
export class WsTestClient extends Collector {
  status = 0;
  body = '';
  ws: WebSocket | null = null;

  static async open(url: string, headers: Record<string, string> = {}): Promise<WsTestClient> {
    const c = new WsTestClient();
    const ws = new WebSocket(url.replace(/^http/, 'ws'), { headers });
    // Listening from the start: the first frames can arrive in the same turn as 'open'.
    ws.on('message', (d) => {
      const m = JSON.parse(String(d)) as { id?: string; type: string; data?: unknown };
      c.frames.push({ id: m.id, event: m.type, data: m.id === undefined ? m : m.data });
    });
    ws.on('close', (code, reason) => {
      c.closeCode = code;
      c.closeReason = String(reason);
      c.ended = true;
    });
    await new Promise<void>((ok) => {
      ws.on('open', () => {
        c.status = 101;
        c.ws = ws;
        ok();
      });
      ws.on('unexpected-response', (_req, res) => {
        c.status = res.statusCode ?? 0;
        res.setEncoding('utf8');
        res.on('data', (d: string) => (c.body += d));
        res.on('end', () => {
          c.ended = true;
          ok();
        });
      });
      ws.on('error', () => {
        c.ended = true;
        ok();
      });
    });
    return c;
  }

  json(): any {
    return JSON.parse(this.body);
  }

  close() {
    this.ws?.terminate();
  }
}
