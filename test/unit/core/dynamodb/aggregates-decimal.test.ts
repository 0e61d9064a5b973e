import { describe, expect, it } from 'vitest';
import {
  addDecimals,
  toDecimalString,
} from '../../../../functions/core/dynamodb/aggregates-decimal.js';

describe('decimal measures', () => {
  it('writes numbers without exponents, as DynamoDB numbers accept', () => {
    expect(toDecimalString(1e21)).toBe('1000000000000000000000');
    expect(toDecimalString(1e-7)).toBe('0.0000001');
    expect(toDecimalString('-12.500')).toBe('-12.5');
  });

  it('rejects what is not a finite number', () => {
    expect(toDecimalString(Number.NaN)).toBeNull();
    expect(toDecimalString(Number.POSITIVE_INFINITY)).toBeNull();
    expect(toDecimalString('12abc')).toBeNull();
    expect(toDecimalString(true)).toBeNull();
  });

  it('adds exactly where floating point would drift', () => {
    expect(addDecimals('0.1', '0.2')).toBe('0.3');
    expect(addDecimals('-0.1', '0.1')).toBe('0');
    expect(addDecimals('-5.25', '2')).toBe('-3.25');
    expect(addDecimals('9007199254740993', '1')).toBe('9007199254740994');
  });
});
