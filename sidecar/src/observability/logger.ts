import { pino, type Logger } from 'pino';

/**
 * Paths pino censors. Secrets reach the logger only by accident (a config or request object
 * logged whole), so the list names every place one could hide rather than trusting callers.
 */
export const REDACT_PATHS = [
  'token',
  'secret',
  'secrets',
  'password',
  'authorization',
  '*.token',
  '*.secret',
  '*.secrets',
  '*.password',
  '*.authorization',
  '*.apiSecret',
  '*.SIDECAR_TOKEN',
  '*.FRAPPE_API_SECRET',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  '*.headers.authorization',
  '*.headers["stripe-signature"]',
  '*.headers["x-hub-signature-256"]',
  // ioredis attaches the failed command to its errors (`err.command.args`): a config write's
  // arguments hold the secrets, a stored event's hold the payload.
  '*.command.args',
];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    { level, base: { service: 'integrations-sidecar' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    destination as pino.DestinationStream | undefined,
  );
}

export type { Logger };
