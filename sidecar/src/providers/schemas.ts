import { z } from 'zod';

/** A provider name as connections name it (`stripe`, `amazon_ses`). */
export const ProviderName = z.string().regex(/^[a-z][a-z0-9_]{1,31}$/, 'a provider name: lower case letters, digits and _');

export const CallBody = z
  .object({
    /** e.g. `payment_intents.create`; `GET /v1/providers` lists each provider's. */
    operation: z.string().regex(/^[a-z][a-z0-9_.]{0,63}$/, 'an operation name such as payment_intents.create'),
    params: z.record(z.string(), z.unknown()).default({}),
    /** Same key, same effect: operations that create something send keys derived from it. */
    idempotency_key: z.string().min(1).max(200).regex(/^[\x21-\x7e]+$/, 'printable ASCII').optional(),
  })
  .strict();
export type CallBody = z.infer<typeof CallBody>;
