import { describe, expect, it } from 'vitest';
import { decodeBase64Strict } from '../../../functions/core/base64.js';
import { InvalidEventError } from '../../../functions/core/errors.js';
import { DEFAULT_DECODE_LIMITS } from '../../../functions/core/limits.js';
import { decodeMskEvent } from '../../../functions/core/msk-decode.js';
import { loadMskFixture, mskEvent, mskRecord } from './support/msk.js';

const decode = (event: unknown) => decodeMskEvent(event, DEFAULT_DECODE_LIMITS);

describe('decodeMskEvent', () => {
  it('decodes the AWS documented MSK example event', () => {
    const [part] = decode(loadMskFixture('aws-msk-example.json'));
    expect(part?.id).toBe('mytopic-0');
    const record = part?.records[0];
    expect(record?.poison).toBeUndefined();
    expect(record?.record.value?.toString('utf8')).toBe('Hello, this is a test.');
    expect(record?.record.headers).toEqual([
      { key: 'headerKey', value: Buffer.from('headerValue') },
    ]);
    expect(record?.record.offset).toBe(15);
  });

  it('decodes the AWS documented self-managed Kafka example event', () => {
    const [part] = decode(loadMskFixture('self-managed-example.json'));
    expect(part?.topic).toBe('mytopic');
    expect(part?.records[0]?.record.value?.toString('utf8')).toBe('Hello, this is a test.');
  });

  it('sorts each partition by offset and turns a missing value into a tombstone', () => {
    const parts = decode(loadMskFixture('staysync-customers.json'));
    const p0 = parts.find((p) => p.id === 'customers-0');
    expect(p0?.records.map((r) => r.record.offset)).toEqual([100, 101, 102]);
    expect(p0?.records[2]?.record.value).toBeNull();
    expect(p0?.records[2]?.poison).toBeUndefined();
    const p1 = parts.find((p) => p.id === 'customers-1');
    expect(p1?.records[1]?.record.key).toBeNull();
  });

  it('decodes header values given as Java signed bytes, non-ASCII included', () => {
    const parts = decode(loadMskFixture('staysync-customers.json'));
    const header = parts.find((p) => p.id === 'customers-0')?.records[1]?.record.headers[0];
    expect(header?.key).toBe('source');
    expect(header?.value.toString('utf8')).toBe('ële');
  });

  it('keeps the first copy of an offset delivered twice in one event', () => {
    const event = mskEvent([
      mskRecord({ offset: 3, value: 'a' }),
      mskRecord({ offset: 3, value: 'b' }),
    ]);
    const [part] = decode(event);
    expect(part?.records).toHaveLength(1);
    expect(part?.records[0]?.record.value?.toString()).toBe('a');
  });

  it('makes a record with invalid base64 poison instead of decoding different bytes', () => {
    const record = { ...mskRecord({ offset: 1, value: 'x' }), value: 'eyJh*GVsbG8=' };
    const [part] = decode(mskEvent([record]));
    expect(part?.records[0]?.poison?.reason).toBe('invalid-base64');
    expect(part?.records[0]?.poison?.message).toMatch(/^value:/);
  });

  it('makes a header byte outside -128..255 poison', () => {
    const record = mskRecord({ offset: 1, value: 'x', headers: [{ h: [1, 300] }] });
    const [part] = decode(mskEvent([record]));
    expect(part?.records[0]?.poison?.reason).toBe('invalid-header');
    expect(part?.records[0]?.poison?.context.field).toBe('headers[0].h');
  });

  it('makes a value above the size limit poison', () => {
    const [part] = decodeMskEvent(mskEvent([mskRecord({ offset: 1, value: 'x'.repeat(2000) })]), {
      ...DEFAULT_DECODE_LIMITS,
      maxValueBytes: 1000,
    });
    expect(part?.records[0]?.poison?.reason).toBe('too-large');
  });

  it('rejects an event that is not a Kafka event', () => {
    expect(() => decode({ Records: [] })).toThrow(InvalidEventError);
    expect(() => decode({ eventSource: 'aws:sqs', records: {} })).toThrow(/eventSource/);
  });

  it('rejects a record whose offset is unusable, since it can be neither quarantined nor reported', () => {
    const record = { ...mskRecord({ offset: 1 }), offset: -1 };
    expect(() => decode(mskEvent([record]))).toThrow(/offset must be a non-negative safe integer/);
  });

  it('rejects a record filed under another partition group', () => {
    const event = {
      eventSource: 'aws:kafka',
      records: { 'customers-1': [mskRecord({ offset: 1, partition: 0 })] },
    };
    expect(() => decode(event)).toThrow(/not those of its group/);
  });

  it('handles topics whose names contain dashes', () => {
    const [part] = decode(
      mskEvent([mskRecord({ topic: 'db-1.public.orders', partition: 12, offset: 1, value: 'x' })]),
    );
    expect(part?.topic).toBe('db-1.public.orders');
    expect(part?.partition).toBe(12);
  });
});

describe('decodeBase64Strict', () => {
  it.each(['', 'QQ==', 'QUI=', 'QUJD', 'SGVsbG8sIHRoaXMgaXMgYSB0ZXN0Lg=='])(
    'accepts %j',
    (text) => {
      expect(decodeBase64Strict(text)).toEqual(Buffer.from(text, 'base64'));
    },
  );

  it.each(['Q', 'QQ', 'QQ=', 'Q===', 'QQ==QQ==', 'QU JD', 'QUJD\n', 'QU-_', 'é'])(
    'rejects %j',
    (text) => {
      expect(decodeBase64Strict(text)).toBeNull();
    },
  );
});
