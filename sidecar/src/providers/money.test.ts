import { describe, expect, it } from 'vitest';
import { formatMinor, toMinor, toPayPalValue } from './money';

const refusal = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return { code: (e as { code?: string }).code, reason: ((e as { details?: Array<{ code: string }> }).details ?? [])[0]?.code };
  }
  return null;
};

describe('toMinor', () => {
  it('converts the issue\'s examples for 0-, 2- and 3-decimal currencies', () => {
    expect(toMinor('500', 'JPY', 'stripe')).toBe(500);
    expect(toMinor('5.00', 'USD', 'stripe')).toBe(500);
    expect(toMinor('5.000', 'KWD', 'stripe')).toBe(5000);
    expect(toMinor('5', 'usd', 'stripe')).toBe(500);
    expect(toMinor('19.99', 'EUR', 'stripe')).toBe(1999);
    expect(toMinor('0.29', 'USD', 'razorpay')).toBe(29); // 0.29 * 100 is 28.999999999999996 in floats
    expect(toMinor('1.2', 'BHD', 'razorpay')).toBe(1200);
  });

  it('knows every zero-decimal currency Stripe lists, UGX included', () => {
    for (const c of ['BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF', 'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF']) {
      expect(toMinor('1200', c, 'stripe')).toBe(1200);
      expect(refusal(() => toMinor('1200.5', c, 'stripe'))?.reason).toBe('too_precise');
    }
    expect(toMinor('500.00', 'JPY', 'stripe')).toBe(500); // trailing zeros say nothing more
  });

  it("follows Stripe's special cases: ISK whole krónur as two-decimal, HUF and TWD two-decimal charges", () => {
    expect(toMinor('5', 'ISK', 'stripe')).toBe(500);
    expect(toMinor('5.00', 'ISK', 'stripe')).toBe(500);
    expect(refusal(() => toMinor('5.50', 'ISK', 'stripe'))?.reason).toBe('too_precise');
    expect(toMinor('5.25', 'HUF', 'stripe')).toBe(525);
    expect(toMinor('5.25', 'TWD', 'stripe')).toBe(525);
  });

  it('refuses three-decimal amounts whose last digit is not 0, rather than rounding', () => {
    expect(toMinor('5.120', 'KWD', 'stripe')).toBe(5120);
    expect(refusal(() => toMinor('5.124', 'KWD', 'stripe'))?.reason).toBe('too_precise');
    expect(refusal(() => toMinor('5.124', 'OMR', 'razorpay'))?.reason).toBe('too_precise');
  });

  it('refuses malformed, zero, negative, over-precise amounts and bad currencies as invalid_request', () => {
    for (const bad of ['', '5.', '.5', '-5', '1e3', '5,00', ' ', '0', '0.00', 'abc']) {
      expect(refusal(() => toMinor(bad, 'USD', 'stripe'))?.code, bad).toBe('invalid_request');
    }
    expect(refusal(() => toMinor('5.001', 'USD', 'stripe'))?.reason).toBe('too_precise');
    expect(refusal(() => toMinor('5', 'US', 'stripe'))?.reason).toBe('unsupported_currency');
    expect(refusal(() => toMinor('999999999999999', 'KWD', 'stripe'))?.reason).toBe('invalid_amount');
  });
});

describe('formatMinor and PayPal values', () => {
  it('formats minor units back with the currency\'s decimals', () => {
    expect(formatMinor(500, 'USD', 'stripe')).toBe('5.00');
    expect(formatMinor(5, 'USD', 'stripe')).toBe('0.05');
    expect(formatMinor(500, 'JPY', 'stripe')).toBe('500');
    expect(formatMinor(5000, 'KWD', 'razorpay')).toBe('5.000');
  });

  it("gives PayPal its decimals: none for JPY, HUF and TWD, two elsewhere, no three-decimal currencies", () => {
    expect(toPayPalValue('5', 'USD')).toBe('5.00');
    expect(toPayPalValue('500', 'JPY')).toBe('500');
    expect(toPayPalValue('1500', 'HUF')).toBe('1500');
    expect(refusal(() => toPayPalValue('15.50', 'TWD'))?.reason).toBe('too_precise');
    expect(refusal(() => toPayPalValue('5.000', 'KWD'))?.reason).toBe('unsupported_currency');
  });
});
