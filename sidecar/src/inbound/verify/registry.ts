import { z } from 'zod';
import { github } from './github';
import { hmacSha256Provider } from './hmac-sha256';
import { mailgun } from './mailgun';
import { paypal } from './paypal';
import { razorpay } from './razorpay';
import { sendgrid } from './sendgrid';
import { ses } from './ses';
import { shopify } from './shopify';
import { standard } from './standard';
import { stripe } from './stripe';
import { twilio } from './twilio';
import type { Provider, Verify, VerifyDeps } from './types';

/** Every provider the sidecar verifies, by the name used in `PUT /v1/inbound-endpoints`. */
const PROVIDERS = [stripe, github, razorpay, paypal, shopify, sendgrid, mailgun, ses, standard, hmacSha256Provider, twilio] as const;

const byName = new Map<string, Provider>(PROVIDERS.map((p) => [p.name, p as unknown as Provider]));

/** The PUT body: one strict schema per provider, chosen by `provider`. */
export const EndpointConfigSchema = z.discriminatedUnion('provider', [
  stripe.schema,
  github.schema,
  razorpay.schema,
  paypal.schema,
  shopify.schema,
  sendgrid.schema,
  mailgun.schema,
  ses.schema,
  standard.schema,
  hmacSha256Provider.schema,
  twilio.schema,
]);

export type EndpointConfig = z.infer<typeof EndpointConfigSchema>;
export type ProviderName = EndpointConfig['provider'];

function provider(name: string): Provider {
  const p = byName.get(name);
  if (!p) throw new Error(`unknown inbound provider ${name}`);
  return p;
}

/** A stored config ready for requests: its verify function and accepted content types. */
export interface CompiledEndpoint {
  provider: ProviderName;
  contentTypes: readonly string[] | null;
  verify: Verify;
}

export function compileEndpoint(config: EndpointConfig, deps: VerifyDeps): CompiledEndpoint {
  const p = provider(config.provider);
  return { provider: config.provider, contentTypes: p.contentTypes, verify: p.compile(config, deps) };
}
