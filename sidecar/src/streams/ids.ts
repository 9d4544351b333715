/**
 * Redis stream ids (`ms-seq`) compared numerically without parsing: both parts are decimal
 * integers without leading zeros, so a shorter part is smaller and equal lengths compare as
 * strings. (Plain string order is wrong once the digits differ in length.) Called per event
 * per subscriber on the fan-out path, hence no BigInt.
 */
export function compareIds(a: string, b: string): number {
  const ai = a.indexOf('-');
  const bi = b.indexOf('-');
  const am = ai < 0 ? a : a.slice(0, ai);
  const bm = bi < 0 ? b : b.slice(0, bi);
  const byMs = comparePart(am, bm);
  if (byMs !== 0) return byMs;
  return comparePart(ai < 0 ? '0' : a.slice(ai + 1), bi < 0 ? '0' : b.slice(bi + 1));
}

function comparePart(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a === b ? 0 : a < b ? -1 : 1;
}

/** The id before any real one: "everything in the stream" as an exclusive start. */
export const ZERO_ID = '0-0';
