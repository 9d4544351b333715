import type { Context, Module } from '../module';

/** Inbound provider webhooks: verify, dedup, forward. (Being built.) */
export function createInboundModule(_ctx: Context): Module {
  return { name: 'inbound' };
}
