/** Reconnection policy. Every field is optional; the defaults suit a dashboard or a worker. */
export interface BackoffOptions {
  /** Delay before the first retry. @defaultValue 500 */
  initialMs?: number;
  /** Longest delay. @defaultValue 30000 */
  maxMs?: number;
  /** Growth per failed attempt. @defaultValue 2 */
  factor?: number;
  /**
   * Share of each delay that is random (0 = none, 1 = "full jitter"), so clients dropped
   * together (a sidecar restart) do not come back together. @defaultValue 0.5
   */
  jitter?: number;
}

/** When to stop trying. Refusals (401 token, 403 origin, 404) stop at once whatever this says. */
export interface GiveUpOptions {
  /** Consecutive attempts that fail to connect. @defaultValue Infinity */
  maxAttempts?: number;
  /** Time spent disconnected, from the first failure. @defaultValue Infinity */
  maxDisconnectedMs?: number;
}

/**
 * The delay before attempt `n` (1 = the first retry): exponential, capped, jittered downwards.
 * `random` is injectable so the policy is a pure function in tests.
 */
export function backoffDelay(n: number, o: BackoffOptions = {}, random: () => number = Math.random): number {
  const initial = o.initialMs ?? 500;
  const max = o.maxMs ?? 30_000;
  const jitter = Math.min(1, Math.max(0, o.jitter ?? 0.5));
  const base = Math.min(max, initial * (o.factor ?? 2) ** Math.max(0, n - 1));
  return Math.round(base * (1 - jitter * random()));
}
