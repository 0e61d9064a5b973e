import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StaysyncError } from '../../../functions/core/errors.js';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from '../../../functions/core/limits.js';
import { type DecodedPartition, decodeMskEvent } from '../../../functions/core/msk-decode.js';
import { referenceDecodeMskEvent } from './support/msk-decode-reference.js';

const SEED = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31));
console.info(`msk-decode properties: FC_SEED=${SEED}`);

/** What a caller can observe of a decode: every field, poison errors by their fields. */
const observe = (run: () => DecodedPartition[]) => {
  try {
    return {
      partitions: run().map((p) => ({
        ...p,
        records: p.records.map((d) => ({
          record: d.record,
          poison:
            d.poison === undefined
              ? undefined
              : {
                  class: d.poison.constructor.name,
                  name: d.poison.name,
                  reason: d.poison.reason,
                  message: d.poison.message,
                  context: d.poison.context,
                  retriable: d.poison.retriable,
                },
        })),
      })),
    };
  } catch (err) {
    if (!(err instanceof StaysyncError)) throw err;
    return { thrown: { class: err.constructor.name, message: err.message } };
  }
};

const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((b) => Buffer.from(b));
const base64ish = fc.oneof(
  { weight: 6, arbitrary: bytes(48).map((b) => b.toString('base64')) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: bytes(12).map((b) => `${b.toString('base64')}Ł`) },
  { weight: 1, arbitrary: fc.constantFrom(null, undefined, 42, ['QQ=='], {}) },
);
const headers = fc.oneof(
  fc.constantFrom(undefined, null, []),
  fc.array(
    fc.dictionary(
      fc.string({ maxLength: 4 }),
      fc.array(fc.integer({ min: -200, max: 300 }), { maxLength: 4 }),
      { maxKeys: 2 },
    ),
    { maxLength: 2 },
  ),
  fc.array(fc.anything({ maxDepth: 1 }), { maxLength: 2 }),
  fc.anything({ maxDepth: 1 }),
);
const timestamp = fc.oneof(
  { weight: 6, arbitrary: fc.nat() },
  { weight: 1, arbitrary: fc.constantFrom(1.5, Number.NaN, -1, 2 ** 60, '17', null, undefined) },
);

/** A record of group `<topic>-<partition>`, now and then with defective coordinates. */
const record = (topic: string, partition: number) =>
  fc.record({
    topic: fc.oneof({ weight: 30, arbitrary: fc.constant(topic) }, fc.constant('other')),
    partition: fc.oneof(
      { weight: 30, arbitrary: fc.constant(partition) },
      fc.constant(partition + 1),
    ),
    // a small range: duplicates and out-of-order offsets are common
    offset: fc.oneof(
      { weight: 30, arbitrary: fc.nat({ max: 12 }) },
      fc.constantFrom(-1, 1.5, '3', null),
    ),
    timestamp,
    timestampType: fc.oneof(
      { weight: 5, arbitrary: fc.constant('CREATE_TIME') },
      fc.constantFrom(undefined, 7),
    ),
    key: base64ish,
    value: base64ish,
    headers,
  });

const group = fc
  .tuple(fc.constantFrom('customers', 'db-1.public.orders', 'a-b-c'), fc.nat({ max: 3 }))
  .chain(([topic, partition]) =>
    fc.tuple(
      fc.constant(`${topic}-${partition}`),
      fc.oneof(
        // ascending offsets, the shape Lambda delivers
        fc
          .uniqueArray(fc.nat({ max: 40 }), { maxLength: 8 })
          .chain((offsets) =>
            fc.tuple(
              ...offsets
                .sort((a, b) => a - b)
                .map((offset) => record(topic, partition).map((r) => ({ ...r, offset }))),
            ),
          ),
        fc.array(record(topic, partition), { maxLength: 8 }),
      ),
    ),
  );

const event = fc.record({
  eventSource: fc.oneof(
    { weight: 20, arbitrary: fc.constantFrom('aws:kafka', 'SelfManagedKafka') },
    fc.constantFrom('aws:sqs', undefined),
  ),
  records: fc.oneof(
    { weight: 20, arbitrary: fc.array(group, { maxLength: 3 }).map((g) => Object.fromEntries(g)) },
    fc.constantFrom({ 'bad group': [] }, { 't-0': {} }, [], null),
  ),
});

const SMALL: DecodeLimits = { ...DEFAULT_DECODE_LIMITS, maxKeyBytes: 8, maxValueBytes: 32 };

describe('decodeMskEvent against the reference decoder', () => {
  it('gives the same partitions, records, bytes, poison and exceptions for any event', () => {
    fc.assert(
      fc.property(event, fc.constantFrom(DEFAULT_DECODE_LIMITS, SMALL), (e, limits) => {
        expect(observe(() => decodeMskEvent(e, limits))).toEqual(
          observe(() => referenceDecodeMskEvent(e, limits)),
        );
      }),
      { seed: SEED, numRuns: 1500 },
    );
  });

  it('skips the holes of a sparse record array as the reference does', () => {
    const rec = { topic: 't', partition: 0, offset: 1, timestamp: 1, timestampType: 'X' };
    const sparse: unknown[] = [];
    sparse[2] = rec;
    const e = { eventSource: 'aws:kafka', records: { 't-0': sparse } };
    expect(observe(() => decodeMskEvent(e, DEFAULT_DECODE_LIMITS))).toEqual(
      observe(() => referenceDecodeMskEvent(e, DEFAULT_DECODE_LIMITS)),
    );
  });
});
