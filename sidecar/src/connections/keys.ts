/** Every Redis key of the connections domain, under `<prefix>:cn:` (documented in sidecar/README.md). */
export class ConnectionKeys {
  readonly base: string;
  constructor(prefix: string) {
    this.base = `${prefix}:cn`;
  }
  /** Hash: `cfg` (public JSON), `sec` (sealed credentials), `tok` (sealed tokens), `ver`, `status`… */
  conn(id: string) {
    return `${this.base}:conn:${id}`;
  }
  /** Hash: circuit breaker `state`, `fails`, `opened`, `probe`. */
  breaker(id: string) {
    return `${this.base}:br:${id}`;
  }
  /** String: GCRA theoretical arrival time (ms). */
  rate(id: string) {
    return `${this.base}:rate:${id}`;
  }
  /** String: the refresh lock (value = the holder's random token). */
  lock(id: string) {
    return `${this.base}:lock:${id}`;
  }
  /** String (sealed, TTL): a pending authorization-code flow. */
  state(state: string) {
    return `${this.base}:state:${state}`;
  }
  /** Hash (TTL): one minute of a connection's call stats, summed over processes (recorder.ts). */
  stats(id: string, minute: number) {
    return `${this.base}:stats:${id}:${minute}`;
  }
  /** Zset: refreshable connections by access-token expiry (ms), for the proactive refresher. */
  get expiry() {
    return `${this.base}:expiry`;
  }
  /** Pub/sub channel: a connection id, published whenever what the admit script reads changes. */
  get events() {
    return `${this.base}:events`;
  }
  connKeys(id: string): string[] {
    return [this.conn(id), this.breaker(id), this.rate(id), this.lock(id)];
  }
}
