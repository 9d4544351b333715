/**
 * Redis stream ids (`ms-seq`) compared numerically without parsing or allocating: both parts
 * are decimal integers without leading zeros (schemas.ts normalises what clients send), so a
 * part with fewer digits is smaller and equal lengths compare digit by digit. (Plain string
 * order is wrong once the digits differ in length.) This runs per event per subscriber on the
 * fan-out path: no BigInt, no substrings.
 */
export function compareIds(a: string, b: string): number {
  const ad = dash(a);
  const bd = dash(b);
  const byMs = comparePart(a, 0, ad, b, 0, bd);
  if (byMs !== 0) return byMs;
  return comparePart(a, ad + 1, a.length, b, bd + 1, b.length);
}

/** Index of the `-`, or the length (a bare `ms` has sequence 0: an empty part compares as 0). */
function dash(s: string): number {
  const i = s.indexOf('-');
  return i < 0 ? s.length : i;
}

function comparePart(a: string, as: number, ae: number, b: string, bs: number, be: number): number {
  // An empty part (no sequence) is 0, which has one digit.
  const al = Math.max(0, ae - as);
  const bl = Math.max(0, be - bs);
  const an = al === 0 ? 1 : al;
  const bn = bl === 0 ? 1 : bl;
  if (an !== bn) return an < bn ? -1 : 1;
  for (let i = 0; i < an; i++) {
    const ca = al === 0 ? 48 : a.charCodeAt(as + i);
    const cb = bl === 0 ? 48 : b.charCodeAt(bs + i);
    if (ca !== cb) return ca < cb ? -1 : 1;
  }
  return 0;
}

/** The id before any real one: "everything in the stream" as an exclusive start. */
export const ZERO_ID = '0-0';
