import type { RawResult, StreamedResult } from '../../connections/proxy';
import { operation, type CallContext, type ObjectStreams, type Operation, type Provider, type Uploaded } from '../types';
import { KeyParams, keyPath, ListParams, PutParams, SignedUrlParams, type ObjectInfo, type SignedUrl } from './params';
import type { z } from 'zod';

/**
 * The operation table every storage provider offers (amazon_s3, gcs, azure_blob): one set of
 * operations, params and answers, so callers need not know which cloud a connection points at.
 * A provider gives its client's functions and the words that differ; nothing else is restated.
 */

export interface StorageClient {
  put(ctx: CallContext, key: string, body: Buffer, contentType: string): Promise<Uploaded>;
  get(ctx: CallContext, key: string): Promise<RawResult>;
  head(ctx: CallContext, key: string): Promise<(ObjectInfo & { content_type: string | null }) | null>;
  /** No error when the key does not exist. */
  delete(ctx: CallContext, key: string): Promise<void>;
  list(ctx: CallContext, p: z.infer<typeof ListParams>): Promise<{ objects: ObjectInfo[]; truncated: boolean; next_token: string | null }>;
  signedUrl(ctx: CallContext, p: z.infer<typeof SignedUrlParams>): Promise<SignedUrl>;
  upload: ObjectStreams['upload'];
  /** Headers every request for an object's bytes carries (Azure's REST version). */
  readHeaders?: Record<string, string>;
}

export interface StorageProvider {
  name: string;
  title: string;
  /** What the provider calls what it stores, for the summaries: `object` or `blob`. */
  noun: 'object' | 'blob';
  client: StorageClient;
  /** Summaries of the shared operations where the provider's own words say more (`objects.list`: "ListObjectsV2"). */
  summaries: { 'objects.signed_url': string } & Partial<Record<'objects.put' | 'objects.list', string>>;
  /** Operations only this provider has. */
  more?: Record<string, Operation<any, unknown>>;
}

export function storageProvider(s: StorageProvider): Provider {
  const { client: c, noun } = s;
  const an = noun === 'object' ? 'an' : 'a';
  const An = an[0]!.toUpperCase() + an.slice(1);
  return {
    name: s.name,
    area: 'storage',
    title: s.title,
    operations: {
      'objects.put': operation({
        summary: s.summaries['objects.put'] ?? `Store a small ${noun} (text or base64) under a key`,
        params: PutParams,
        run: (ctx, p) => c.put(ctx, p.key, Buffer.from(p.content, p.encoding), p.content_type),
      }),
      'objects.get': operation({
        summary: `${An} ${noun}'s bytes (base64) and type; large ${noun}s: GET …/objects/{key}`,
        params: KeyParams,
        async run(ctx, p) {
          const res = await c.get(ctx, p.key);
          return { key: p.key, size: res.body.length, content_type: res.headers['content-type'] ?? null, etag: res.headers.etag ?? null, content: res.body.toString('base64') };
        },
      }),
      'objects.head': operation({
        summary: `${An} ${noun}'s size, type and ETag; exists false when there is none`,
        params: KeyParams,
        async run(ctx, p) {
          const info = await c.head(ctx, p.key);
          return info ? { exists: true, ...info } : { exists: false, key: p.key };
        },
      }),
      'objects.delete': operation({
        summary: `Delete ${an} ${noun} (no error when it does not exist)`,
        params: KeyParams,
        async run(ctx, p) {
          await c.delete(ctx, p.key);
          return { key: p.key, deleted: true };
        },
      }),
      'objects.list': operation({ summary: s.summaries['objects.list'] ?? `${noun[0]!.toUpperCase()}${noun.slice(1)}s under a prefix, a page at a time`, params: ListParams, run: c.list }),
      'objects.signed_url': operation({ summary: s.summaries['objects.signed_url'], params: SignedUrlParams, run: c.signedUrl }),
      ...s.more,
    },
    objects: {
      upload: c.upload,
      download: (ctx, key, o): Promise<StreamedResult> => ctx.stream({ method: 'GET', path: keyPath(key), headers: { ...c.readHeaders, ...(o.range ? { range: o.range } : {}) } }),
    },
  };
}
