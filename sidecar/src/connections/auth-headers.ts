import { AppError } from '../errors';
import type { TokenManager } from '../oauth/tokens';
import { ConnectionDisabledError, ConnectionExpiredError, NotConnectedError } from './errors';
import { applyStaticAuth } from './outgoing';
import { usesTokens } from './schemas';
import type { ConnectionStore } from './store';

/** What a long-lived request to a connection's API carries: its default headers and credentials. */
export interface ConnectionAuth {
  headers: Record<string, string>;
  /** Query parameters to set (an API key sent in the query). */
  query: Array<[string, string]>;
}

/** `ws:` and `wss:` reach the same API as `http:` and `https:`. */
const httpOrigin = (u: URL) => {
  const scheme = u.protocol === 'ws:' ? 'http:' : u.protocol === 'wss:' ? 'https:' : u.protocol;
  return new URL(`${scheme}//${u.host}`).origin;
};

/**
 * A connection's auth for a request the proxy does not make (a stream connector's SSE or
 * WebSocket connection), injected the same way as on proxied calls. The credentials only go to
 * the connection's own origin: a URL elsewhere is refused, so a connector cannot carry an
 * account's secrets to another host.
 */
export class ConnectionAuthInjector {
  constructor(
    private readonly store: ConnectionStore,
    private readonly tokens: TokenManager,
  ) {}

  /** Throws an AppError when the URL is on another origin or the connection cannot be used. */
  checkOrigin(id: string, origin: string, url: URL): void {
    if (httpOrigin(url) !== origin) {
      throw new AppError('invalid_request', `The URL's origin ${httpOrigin(url)} is not connection ${id}'s (${origin}); its credentials are only sent there.`);
    }
  }

  async forUrl(id: string, url: URL): Promise<ConnectionAuth> {
    const rt = await this.store.load(id);
    this.checkOrigin(id, rt.origin, url);
    const { status, tokAt } = await this.store.state(id);
    if (status === 'disabled') throw new ConnectionDisabledError(id);
    if (status === 'not_connected') throw new NotConnectedError(id);
    if (status === 'expired') throw new ConnectionExpiredError(id, 'the provider no longer accepts its tokens');
    if (rt.auth.type === 'aws_sigv4' || rt.auth.type === 'azure_shared_key') throw new AppError('invalid_request', `Connection ${id} signs each request (${rt.auth.type}), which a stream connection cannot use.`);
    const headers: Record<string, string> = {};
    for (const k in rt.headers) headers[k.toLowerCase()] = rt.headers[k]!;
    const query = new URLSearchParams();
    applyStaticAuth(rt, headers, query);
    if (usesTokens(rt.auth)) {
      const t = await this.tokens.accessToken(rt, tokAt);
      headers.authorization = `${t.token_type} ${t.access_token}`;
    }
    return { headers, query: [...query] };
  }
}
