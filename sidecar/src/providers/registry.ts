import { z } from 'zod';
import type { Provider } from './types';

/** The providers a sidecar offers, by name; the list itself is in `index.ts`. */
export class ProviderRegistry {
  private readonly byName = new Map<string, Provider>();

  constructor(providers: readonly Provider[]) {
    for (const p of providers) {
      if (this.byName.has(p.name)) throw new Error(`provider ${p.name} registered twice`);
      this.byName.set(p.name, p);
    }
  }

  get(name: string | null | undefined): Provider | undefined {
    return name ? this.byName.get(name) : undefined;
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  /** What `GET /v1/providers` answers: each provider's operations with their params as JSON Schema. */
  catalogue() {
    return [...this.byName.values()].map((p) => ({
      name: p.name,
      title: p.title,
      area: p.area,
      operations: Object.entries(p.operations).map(([name, op]) => ({
        name,
        summary: op.summary,
        params: z.toJSONSchema(op.params, { io: 'input', unrepresentable: 'any' }),
      })),
    }));
  }
}
