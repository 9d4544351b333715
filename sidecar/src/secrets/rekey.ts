/** A store that keeps sealed values and can move them all to the ring's newest key. */
export interface Rekeyable {
  rekey(): Promise<{ scanned: number; rewritten: number }>;
}

export type RekeyReport = Record<string, { scanned: number; rewritten: number }>;

/**
 * Re-seals every stored secret under the newest key (and seals legacy plain values), store by
 * store. Safe while sidecars run: each rewrite is compare-and-set, and every process reads both
 * keys. Once it reports, the older keys can be dropped from the ring.
 */
export async function rekeyAll(stores: Record<string, Rekeyable>): Promise<RekeyReport> {
  const report: RekeyReport = {};
  for (const [name, store] of Object.entries(stores)) report[name] = await store.rekey();
  return report;
}
