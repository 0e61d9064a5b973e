import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { MskEvent } from '../../../../functions/core/msk-event.js';
import {
  buildMskEvent,
  type FetchedRecord,
  fromKafkaJsMessage,
  timestampTypeOfConfig,
  toJavaSignedBytes,
} from '../../../../local/esm/event-builder.js';

// The example event of the AWS Lambda developer guide, "Using Lambda with Amazon MSK" →
// "Example event" (https://docs.aws.amazon.com/lambda/latest/dg/with-msk.html).
const awsExample = (): MskEvent =>
  JSON.parse(
    readFileSync(
      new URL('../../../fixtures/esm/aws-lambda-msk-example-event.json', import.meta.url),
      'utf8',
    ),
  ) as MskEvent;

/** The record of the AWS example, as kafkajs would read it from the log. */
function exampleAsFetched(): FetchedRecord {
  const doc = awsExample().records['mytopic-0']?.[0];
  if (doc === undefined || typeof doc.key !== 'string') throw new Error('fixture changed');
  return fromKafkaJsMessage('mytopic', 0, 'CREATE_TIME', {
    offset: '15',
    timestamp: '1545084650987',
    key: Buffer.from(doc.key, 'base64'),
    value: Buffer.from('Hello, this is a test.', 'utf8'),
    headers: { headerKey: Buffer.from('headerValue', 'utf8') },
  });
}

describe('the MSK event builder', () => {
  it('builds the documented AWS example event field for field', () => {
    const expected = awsExample();
    const built = buildMskEvent(
      {
        eventSourceArn: expected.eventSourceArn ?? '',
        bootstrapServers: expected.bootstrapServers ?? '',
      },
      [exampleAsFetched()],
    );

    // The documented key "abcDEF…1234==" is not canonical base64 (its last character
    // carries bits a 1-byte tail cannot hold); no encoder produces it, so the key is
    // compared as bytes and every other field as it is written in the documentation.
    const builtRecord = built.records['mytopic-0']?.[0];
    const docRecord = expected.records['mytopic-0']?.[0];
    expect(Buffer.from(builtRecord?.key ?? '', 'base64')).toEqual(
      Buffer.from(docRecord?.key ?? '', 'base64'),
    );
    const withoutKey = (e: MskEvent) => ({
      ...e,
      records: Object.fromEntries(
        Object.entries(e.records).map(([id, rs]) => [id, rs.map(({ key: _key, ...r }) => r)]),
      ),
    });
    expect(withoutKey(built)).toStrictEqual(withoutKey(expected));
    expect(Object.keys(builtRecord ?? {}).sort()).toEqual(Object.keys(docRecord ?? {}).sort());
  });

  it('encodes header bytes above 127 as negative Java bytes', () => {
    expect(toJavaSignedBytes(Buffer.from('ë€', 'utf8'))).toEqual([-61, -85, -30, -126, -84]);
    const [rec] =
      Object.values(
        buildMskEvent({ bootstrapServers: 'b:9092' }, [
          {
            ...exampleAsFetched(),
            headers: [['name', Buffer.from('Zoë', 'utf8')]],
          },
        ]).records,
      )[0] ?? [];
    expect(rec?.headers).toEqual([{ name: [90, 111, -61, -85] }]);
    expect(Buffer.from(rec?.headers?.[0]?.name ?? []).toString('utf8')).toBe('Zoë');
  });

  it('sends a tombstone with a null value and a keyless record without a key field', () => {
    const base = exampleAsFetched();
    const event = buildMskEvent({ bootstrapServers: 'b:9092' }, [
      { ...base, offset: 1, value: null },
      { ...base, offset: 2, key: null },
    ]);
    const [tombstone, keyless] = event.records['mytopic-0'] ?? [];
    expect(tombstone?.value).toBeNull();
    expect(tombstone?.key).toBe(base.key?.toString('base64'));
    expect(keyless).not.toHaveProperty('key');
  });

  it('groups records by topic-partition in ascending offsets and rejects disorder', () => {
    const base = exampleAsFetched();
    const event = buildMskEvent({ bootstrapServers: 'b:9092' }, [
      { ...base, topic: 'orders', partition: 1, offset: 7 },
      { ...base, topic: 'orders', partition: 0, offset: 3 },
      { ...base, topic: 'orders', partition: 1, offset: 9 },
    ]);
    expect(Object.keys(event.records).sort()).toEqual(['orders-0', 'orders-1']);
    expect(event.records['orders-1']?.map((r) => r.offset)).toEqual([7, 9]);
    expect(() =>
      buildMskEvent({ bootstrapServers: 'b:9092' }, [
        { ...base, offset: 9 },
        { ...base, offset: 7 },
      ]),
    ).toThrow(/ascending offsets/);
  });

  it('keeps repeated header keys as separate entries in log order', () => {
    const record = fromKafkaJsMessage('t', 0, 'CREATE_TIME', {
      offset: '0',
      timestamp: '1',
      key: null,
      value: null,
      headers: { trace: [Buffer.from('a'), Buffer.from('b')], one: 'x' },
    });
    expect(record.headers.map(([k, v]) => `${k}=${v.toString()}`)).toEqual([
      'trace=a',
      'trace=b',
      'one=x',
    ]);
  });

  it('names self-managed events without an ARN and maps the topic timestamp type', () => {
    const event = buildMskEvent(
      { eventSource: 'SelfManagedKafka', eventSourceArn: 'arn:x', bootstrapServers: 'b:9092' },
      [exampleAsFetched()],
    );
    expect(event.eventSource).toBe('SelfManagedKafka');
    expect(event).not.toHaveProperty('eventSourceArn');
    expect(timestampTypeOfConfig('LogAppendTime')).toBe('LOG_APPEND_TIME');
    expect(timestampTypeOfConfig('CreateTime')).toBe('CREATE_TIME');
  });
});
