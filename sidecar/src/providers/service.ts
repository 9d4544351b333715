import { createHmac } from 'node:crypto';
import { AppError, notFound } from '../errors';
import type { Auth } from '../connections/schemas';
import type { ProxyService } from '../connections/proxy';
import type { ConnectionStore } from '../connections/store';
import { parseInput } from '../http/validate';
import { ProviderUnsetError } from './errors';
import type { ProviderRegistry } from './registry';
import type { CallBody } from './schemas';
import type { CallContext, Provider } from './types';

export interface CallAnswer {
  provider: string;
  operation: string;
  result: unknown;
}

/** `POST /v1/connections/{id}/call`: one named operation of the connection's provider. */
export class OperationService {
  constructor(
    private readonly registry: ProviderRegistry,
    private readonly store: ConnectionStore,
    private readonly proxy: ProxyService,
  ) {}

  async call(id: string, body: CallBody): Promise<CallAnswer> {
    const { provider, ctx } = await this.open(id, body.idempotency_key);
    const op = Object.hasOwn(provider.operations, body.operation) ? provider.operations[body.operation] : undefined;
    if (!op) throw notFound(`Operation ${body.operation} of ${provider.name}`);
    const params = parseInput(op.params, body.params, 'params');
    return { provider: provider.name, operation: body.operation, result: await op.run(ctx, params) };
  }

  /** The connection's provider and a context whose requests go through the connection's proxy. */
  async open(id: string, idempotencyKey?: string): Promise<{ provider: Provider; ctx: CallContext }> {
    const rt = this.store.cached(id) ?? (await this.store.load(id));
    const provider = this.registry.get(rt.config.provider);
    if (!provider) throw new ProviderUnsetError(id);
    const ctx: CallContext = {
      connectionId: id,
      sandbox: rt.config.sandbox,
      idempotencyKey,
      request: (req) => this.proxy.call(id, req),
      hmacWithSecret: (message) => createHmac('sha256', apiSecret(id, rt.auth)).update(message).digest('hex'),
      raw: (req) => this.proxy.raw(id, req),
      stream: (req) => this.proxy.stream(id, req),
      target: async () => {
        const now = this.store.cached(id) ?? (await this.store.load(id));
        return { origin: now.origin, basePath: now.basePath, auth: now.auth };
      },
    };
    return { provider, ctx };
  }
}

/** The secret a provider's own signatures are keyed with: what the connection authenticates with. */
function apiSecret(id: string, auth: Auth): string {
  if (auth.type === 'basic') return auth.password;
  if (auth.type === 'bearer') return auth.token;
  if (auth.type === 'api_key') return auth.value;
  throw new AppError('invalid_request', `Connection ${id} authenticates with ${auth.type}: it holds no API secret to sign with.`);
}
