import { describe, expect, it } from 'vitest';
import { parseClaimRequest } from '../../../functions/core/claims/request.js';
import { PoisonError } from '../../../functions/core/errors.js';
import { DEFAULT_DECODE_LIMITS } from '../../../functions/core/limits.js';
import { decodeRecord } from '../../../functions/core/msk-decode.js';
import { mskRecord } from '../core/support/msk.js';

const valid = {
  type: 'claim',
  requestId: 'r1',
  namespace: 'username',
  value: 'alice',
  owner: 'u42',
  requestedAt: '2026-12-03T10:00:00Z',
};
const record = (key: string | null, value: object | string | null) =>
  decodeRecord(mskRecord({ topic: 'claims', offset: 7, key, value }), DEFAULT_DECODE_LIMITS).record;

const reasonOf = (key: string | null, value: object | string | null): string => {
  try {
    parseClaimRequest(record(key, value));
  } catch (err) {
    if (err instanceof PoisonError) return err.reason;
    throw err;
  }
  return 'valid';
};

describe('a claims record', () => {
  it('is a request when it is one for the value its key names', () => {
    expect(parseClaimRequest(record('username:alice', valid))).toEqual(valid);
  });

  it.each([
    ['no value', 'username:alice', null, 'missing-value'],
    ['not JSON', 'username:alice', '{"type":', 'invalid-json'],
    ['an array', 'username:alice', '[1]', 'not-an-object'],
    ['without an owner', 'username:alice', { ...valid, owner: undefined }, 'missing-field'],
    ['of an unknown type', 'username:alice', { ...valid, type: 'steal' }, 'invalid-field'],
    [
      'with a namespace holding a colon',
      'a:b:alice',
      { ...valid, namespace: 'a:b' },
      'invalid-field',
    ],
    ['keyed by another value', 'username:bob', valid, 'key-mismatch'],
    ['without a key', null, valid, 'key-mismatch'],
  ])('is poison when it has %s', (_what, key, value, reason) => {
    expect(reasonOf(key, value)).toBe(reason);
  });
});
