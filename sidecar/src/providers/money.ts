import { AppError } from '../errors';

/**
 * Amounts cross the API as decimal strings with a currency (`"5.00" USD`); each provider wants
 * its own form. Pure and exact: strings and BigInt, never floats (`0.1 + 0.2`), so a refund of
 * "19.99" is 1999 minor units on every machine.
 *
 * Facts (REFERENCE.md §6.2, https://docs.stripe.com/currencies):
 * - ISO 4217 exponents: most currencies 2; zero-decimal ones 0; BHD JOD KWD OMR TND 3.
 * - Stripe's zero-decimal list (16, UGX included) and three-decimal list; three-decimal amounts
 *   must end in 0 (Stripe's partners settle in tens). ISK is two-decimal in the API but whole
 *   krónur only (multiples of 100). HUF and TWD charge two-decimal amounts (only payouts are
 *   whole units), so they are plain two-decimal here.
 * - PayPal sends decimal strings; HUF, JPY and TWD take no decimals there.
 * - Razorpay takes minor units by ISO exponent; three-decimal amounts end in 0 as with Stripe.
 */

export type MoneyErrorCode = 'invalid_amount' | 'too_precise' | 'unsupported_currency';

/** Zero-decimal currencies (ISO 4217 exponent 0), as Stripe lists them. */
const ZERO_DECIMAL = new Set(['BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF', 'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF']);
const THREE_DECIMAL = new Set(['BHD', 'JOD', 'KWD', 'OMR', 'TND']);

export interface CurrencyRule {
  /** Digits after the point the API's integer stands for (USD 2: 500 = 5.00). */
  exponent: number;
  /** Fraction digits a caller may give (ISK at Stripe: 0, though its exponent is 2). */
  precision: number;
  /** The integer must be a multiple of this (three-decimal currencies: 10). */
  step: number;
}

export type MoneyFlavour = 'stripe' | 'paypal' | 'razorpay';

const CURRENCY_RE = /^[A-Za-z]{3}$/;

export function currencyRule(currency: string, flavour: MoneyFlavour): CurrencyRule {
  if (!CURRENCY_RE.test(currency)) throw moneyError('unsupported_currency', `${currency} is not a three-letter ISO 4217 code`);
  const c = currency.toUpperCase();
  if (ZERO_DECIMAL.has(c)) return { exponent: 0, precision: 0, step: 1 };
  if (THREE_DECIMAL.has(c)) {
    if (flavour === 'paypal') throw moneyError('unsupported_currency', `PayPal does not take ${c}`);
    return { exponent: 3, precision: 3, step: 10 };
  }
  if (flavour === 'stripe' && c === 'ISK') return { exponent: 2, precision: 0, step: 100 };
  if (flavour === 'paypal' && (c === 'HUF' || c === 'TWD')) return { exponent: 0, precision: 0, step: 1 };
  return { exponent: 2, precision: 2, step: 1 };
}

function moneyError(code: MoneyErrorCode, message: string): AppError {
  return new AppError('invalid_request', message, [{ path: 'params.amount', code, message }]);
}

const DECIMAL_RE = /^(\d{1,15})(?:\.(\d{1,6}))?$/;

/**
 * A positive decimal string in the provider's integer minor units: JPY "500" → 500,
 * USD "5.00" → 500, KWD "5.000" → 5000, Stripe ISK "5" → 500. Trailing zeros past the
 * currency's precision are fine ("500.00" JPY); any other extra digit is refused, never rounded.
 */
export function toMinor(amount: string, currency: string, flavour: MoneyFlavour): number {
  const m = DECIMAL_RE.exec(amount.trim());
  if (!m) throw moneyError('invalid_amount', `amount ${JSON.stringify(amount)} is not a decimal such as 5.00`);
  const rule = currencyRule(currency, flavour);
  const fraction = (m[2] ?? '').replace(/0+$/, '');
  if (fraction.length > rule.precision) {
    throw moneyError('too_precise', `${currency.toUpperCase()} amounts take ${rule.precision === 0 ? 'no decimals' : `at most ${rule.precision} decimals`} here: ${amount}`);
  }
  const minor = BigInt(m[1]!) * 10n ** BigInt(rule.exponent) + BigInt(fraction.padEnd(rule.exponent, '0') || '0');
  if (minor === 0n) throw moneyError('invalid_amount', 'amount must be more than zero');
  if (minor % BigInt(rule.step) !== 0n) {
    throw moneyError('too_precise', `${currency.toUpperCase()} amounts must be a multiple of ${formatMinor(rule.step, currency, flavour)} here: ${amount}`);
  }
  if (minor > BigInt(Number.MAX_SAFE_INTEGER)) throw moneyError('invalid_amount', 'amount is too large');
  return Number(minor);
}

/** Integer minor units back to a decimal string with the currency's exponent: 500 USD → "5.00". */
export function formatMinor(minor: number, currency: string, flavour: MoneyFlavour): string {
  const { exponent } = currencyRule(currency, flavour);
  const digits = BigInt(minor).toString().padStart(exponent + 1, '0');
  return exponent === 0 ? digits : `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}

/** A decimal string as PayPal wants it: the currency's decimals exactly ("5" USD → "5.00"). */
export function toPayPalValue(amount: string, currency: string): string {
  return formatMinor(toMinor(amount, currency, 'paypal'), currency, 'paypal');
}
