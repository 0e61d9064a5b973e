import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Change } from '../../../../functions/core/change.js';
import { decodeChange } from '../../../../functions/core/envelope/decode-change.js';
import { PoisonError } from '../../../../functions/core/errors.js';
import { DEFAULT_DECODE_LIMITS } from '../../../../functions/core/limits.js';
import type { KafkaRecord } from '../../../../functions/core/record.js';
import { envelope } from '../support/msk.js';

const SEED = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31));
console.info(`native key properties: FC_SEED=${SEED}`);

function record(kafkaKey: string, value: object): KafkaRecord {
  const raw = { topic: 'customers', partition: 0, offset: 3, timestamp: 1, timestampType: 'X' };
  return {
    ...raw,
    key: Buffer.from(kafkaKey),
    value: Buffer.from(JSON.stringify(value)),
    headers: [],
    raw,
  };
}

const attempt = (r: KafkaRecord): Change | PoisonError => {
  try {
    return decodeChange(r, { versioning: 'source' }, DEFAULT_DECODE_LIMITS);
  } catch (err) {
    if (err instanceof PoisonError) return err;
    throw err;
  }
};

const piece = fc.constantFrom('customer', 'c', ':', '42', '4', '2', 'customer:', ':42', 'ë', '');
const entity = fc.constantFrom('customer', 'c', 'customer.v2', 'a-b');
const key = fc.oneof(fc.constantFrom('42', ':42', '42:', 'c:42', 'ë'), fc.string({ minLength: 1 }));

describe('native envelope: the Kafka key check', () => {
  it('accepts exactly `<entity>:<key>` or the bare key, and rejects anything else as key-mismatch', () => {
    fc.assert(
      fc.property(
        entity,
        key,
        fc.oneof(
          fc.array(piece, { maxLength: 4 }).map((p) => p.join('')),
          fc.tuple(entity, key).map(([e, k]) => `${e}:${k}`),
          // the right length with another separator, or the right parts around a longer one
          fc
            .tuple(entity, key, fc.constantFrom(':', '.', '#', '::', ''))
            .map(([e, k, sep]) => `${e}${sep}${k}`),
          fc.string(),
        ),
        (e, k, kafkaKey) => {
          // the key of a tracked record is decoded from UTF-8: lone surrogates do not survive
          const text = Buffer.from(kafkaKey).toString('utf8');
          const result = attempt(record(text, envelope({ entity: e, key: k })));
          if (text === `${e}:${k}` || text === k) {
            expect(result).not.toBeInstanceOf(PoisonError);
            expect((result as Change).key).toBe(k);
          } else {
            expect(result).toBeInstanceOf(PoisonError);
            expect((result as PoisonError).reason).toBe('key-mismatch');
            // the message quotes the Kafka key as decoded (a leading BOM dropped)
            const decoded = new TextDecoder().decode(Buffer.from(text));
            expect((result as PoisonError).message).toBe(
              `key: ${JSON.stringify(k)} (entity ${JSON.stringify(e)}) does not match the Kafka key ${JSON.stringify(decoded)}`,
            );
          }
        },
      ),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it('gives a delete no data field at all, and an upsert its data', () => {
    const del = attempt(record('customer:42', envelope({ op: 'delete', data: { x: 1 } })));
    expect(Object.keys(del)).not.toContain('data');
    const up = attempt(record('customer:42', envelope()));
    expect(Object.keys(up)).toEqual([
      'eventId',
      'entity',
      'key',
      'op',
      'guard',
      'sourceVersion',
      'ts',
      'data',
      'coords',
      'tombstone',
    ]);
  });
});
