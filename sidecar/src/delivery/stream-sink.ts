import type { StreamMessage } from './schemas';

/** A stream message the sink could not append (the stream is not configured, or the payload is too large). */
export interface StreamRejected {
  id: string;
  code: 'stream_not_found' | 'payload_too_large';
  message: string;
}

/**
 * Where messages carrying `stream_id` go (the streams module implements it; app.ts wires it
 * in). Kept here as an interface so delivery does not import the streams domain.
 */
export interface StreamSink {
  /** Appends each message to its stream once per message id; a repeat is a duplicate. */
  appendMessages(messages: StreamMessage[]): Promise<{ accepted: string[]; duplicates: string[]; rejected: StreamRejected[] }>;
}
