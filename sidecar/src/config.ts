import { tmpdir } from 'node:os';
import { z } from 'zod';
import { parseKeyList, type RingKey } from './secrets/keyring';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** `host:port` (IPv6 hosts in brackets: `[::1]:26379`). */
const hostPort = z.string().transform((v, ctx) => {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(v);
  const port = m ? Number(m[3]) : 0;
  if (!m || port < 1 || port > 65535) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not host:port` });
    return z.NEVER;
  }
  return { host: (m[1] ?? m[2])!, port };
});

const list = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean));

/**
 * Every environment variable the sidecar reads. This is the only module that touches
 * `process.env` (DESIGN §3); everything else receives a frozen {@link Config}.
 */
const EnvSchema = z.object({
  /** HTTP port. @defaultValue 8787 */
  PORT: z.coerce.number().int().min(0).max(65535).default(8787),
  /** Interface to bind. @defaultValue 127.0.0.1 */
  HOST: z.string().min(1).default('127.0.0.1'),
  /** Redis to use. Unset ⇒ spawn a private `redis-server` with data under DATA_DIR. */
  REDIS_URL: z.string().url().optional(),
  /** Sentinels (comma list of host:port) to ask for the current primary, instead of REDIS_URL. */
  REDIS_SENTINELS: z
    .string()
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(hostPort).min(1, 'list at least one host:port'))
    .optional(),
  /** The master name the Sentinels monitor (`sentinel monitor <name> …`). */
  REDIS_SENTINEL_MASTER: z.string().min(1).optional(),
  /** Replicas that must have a write before it is acknowledged (Redis WAIT). @defaultValue 1 with Sentinels, else 0 */
  REDIS_WAIT_REPLICAS: z.coerce.number().int().min(0).max(16).optional(),
  /**
   * How long to wait for them; a write not replicated in time is answered 503. Below the API
   * connection's 5 s command timeout, which it shares. @defaultValue 1000
   */
  REDIS_WAIT_TIMEOUT_MS: z.coerce.number().int().min(10).max(4000).default(1000),
  /** Key prefix for every Redis key (lets several deployments or test runs share one Redis). @defaultValue ia */
  REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9:_-]+$/).default('ia'),
  /** Where the embedded Redis and the generated token live. @defaultValue .data */
  DATA_DIR: z.string().min(1).default('.data'),
  /** Bearer token for /v1. Unset ⇒ generated once, stored in DATA_DIR, printed once. */
  SIDECAR_TOKEN: z.string().min(16, 'SIDECAR_TOKEN must be at least 16 characters').optional(),
  /** The Frappe site's base URL. Unset (with key/secret) ⇒ standalone: results stay in Redis. */
  FRAPPE_URL: z.string().url().optional(),
  FRAPPE_API_KEY: z.string().min(1).optional(),
  FRAPPE_API_SECRET: z.string().min(1).optional(),
  /** The site's `redis_queue`, whose `events` channel Frappe's socket.io server relays to desk. */
  FRAPPE_REDIS_URL: z.string().url().optional(),
  /** The site name: the socket.io namespace desk listens on. */
  FRAPPE_SITE: z.string().min(1).optional(),
  /** Allow outbound deliveries to private, loopback and link-local addresses. @defaultValue false */
  OUTBOUND_ALLOW_PRIVATE: bool.default(false),
  /** Host names or IPs exempt from the private-address guard (comma list). */
  OUTBOUND_ALLOW_HOSTS: list.default([]),
  /** pino level. @defaultValue info */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * Deadline for receiving a request body, from when its route starts reading it; a slower
   * body is 408 and its connection closed. @defaultValue 10000
   */
  BODY_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(10_000),
  /**
   * Bytes that bodies on the public inbound route may hold at once, over all requests; past it
   * a request is 503 with Retry-After. @defaultValue 67108864 (64 MiB)
   */
  INBOUND_BODY_BUDGET_BYTES: z.coerce.number().int().min(1024 * 1024).max(16 * 1024 ** 3).default(64 * 1024 * 1024),
  /**
   * Streams: how often an idle SSE connection gets a heartbeat comment and a WebSocket a ping;
   * a WebSocket that has not answered a ping by the next one is dropped. @defaultValue 15000
   */
  STREAM_HEARTBEAT_MS: z.coerce.number().int().min(100).max(300_000).default(15_000),
  /**
   * Stream connectors: how long a process's hold on a connector's remote connection lasts
   * unrenewed; another process takes the connector over this long after its holder died.
   * @defaultValue 15000
   */
  STREAM_CONNECTOR_LEASE_MS: z.coerce.number().int().min(500).max(600_000).default(15_000),
  /** Stream connectors: how often leases are renewed and configs re-read (under the lease). @defaultValue 3000 */
  STREAM_CONNECTOR_TICK_MS: z.coerce.number().int().min(100).max(60_000).default(3000),
  /**
   * Streams: bytes one subscriber may have waiting in the sidecar's send buffer; past it the
   * subscriber is cut off as a slow consumer. @defaultValue 1048576 (1 MiB)
   */
  STREAM_CLIENT_BUFFER_BYTES: z.coerce.number().int().min(16 * 1024).max(256 * 1024 * 1024).default(1024 * 1024),
  // A cut-off slow consumer's close frame waits behind what it has not read; its socket is dropped after this.
  STREAM_SLOW_CONSUMER_GRACE_MS: z.coerce.number().int().min(0).max(60_000).default(500),
  /**
   * Where an S3 upload of known size above one part (8–256 MiB) is written while it arrives, so
   * it can be signed whole and sent again if an attempt fails; removed once the upload ends.
   * `off` ⇒ no disk: such uploads go straight through, signed chunk by chunk (aws-chunked), and
   * are sent once. @defaultValue the OS's temp directory
   */
  UPLOAD_SPOOL_DIR: z.string().min(1).optional(),
  /** Delivery worker concurrency per process. @defaultValue 200 */
  DELIVERY_CONCURRENCY: z.coerce.number().int().min(1).max(5000).default(200),
  /**
   * Key ring for secrets at rest: `id:base64(32 bytes)` entries, comma-separated, newest last.
   * Unset (and no SECRETS_KEY_FILE) ⇒ a key file generated under DATA_DIR on first start.
   */
  SECRETS_KEYS: z.string().transform((v, ctx) => {
    try {
      return parseKeyList(v, 'SECRETS_KEYS');
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  }).optional(),
  /** A file holding the key ring, one `id:base64` per line, newest last (mode 0600). */
  SECRETS_KEY_FILE: z.string().min(1).optional(),
});

/** The names of every variable read (sidecar/README.md lists the same; a test keeps both in step). */
export const ENV_VARIABLES = Object.keys(EnvSchema.shape);

export type Config = Readonly<
  Omit<z.infer<typeof EnvSchema>, 'FRAPPE_API_KEY' | 'FRAPPE_API_SECRET' | 'FRAPPE_URL' | 'REDIS_SENTINELS' | 'REDIS_SENTINEL_MASTER' | 'REDIS_WAIT_REPLICAS' | 'SECRETS_KEYS' | 'UPLOAD_SPOOL_DIR'> & {
    /** UPLOAD_SPOOL_DIR resolved: a directory, or null for `off`. */
    uploadSpoolDir: string | null;
    /** Set when REDIS_SENTINELS is: the sidecar's Redis is whichever node they name primary. */
    sentinel: { sentinels: Array<{ host: string; port: number }>; master: string } | null;
    /** Replicas each acknowledged write must reach first (0 = do not wait). */
    waitReplicas: number;
    frappe: { url: string; apiKey: string; apiSecret: string } | null;
    realtime: { redisUrl: string; site: string } | null;
    /** Keys from SECRETS_KEYS (newest last), or null: then SECRETS_KEY_FILE or DATA_DIR's file. */
    secretsKeys: readonly RingKey[] | null;
  }
>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(
    Object.fromEntries(Object.entries(env).filter(([k, v]) => k in EnvSchema.shape && v !== '')),
  );
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid environment:\n${lines.join('\n')}`);
  }
  const { FRAPPE_URL, FRAPPE_API_KEY, FRAPPE_API_SECRET, REDIS_SENTINELS, REDIS_SENTINEL_MASTER, REDIS_WAIT_REPLICAS, SECRETS_KEYS, UPLOAD_SPOOL_DIR, ...rest } = parsed.data;
  if (Boolean(REDIS_SENTINELS) !== Boolean(REDIS_SENTINEL_MASTER)) {
    throw new ConfigError('REDIS_SENTINELS and REDIS_SENTINEL_MASTER must be set together');
  }
  if (REDIS_SENTINELS && rest.REDIS_URL) {
    throw new ConfigError('set either REDIS_URL or REDIS_SENTINELS (with REDIS_SENTINEL_MASTER), not both');
  }
  if (SECRETS_KEYS && rest.SECRETS_KEY_FILE) throw new ConfigError('set SECRETS_KEYS or SECRETS_KEY_FILE, not both');
  const frappeParts = [FRAPPE_URL, FRAPPE_API_KEY, FRAPPE_API_SECRET].filter(Boolean).length;
  if (frappeParts !== 0 && frappeParts !== 3) {
    throw new ConfigError('FRAPPE_URL, FRAPPE_API_KEY and FRAPPE_API_SECRET must be set together');
  }
  if (Boolean(rest.FRAPPE_REDIS_URL) !== Boolean(rest.FRAPPE_SITE)) {
    throw new ConfigError('FRAPPE_REDIS_URL and FRAPPE_SITE must be set together');
  }
  return Object.freeze({
    ...rest,
    sentinel: REDIS_SENTINELS ? { sentinels: REDIS_SENTINELS, master: REDIS_SENTINEL_MASTER! } : null,
    waitReplicas: REDIS_WAIT_REPLICAS ?? (REDIS_SENTINELS ? 1 : 0),
    frappe: FRAPPE_URL
      ? { url: FRAPPE_URL.replace(/\/+$/, ''), apiKey: FRAPPE_API_KEY!, apiSecret: FRAPPE_API_SECRET! }
      : null,
    realtime: rest.FRAPPE_REDIS_URL ? { redisUrl: rest.FRAPPE_REDIS_URL, site: rest.FRAPPE_SITE! } : null,
    secretsKeys: SECRETS_KEYS ?? null,
    uploadSpoolDir: UPLOAD_SPOOL_DIR === 'off' ? null : (UPLOAD_SPOOL_DIR ?? tmpdir()),
  });
}
