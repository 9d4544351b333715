import type { Context, Module } from '../module';

/** Outbound webhooks: endpoints, messages, the delivery workers. (Being built.) */
export function createDeliveryModule(_ctx: Context): Module {
  return { name: 'delivery' };
}
