import type { SyncMessage } from './schemas';

/** A sync message the sink did not take (unknown or disabled profile, payload without a record name). */
export interface SyncRejected {
  id: string;
  code: 'sync_profile_not_found' | 'sync_payload_invalid';
  message: string;
}

/**
 * Where messages carrying `sync_profile_id` go (the sync module implements it; app.ts wires
 * it in): each names a local record saved or deleted, pushed by a changes job. An interface
 * here so delivery does not import the sync domain.
 */
export interface SyncSink {
  /** Queues each message's record once per message id; a repeat is a duplicate. */
  acceptChanges(messages: SyncMessage[]): Promise<{ accepted: string[]; duplicates: string[]; rejected: SyncRejected[] }>;
}
