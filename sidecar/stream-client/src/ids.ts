/** Compares two stream event ids (`ms-seq`) numerically. */
export function compareIds(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-');
  const [bm = '0', bs = '0'] = b.split('-');
  if (am.length !== bm.length) return am.length < bm.length ? -1 : 1;
  if (am !== bm) return am < bm ? -1 : 1;
  if (as.length !== bs.length) return as.length < bs.length ? -1 : 1;
  return as === bs ? 0 : as < bs ? -1 : 1;
}
