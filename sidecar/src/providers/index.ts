import { paypal } from './paypal/index';
import { razorpay } from './razorpay/index';
import { stripe } from './stripe/index';
import { amazonS3 } from './amazon_s3';
import { azureBlob } from './azure_blob';
import { gcs } from './gcs';
import { amazonSes } from './amazon_ses';
import { mailgun } from './mailgun';
import { sendgrid } from './sendgrid';
import { twilio } from './twilio';
import type { Provider } from './types';

/**
 * Every provider the sidecar offers. Each lives in its own folder (`providers/<name>/`) and is
 * listed here once; nothing else in the sidecar names a provider.
 */
export const ALL_PROVIDERS: readonly Provider[] = [
  stripe,
  paypal,
  razorpay,
  amazonS3,
  azureBlob,
  gcs,
  sendgrid,
  mailgun,
  amazonSes,
  twilio,
];
