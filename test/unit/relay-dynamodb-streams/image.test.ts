import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  fromAttribute,
  fromImage,
  fromNumber,
  ImageError,
} from '../../../functions/relay-dynamodb-streams/image.js';

describe('DynamoDB JSON images become plain JSON', () => {
  it('maps every attribute type as documented', () => {
    const image = fromImage({
      s: { S: 'Ada' },
      n: { N: '42' },
      decimal: { N: '10.25' },
      big: { N: '123456789012345678901234567890' },
      b: { B: 'AAEC' },
      yes: { BOOL: true },
      none: { NULL: true },
      map: { M: { inner: { S: 'x' }, count: { N: '1' } } },
      list: { L: [{ S: 'a' }, { N: '2' }, { NULL: true }] },
      ss: { SS: ['a', 'b'] },
      ns: { NS: ['1', '99999999999999999999'] },
      bs: { BS: ['AA==', 'AQ=='] },
    });

    expect(image).toEqual({
      s: 'Ada',
      n: 42,
      decimal: 10.25,
      big: '123456789012345678901234567890',
      b: 'AAEC',
      yes: true,
      none: null,
      map: { inner: 'x', count: 1 },
      list: ['a', 2, null],
      ss: ['a', 'b'],
      ns: [1, '99999999999999999999'],
      bs: ['AA==', 'AQ=='],
    });
  });

  it('keeps an integer as a number exactly when it is a safe integer, else as its decimal text', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 38n), max: 10n ** 38n }), (n) => {
        const out = fromNumber(n.toString(), 'n');
        const safe = n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER);
        expect(out).toEqual(safe ? Number(n) : n.toString());
      }),
      { seed: Number(process.env.FC_SEED ?? 13), numRuns: 500 },
    );
  });

  it('keeps a decimal as a number only when the number prints back to the same value', () => {
    expect(fromNumber('0.1', 'n')).toBe(0.1);
    expect(fromNumber('1.50', 'n')).toBe(1.5);
    expect(fromNumber('1e3', 'n')).toBe(1000);
    // 17+ significant digits do not survive a double: exact text instead
    expect(fromNumber('0.12345678901234567890123', 'n')).toBe('0.12345678901234567890123');
    expect(fromNumber('9007199254740993', 'n')).toBe('9007199254740993');
    expect(fromNumber('-0.000000000000000000000000000000000001', 'n')).toBe(-1e-36);
  });

  it('names the path of an attribute value it cannot read', () => {
    expect(() => fromImage({ a: { M: { b: { X: '1' } } } }, 'NewImage')).toThrow(
      new ImageError('NewImage.a.b', 'has an unknown type tag "X"'),
    );
    expect(() => fromAttribute({ S: 'x', N: '1' }, 'p')).toThrow(/exactly one type tag/);
    expect(() => fromAttribute({ N: 'abc' }, 'p')).toThrow(/is not a number/);
    expect(() => fromImage('nope')).toThrow(/must be a map of attributes/);
  });
});
