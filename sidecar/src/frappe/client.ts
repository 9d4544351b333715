import { z } from 'zod';

export class FrappeError extends Error {
  override name = 'FrappeError';
  constructor(
    message: string,
    /** False when sending the same call again cannot help (4xx other than 408/429). */
    readonly retryable: boolean,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface FrappeClientOptions {
  url: string;
  apiKey: string;
  apiSecret: string;
  /** Injectable for tests. @defaultValue globalThis.fetch */
  fetch?: typeof fetch;
  /** Per-call timeout. @defaultValue 15000 */
  timeoutMs?: number;
}

const Reply = z.object({ message: z.unknown() });

/** Calls the site's whitelisted methods (`/api/method/<dotted.path>`) with token auth. */
export class FrappeClient {
  private readonly fetchImpl: typeof fetch;
  private readonly auth: string;
  constructor(private readonly opts: FrappeClientOptions) {
    this.fetchImpl = opts.fetch ?? fetch;
    this.auth = `token ${opts.apiKey}:${opts.apiSecret}`;
  }

  /** `timeoutMs` overrides the client's for one call (a batch of saves takes longer than a read). */
  async call<T = unknown>(method: string, body: unknown, opts: { timeoutMs?: number } = {}): Promise<T> {
    let res: Response;
    try {
      res = await this.fetchImpl(`${this.opts.url}/api/method/${method}`, {
        method: 'POST',
        headers: { authorization: this.auth, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(opts.timeoutMs ?? this.opts.timeoutMs ?? 15_000),
        redirect: 'manual',
      });
    } catch (err) {
      throw new FrappeError(`Frappe unreachable (${method}): ${(err as Error).message}`, true);
    }
    const text = await res.text();
    if (!res.ok) {
      const retryable = res.status >= 500 || res.status === 408 || res.status === 429 || res.status === 0;
      throw new FrappeError(`Frappe answered ${res.status} to ${method}: ${text.slice(0, 300)}`, retryable, res.status);
    }
    const parsed = Reply.safeParse(JSON.parse(text || '{}'));
    if (!parsed.success) throw new FrappeError(`Frappe sent an unexpected reply to ${method}`, true, res.status);
    return parsed.data.message as T;
  }
}
