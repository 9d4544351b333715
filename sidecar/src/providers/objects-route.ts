import { pipeline } from 'node:stream/promises';
import { AppError, notFound } from '../errors';
import type { FastRoute } from '../http/fast-route';
import { parseInput } from '../http/validate';
import { ConnectionId } from '../connections/schemas';
import type { OperationService } from './service';
import { storageError } from './storage/answer';
import { ObjectKey } from './storage/params';

/**
 * `PUT` and `GET /v1/connections/{id}/objects/{key}`: object bytes streamed through the sidecar
 * (the JSON API buffers bodies; a 64 MiB file must not be). Uploads are cut into parts of
 * `PART_SIZE` as they arrive (one request below that, the provider's multipart form above), so
 * the sidecar holds at most a part per upload; downloads are piped as they come. Both run under
 * the connection's policy (auth, rate limit, breaker, timeouts per request, SSRF guard).
 */

/** Part size of streamed uploads: S3's minimum is 5 MiB; every part is held once in memory. */
export const PART_SIZE = 8 * 1024 * 1024;

/** Answer headers a download passes on. */
const PASSED = ['content-type', 'content-length', 'content-range', 'accept-ranges', 'etag', 'last-modified', 'content-disposition', 'cache-control'];

async function streams(ops: OperationService, rawId: string, rawKey: string) {
  const id = parseInput(ConnectionId, rawId, 'id');
  const key = parseInput(ObjectKey, rawKey, 'key');
  const { provider, ctx } = await ops.open(id);
  if (!provider.objects) throw new AppError('invalid_request', `Provider ${provider.name} stores no objects.`);
  return { key, ctx, objects: provider.objects, provider: provider.name };
}

export function objectRoutes(ops: OperationService, o: { spoolDir: string | null }): FastRoute[] {
  return [
    {
      method: 'PUT',
      path: '/v1/connections/:id/objects/*key',
      body: 'stream',
      async handle(params, _body, res, req) {
        const { key, ctx, objects } = await streams(ops, params.id!, params.key!);
        const contentType = req.headers['content-type'] ?? 'application/octet-stream';
        // node:http has checked Content-Length's syntax; a chunked body has none.
        const length = req.headers['content-length'];
        const size = length === undefined ? undefined : Number(length);
        const up = await objects.upload(ctx, key, req, { contentType, partSize: PART_SIZE, size, spoolDir: o.spoolDir });
        const text = JSON.stringify(up);
        res.writeHead(201, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) }).end(text);
      },
    },
    {
      method: 'GET',
      path: '/v1/connections/:id/objects/*key',
      body: 'stream',
      async handle(params, _body, res, req) {
        const { key, ctx, objects, provider } = await streams(ops, params.id!, params.key!);
        const range = typeof req.headers.range === 'string' ? req.headers.range : undefined;
        const up = await objects.download(ctx, key, range ? { range } : {});
        if (up.status >= 300) {
          const chunks: Buffer[] = [];
          for await (const c of up.body) if (chunks.length < 16) chunks.push(c as Buffer);
          if (up.status === 404) throw notFound(`Object ${key}`);
          throw storageError(provider, up.status, Buffer.concat(chunks), `get ${key}`);
        }
        const headers: Record<string, string> = {};
        for (const h of PASSED) if (typeof up.headers[h] === 'string') headers[h] = up.headers[h];
        res.writeHead(up.status, headers);
        // A client gone mid-download ends the upstream request too (pipeline destroys both).
        await pipeline(up.body, res);
      },
    },
  ];
}
