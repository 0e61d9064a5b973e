import { describe, expect, it } from 'vitest';
import type { Change } from '../../../../functions/core/change.js';
import { decodeChange } from '../../../../functions/core/envelope/decode-change.js';
import { DEFAULT_DECODE_LIMITS } from '../../../../functions/core/limits.js';
import type { KafkaRecord } from '../../../../functions/core/record.js';
import { ConfluentRecordDecoder } from '../../../../local/schema-registry/decoder.js';
import {
  debeziumSchemas,
  encodeConnectJson,
  jsonConverterUpdate,
} from '../../../support/debezium-avro.js';
import { inMemoryRegistry } from '../../../support/schema-registry.js';

const coords = { topic: 'shop.public.customers', partition: 0, offset: 7 };

const kafkaRecord = (key: Buffer, value: Buffer): KafkaRecord => ({
  ...coords,
  timestamp: 1795687260500,
  timestampType: 'CREATE_TIME',
  key,
  value,
  headers: [],
  raw: { ...coords, timestamp: 1795687260500, timestampType: 'CREATE_TIME' },
});

const decode = (r: KafkaRecord): Change =>
  decodeChange(r, { versioning: 'source' }, DEFAULT_DECODE_LIMITS);

/** What the mapping delivers for Avro key and value: their JSON, decoded by the registry. */
async function throughMapping(schema: string): Promise<KafkaRecord> {
  const registry = inMemoryRegistry();
  const keyId = await registry.register('shop.public.customers-key', debeziumSchemas.key);
  const valueId = await registry.register('shop.public.customers-value', schema);
  const { key, value } = jsonConverterUpdate() as {
    key: { payload: unknown };
    value: { payload: unknown };
  };
  const decoder = new ConfluentRecordDecoder(registry);
  const k = await decoder.decode(encodeConnectJson(debeziumSchemas.key, keyId, key.payload));
  const v = await decoder.decode(encodeConnectJson(schema, valueId, value.payload));
  if (!k.ok || !v.ok) throw new Error(`not decoded: ${JSON.stringify([k, v])}`);
  expect(k.metadata).toEqual({ dataFormat: 'AVRO', schemaId: String(keyId) });
  expect(v.metadata).toEqual({ dataFormat: 'AVRO', schemaId: String(valueId) });
  return kafkaRecord(k.json, v.json);
}

describe("Debezium's Avro envelope after the mapping's JSON conversion", () => {
  const fromJsonConverter = (): Change => {
    const { key, value } = jsonConverterUpdate();
    return decode(
      kafkaRecord(
        Buffer.from(JSON.stringify(key), 'utf8'),
        Buffer.from(JSON.stringify(value), 'utf8'),
      ),
    );
  };

  it('decodes to the same Change as the JSON converter output, field by field', async () => {
    const avro = decode(await throughMapping(debeziumSchemas.valueV1));
    const json = fromJsonConverter();
    expect(avro.entity).toBe(json.entity);
    expect(avro.key).toBe(json.key);
    expect(avro.op).toBe(json.op);
    expect(avro.eventId).toBe(json.eventId);
    expect(avro.sourceVersion).toBe(json.sourceVersion);
    expect(avro.guard).toEqual(json.guard);
    expect(avro.ts).toBe(json.ts);
    expect(avro.data).toEqual(json.data);
    expect(avro).toEqual(json);
  });

  it('keeps the decimal as the JSON converter base64 of its unscaled bytes and the timestamps as numbers', async () => {
    const change = decode(await throughMapping(debeziumSchemas.valueV1));
    expect(change).toMatchObject({
      entity: 'customers',
      key: '42',
      op: 'upsert',
      sourceVersion: 24023128,
      eventId: 'debezium:shop/customers/42@24023128',
      ts: '2026-11-26T10:01:00.456Z',
    });
    expect(change.data).toEqual({
      id: 42,
      name: 'Zoë',
      email: 'zoe@example.com',
      balance: 'AeJA', // 1234.56 at scale 2: unscaled 123456 = 0x01E240
      created_at: 1795687200123456, // io.debezium.time.MicroTimestamp
      updated_on: 1795687260000, // Connect Timestamp (Avro timestamp-millis)
    });
  });

  it('decodes an event written with the evolved schema (a field added with a default)', async () => {
    const change = decode(await throughMapping(debeziumSchemas.valueV2));
    // The writer's schema has `phone`; the event leaves it null, as a new nullable column.
    expect(change.data).toEqual({ ...fromJsonConverter().data, phone: null });
  });
});
