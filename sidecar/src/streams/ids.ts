/** Redis stream ids (`ms-seq`) compared as numbers: string order is wrong once the digits differ in length. */
export function compareIds(a: string, b: string): number {
  const [am, as] = split(a);
  const [bm, bs] = split(b);
  if (am !== bm) return am < bm ? -1 : 1;
  if (as !== bs) return as < bs ? -1 : 1;
  return 0;
}

function split(id: string): [bigint, bigint] {
  const i = id.indexOf('-');
  return i < 0 ? [BigInt(id), 0n] : [BigInt(id.slice(0, i)), BigInt(id.slice(i + 1))];
}

/** The id before any real one: "everything in the stream" as an exclusive start. */
export const ZERO_ID = '0-0';
