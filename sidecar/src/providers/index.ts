import { amazonSes } from './amazon_ses';
import { mailgun } from './mailgun';
import { sendgrid } from './sendgrid';
import { twilio } from './twilio';
import type { Provider } from './types';

/**
 * Every provider the sidecar offers. Each lives in its own folder (`providers/<name>/`) and is
 * listed here once; nothing else in the sidecar names a provider.
 */
export const ALL_PROVIDERS: readonly Provider[] = [sendgrid, mailgun, amazonSes, twilio];
