import { paypal } from './paypal/index';
import { razorpay } from './razorpay/index';
import { stripe } from './stripe/index';
import type { Provider } from './types';

/**
 * Every provider the sidecar offers. Each lives in its own folder (`providers/<name>/`) and is
 * listed here once; nothing else in the sidecar names a provider.
 */
export const ALL_PROVIDERS: readonly Provider[] = [
  stripe,
  paypal,
  razorpay,
];
