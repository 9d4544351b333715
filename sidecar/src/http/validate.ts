import type { z } from 'zod';
import { AppError } from '../errors';

/** Parses request input with a zod schema; a failure is a 400 listing each issue's path. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what = 'body'): z.infer<S> {
  const result = schema.safeParse(input ?? {});
  if (!result.success) {
    const details = result.error.issues.map((i) => ({ path: [what, ...i.path].join('.'), message: i.message }));
    throw new AppError('invalid_request', `Invalid ${what}: ${details[0]?.path} ${details[0]?.message}`, details);
  }
  return result.data;
}
