import { describe, expect, it } from 'vitest';
import { parseForm } from '../../../test/providers/base';
import { encodeForm } from './form';

describe('encodeForm (Stripe bodies)', () => {
  it('nests objects and arrays in brackets, keeps key order and skips undefined', () => {
    const body = encodeForm({
      amount: 500,
      currency: 'usd',
      confirm: true,
      description: undefined,
      metadata: { order: 'SO-1', 'note & more': 'a=b c' },
      line_items: [{ price_data: { unit_amount: 150 }, quantity: 2 }],
      customer: null,
    });
    expect(body).toBe(
      'amount=500&currency=usd&confirm=true&metadata[order]=SO-1&metadata[note%20%26%20more]=a%3Db%20c&line_items[0][price_data][unit_amount]=150&line_items[0][quantity]=2&customer=',
    );
  });

  it('reads back as the same structure the way a form parser nests it', () => {
    const params = { a: '1', b: { c: ['x', 'y'], d: { e: 'ü/€' } } };
    expect(parseForm(encodeForm(params))).toEqual(params);
  });
});
