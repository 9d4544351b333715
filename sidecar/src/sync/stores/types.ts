import type { Doc } from '../mapping';

/** One record of the remote side, as the engine compares it. */
export interface RemoteRecord {
  id: string;
  doc: Doc;
  /** When it was last written, if the store says (ms since epoch): the cursor and latest_wins use it. */
  modifiedMs: number | null;
}

export interface RemotePage {
  records: RemoteRecord[];
  /** Where the next page starts (JSON, kept in the run's checkpoint); null = this was the last page. */
  next: unknown;
}

/**
 * A failure of one record (create, update, delete). `retryable` false means sending it again
 * cannot help until someone changes the data (a validation error).
 */
export class RecordError extends Error {
  override name = 'RecordError';
  constructor(
    message: string,
    readonly code: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** A failure of the store as a whole (a list page could not be read): the run stops and is retried from its checkpoint. */
export class StoreError extends Error {
  override name = 'StoreError';
}

/** The remote side of a profile: another Frappe site or a generic REST resource. */
export interface RemoteStore {
  /** A page of records changed at or after `sinceMs` (all when null), starting at `token` (null = first page). */
  list(sinceMs: number | null, token: unknown, limit: number): Promise<RemotePage>;
  /** The records with these ids that exist. */
  getMany(ids: string[]): Promise<Map<string, RemoteRecord>>;
  /** `idempotencyKey` is the same on every attempt to create this record, across crashes. */
  create(body: Doc, idempotencyKey: string): Promise<RemoteRecord>;
  update(id: string, body: Doc): Promise<RemoteRecord>;
  /** A record already gone counts as deleted. */
  delete(id: string): Promise<void>;
  /** Up to `limit` records whose `field` holds `value` (finds a create a crash interrupted; pairs records by key). */
  findBy(field: string, value: string, limit: number): Promise<RemoteRecord[]>;
}
