/** `WAIT` came back with fewer replicas than configured: the write may not survive a failover. */
export class ReplicationError extends Error {
  override name = 'ReplicationError';
  constructor(acked: number, wanted: number, timeoutMs: number) {
    super(`the write reached ${acked} of ${wanted} Redis replicas within ${timeoutMs} ms`);
  }
}

/**
 * Errors that mean "Redis cannot be used right now" rather than a bug: connection refused,
 * reset or closed, nothing queued while offline, a command timed out, or a server that is
 * loading, read-only (a demoted primary) or without its primary. Callers answer 503 and
 * retry; the connection group has already logged the outage once. Matched anywhere in the
 * message, as some callers re-throw with context (and without the command's arguments).
 */
const UNAVAILABLE = [
  /\bECONN(REFUSED|RESET|ABORTED)\b/, /\bEPIPE\b/, /\bETIMEDOUT\b/, /\bEHOSTUNREACH\b/, /\bENETUNREACH\b/, /\bENOTFOUND\b/, /\bEAI_AGAIN\b/,
  /Connection is closed/, /Stream isn't writeable/, /Command timed out/, /Command aborted due to connection close/,
  /Reached the max retries per request limit/, /Socket timeout/, /All sentinels are unreachable/,
  /\b(READONLY|LOADING|MASTERDOWN|NOREPLICAS|TRYAGAIN|CLUSTERDOWN) /,
];

export function isRedisUnavailable(err: unknown): boolean {
  if (err instanceof ReplicationError) return true;
  if (!(err instanceof Error)) return false;
  return UNAVAILABLE.some((re) => re.test(err.message));
}

/**
 * A stream read or acknowledgement named a consumer group that does not exist: the stream
 * (and its group) went with a flushed or restarted Redis. The reader recreates the group.
 */
export function isNoGroup(err: unknown): boolean {
  return err instanceof Error && /\bNOGROUP\b/.test(err.message);
}
