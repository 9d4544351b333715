import { z } from 'zod';

/**
 * Signed-timestamp window in seconds. Capped below the dedup TTL (8 days, see store.ts) so a
 * replay accepted by the window is always caught as a duplicate. Providers that sign no
 * timestamp accept and ignore it, because Frappe sends the same shape for every provider.
 */
export const toleranceS = z.number().int().min(1).max(7 * 86_400).optional();

/** A shared secret as the provider's dashboard shows it. */
export const secretString = z.string().min(1).max(4096);

export const JSON_TYPES = ['application/json'] as const;
