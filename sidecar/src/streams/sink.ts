import type { StreamMessage } from '../delivery/schemas';
import type { StreamRejected, StreamSink } from '../delivery/stream-sink';
import type { StreamMetrics } from './metrics';
import { MAX_EVENT_BYTES } from './schemas';
import type { StreamStore } from './store';

/**
 * Outbox messages that carry `stream_id`: each is appended to its stream as `{type: event_type,
 * data: payload}` with the message id as the dedup key, so a message handed over twice (the
 * hand-off, then Frappe's re-push) is appended once and is a duplicate the second time.
 */
export function createStreamSink(store: StreamStore, metrics: StreamMetrics): StreamSink {
  return {
    async appendMessages(messages: StreamMessage[]) {
      const accepted: string[] = [];
      const duplicates: string[] = [];
      const rejected: StreamRejected[] = [];
      const byStream = new Map<string, Array<{ id: string; type: string; data: string }>>();
      for (const m of messages) {
        const data = JSON.stringify(m.payload);
        if (Buffer.byteLength(data) > MAX_EVENT_BYTES) {
          rejected.push({ id: m.id, code: 'payload_too_large', message: `The payload exceeds ${MAX_EVENT_BYTES} bytes.` });
          continue;
        }
        const list = byStream.get(m.stream_id) ?? [];
        list.push({ id: m.id, type: m.event_type, data });
        byStream.set(m.stream_id, list);
      }
      for (const [stream, list] of byStream) {
        const out = await store.append(stream, list.map((e) => ({ dedup: e.id, type: e.type, data: e.data })));
        if (!out) {
          for (const e of list) rejected.push({ id: e.id, code: 'stream_not_found', message: `Stream ${stream} not found.` });
          continue;
        }
        out.forEach((o, i) => (o.duplicate ? duplicates : accepted).push(list[i]!.id));
        const fresh = out.filter((o) => !o.duplicate).length;
        if (fresh) metrics.published.inc({ stream }, fresh);
      }
      return { accepted, duplicates, rejected };
    },
  };
}
