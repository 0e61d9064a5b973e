import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ArchiveLineError,
  fromArchiveLine,
  parseArchiveLine,
  toArchiveLine,
  toMskEventRecord,
} from '../../../../functions/core/archive/line.js';
import type { KafkaRecord } from '../../../../functions/core/record.js';

const record = (over: Partial<KafkaRecord> = {}): KafkaRecord => ({
  topic: 'orders',
  partition: 2,
  offset: 41,
  timestamp: 1_795_600_000_000,
  timestampType: 'CREATE_TIME',
  key: Buffer.from('customer:42'),
  value: Buffer.from('{"id":"e1","entity":"customer","key":"42","op":"upsert","version":1}'),
  headers: [],
  raw: { topic: 'orders', partition: 2, offset: 41, timestamp: 0, timestampType: 'CREATE_TIME' },
  ...over,
});

const roundTrip = (r: KafkaRecord) => parseArchiveLine(JSON.stringify(toArchiveLine(r)));

describe('archive lines', () => {
  it('keep coordinates, timestamp, UTF-8 key, headers and the JSON value as JSON', () => {
    const line = toArchiveLine(
      record({
        headers: [
          { key: 'trace', value: Buffer.from('abc') },
          { key: 'trace', value: Buffer.from('ë') },
        ],
      }),
    );
    expect(line).toEqual({
      topic: 'orders',
      partition: 2,
      offset: 41,
      timestamp: 1_795_600_000_000,
      timestampType: 'CREATE_TIME',
      key: 'customer:42',
      headers: [
        { key: 'trace', value: 'abc' },
        { key: 'trace', value: 'ë' },
      ],
      value: { id: 'e1', entity: 'customer', key: '42', op: 'upsert', version: 1 },
    });
  });

  it('archive a tombstone with value null and no encoding flag', () => {
    const line = toArchiveLine(record({ value: null }));
    expect(line.value).toBeNull();
    expect(line.valueEncoding).toBeUndefined();
    expect(roundTrip(record({ value: null })).value).toBeNull();
  });

  it('flag keys, header values and values that are not UTF-8 as base64', () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0xc3]);
    const line = toArchiveLine(
      record({ key: bytes, value: bytes, headers: [{ key: 'bin', value: bytes }] }),
    );
    expect(line).toMatchObject({
      key: bytes.toString('base64'),
      keyEncoding: 'base64',
      headers: [{ key: 'bin', value: bytes.toString('base64'), valueEncoding: 'base64' }],
      value: bytes.toString('base64'),
      valueEncoding: 'base64',
    });
  });

  it('store JSON that would not re-serialize byte for byte as base64, so replay is exact', () => {
    for (const text of [
      '{ "a": 1 }',
      '{"n":1.0}',
      '{"big":12345678901234567890}',
      '{"b":1,"1":2}',
      'null',
      ' 1',
    ]) {
      const line = toArchiveLine(record({ value: Buffer.from(text) }));
      expect(line.valueEncoding, text).toBe('base64');
      expect(roundTrip(record({ value: Buffer.from(text) })).value?.toString()).toBe(text);
    }
  });

  it('store plain UTF-8 text that is not JSON as base64', () => {
    expect(toArchiveLine(record({ value: Buffer.from('hello') })).valueEncoding).toBe('base64');
  });

  it('restore every record byte for byte, whatever its key, headers and value', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
      fc.string({ unit: 'binary' }).map((s) => Buffer.from(s, 'utf8')),
      fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null', 'utf8')),
      fc.constant(Buffer.from('\ufeff{"a":1}', 'utf8')),
    );
    fc.assert(
      fc.property(
        fc.option(bytes, { nil: null }),
        fc.option(bytes, { nil: null }),
        fc.array(fc.tuple(fc.string(), bytes), { maxLength: 4 }),
        fc.integer({ min: -1, max: 2 ** 45 }),
        (key, value, headers, timestamp) => {
          const r = record({
            key,
            value,
            timestamp,
            headers: headers.map(([k, v]) => ({ key: k, value: v })),
          });
          const back = roundTrip(r);
          expect(back.key === null ? null : [...back.key]).toEqual(key === null ? null : [...key]);
          expect(back.value === null ? null : [...back.value]).toEqual(
            value === null ? null : [...value],
          );
          expect(back.headers.map((h) => [h.key, [...h.value]])).toEqual(
            headers.map(([k, v]) => [k, [...v]]),
          );
          expect(back.timestamp).toBe(timestamp);
        },
      ),
    );
  });

  it('convert back to the MSK record Lambda delivered (base64, Java signed header bytes)', () => {
    const r = record({ key: null, headers: [{ key: 'h', value: Buffer.from('ë') }] });
    expect(toMskEventRecord(roundTrip(r))).toEqual({
      topic: 'orders',
      partition: 2,
      offset: 41,
      timestamp: 1_795_600_000_000,
      timestampType: 'CREATE_TIME',
      value: (r.value as Buffer).toString('base64'),
      headers: [{ h: [-61, -85] }],
    });
  });

  it('reject lines that are not archive lines with a clear error', () => {
    expect(() => parseArchiveLine('not json')).toThrow(ArchiveLineError);
    expect(() => fromArchiveLine({ topic: 't', partition: -1 })).toThrow(/partition/);
    expect(() => fromArchiveLine({ ...toArchiveLine(record()), valueEncoding: 'hex' })).toThrow(
      /valueEncoding/,
    );
    expect(() =>
      fromArchiveLine({ ...toArchiveLine(record()), headers: [{ value: 'x' }] }),
    ).toThrow(/headers\[0\]/);
  });
});
