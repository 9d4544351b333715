import type { ChainableCommander } from 'ioredis';

/**
 * A pipeline's replies, or the first command's error. ioredis resolves `exec()` of a pipeline
 * with an error per command, so without this a Redis that cannot be reached reads as a run
 * of empty replies ("not found", "missing") instead of failing the request.
 */
export async function replies(pipe: ChainableCommander): Promise<unknown[]> {
  const res = (await pipe.exec()) ?? [];
  const failed = res.find(([err]) => err);
  if (failed) throw failed[0];
  return res.map(([, value]) => value);
}
