import { describe, expect, it } from 'vitest';
import { PoisonError } from '../../../functions/core/errors.js';
import { DEFAULT_DECODE_LIMITS } from '../../../functions/core/limits.js';
import { decodeRecord } from '../../../functions/core/msk-decode.js';
import { decideStep, parseTransferStep } from '../../../functions/core/transfers/step.js';
import { mskRecord } from '../core/support/msk.js';

const transfer = { type: 'transfer', requestId: 't1', from: 'a', to: 'b', amount: 30 };
const record = (key: string, value: object | string) =>
  decodeRecord(mskRecord({ topic: 'transfers', offset: 3, key, value }), DEFAULT_DECODE_LIMITS)
    .record;
const reasonOf = (key: string, value: object | string): string => {
  try {
    parseTransferStep(record(key, value));
  } catch (err) {
    if (err instanceof PoisonError) return err.reason;
    throw err;
  }
  return 'valid';
};

describe('a transfer step', () => {
  it('debits from and emits the credit when from holds the amount', () => {
    const step = parseTransferStep(record('account:a', transfer));
    expect(decideStep(30, step)).toEqual({
      outcome: 'applied',
      delta: -30,
      guard: { atLeast: 30 },
      emit: { type: 'credit', requestId: 't1', from: 'a', to: 'b', amount: 30 },
    });
  });

  it('is refused, with no credit to emit, when it would overdraw', () => {
    const step = parseTransferStep(record('account:a', transfer));
    expect(decideStep(29, step)).toEqual({
      outcome: 'refused',
      delta: 0,
      guard: { below: 30 },
      emit: null,
    });
  });

  it.each([
    ['not JSON', 'account:a', '{', 'invalid-json'],
    ['a fractional amount', 'account:a', { ...transfer, amount: 1.5 }, 'invalid-field'],
    ['a negative amount', 'account:a', { ...transfer, amount: -5 }, 'invalid-field'],
    ['the same account twice', 'account:a', { ...transfer, to: 'a' }, 'invalid-field'],
    ['a key that is not its debited account', 'account:b', transfer, 'key-mismatch'],
    [
      'a credit keyed by its debited account',
      'account:a',
      { ...transfer, type: 'credit' },
      'key-mismatch',
    ],
    ['no requestId', 'account:a', { ...transfer, requestId: undefined }, 'missing-field'],
  ])('is poison with %s', (_what, key, value, reason) => {
    expect(reasonOf(key, value)).toBe(reason);
  });
});
