import { describe, expect, it } from 'vitest';
import type { TopicSettings } from '../../../../functions/contract/pipeline.js';
import type { Change } from '../../../../functions/core/change.js';
import { decodeChange } from '../../../../functions/core/envelope/decode-change.js';
import { PoisonError } from '../../../../functions/core/errors.js';
import { DEFAULT_DECODE_LIMITS } from '../../../../functions/core/limits.js';
import type { KafkaRecord } from '../../../../functions/core/record.js';
import { envelope, mskRecord } from '../support/msk.js';

const SOURCE: TopicSettings = { versioning: 'source' };
const LOG: TopicSettings = { versioning: 'log' };

function record(
  key: string | object | null,
  value: object | string | null,
  offset = 10,
  topic = 'customers',
): KafkaRecord {
  const raw = mskRecord({
    topic,
    offset,
    key: typeof key === 'object' && key !== null ? JSON.stringify(key) : key,
    value,
  });
  return {
    topic,
    partition: 0,
    offset,
    timestamp: raw.timestamp,
    timestampType: raw.timestampType,
    key: raw.key == null ? null : Buffer.from(raw.key, 'base64'),
    value: raw.value == null ? null : Buffer.from(raw.value, 'base64'),
    headers: [],
    raw,
  };
}

const decode = (r: KafkaRecord, settings: TopicSettings = SOURCE): Change =>
  decodeChange(r, settings, DEFAULT_DECODE_LIMITS);

function poisonOf(r: KafkaRecord, settings: TopicSettings = SOURCE): PoisonError {
  try {
    decode(r, settings);
  } catch (err) {
    if (err instanceof PoisonError) return err;
    throw err;
  }
  throw new Error('expected a poison error');
}

describe('native envelope', () => {
  it('decodes an upsert with its effective version 2v', () => {
    const change = decode(record('customer:42', envelope({ version: 17 })));
    expect(change).toMatchObject({
      eventId: 'evt-1',
      entity: 'customer',
      key: '42',
      op: 'upsert',
      guard: { kind: 'version', ev: 34 },
      sourceVersion: 17,
      data: { name: 'Zoë' },
      tombstone: false,
      coords: { topic: 'customers', partition: 0, offset: 10 },
    });
  });

  it('accepts a Kafka key that is the bare entity id', () => {
    expect(decode(record('42', envelope())).key).toBe('42');
  });

  it('decodes a delete without data and ignores data sent on a delete', () => {
    const change = decode(record('customer:42', envelope({ op: 'delete', data: { x: 1 } })));
    expect(change.op).toBe('delete');
    expect(change.data).toBeUndefined();
  });

  it('versions every record by its offset on a log-ordered topic, ignoring any version sent', () => {
    const change = decode(record('customer:42', envelope({ version: undefined }), 77), LOG);
    expect(change.guard).toEqual({ kind: 'version', ev: 154 });
    expect(change.sourceVersion).toBe(77);
  });

  it('names the field and the problem in every poison message', () => {
    const err = poisonOf(record('customer:42', envelope({ version: -1 })));
    expect(err.reason).toBe('invalid-version');
    expect(err.message).toMatch(/^version: -1 is outside 0\.\./);
    expect(err.context).toMatchObject({ field: 'version', offset: 10 });
  });

  it('accepts versions up to MAX_SOURCE_VERSION and rejects the next one', () => {
    expect(decode(record('customer:42', envelope({ version: 2 ** 52 - 1 }))).guard).toEqual({
      kind: 'version',
      ev: 2 ** 53 - 2,
    });
    expect(poisonOf(record('customer:42', envelope({ version: 2 ** 52 }))).reason).toBe(
      'invalid-version',
    );
  });

  it('rejects an envelope whose key does not match the Kafka key', () => {
    const err = poisonOf(record('customer:43', envelope()));
    expect(err.reason).toBe('key-mismatch');
    expect(err.message).toContain('"customer:43"');
  });
});

describe('Debezium change events', () => {
  const pgSource = {
    version: '2.7.0.Final',
    connector: 'postgresql',
    name: 'shop',
    ts_ms: 1795687200000,
    db: 'shop',
    schema: 'public',
    table: 'customers',
    lsn: 24023128,
  };
  const myslSource = {
    connector: 'mysql',
    name: 'shop',
    ts_ms: 1795687200000,
    db: 'shop',
    table: 'orders',
    file: 'mysql-bin.000003',
    pos: 154,
    row: 0,
  };

  it('maps a Postgres update to an upsert of `after` versioned by the LSN', () => {
    const change = decode(
      record(
        { id: 42 },
        {
          before: null,
          after: { id: 42, name: 'Zoë' },
          source: pgSource,
          op: 'u',
          ts_ms: 1795687200123,
        },
      ),
    );
    expect(change).toMatchObject({
      entity: 'customers',
      key: '42',
      op: 'upsert',
      guard: { kind: 'version', ev: 2 * 24023128 },
      sourceVersion: 24023128,
      data: { id: 42, name: 'Zoë' },
      ts: '2026-11-26T10:00:00.123Z',
    });
    expect(change.eventId).toBe('debezium:shop/customers/42@24023128');
  });

  it('unwraps the JSON converter {schema, payload} envelope on key and value', () => {
    const key = {
      schema: { type: 'struct', fields: [{ field: 'id', type: 'int32' }] },
      payload: { id: 42 },
    };
    const value = {
      schema: { type: 'struct' },
      payload: { before: null, after: { id: 42 }, source: pgSource, op: 'c', ts_ms: 1 },
    };
    expect(decode(record(key, value))).toMatchObject({
      entity: 'customers',
      key: '42',
      op: 'upsert',
    });
  });

  it('combines the MySQL binlog file index and position into one version', () => {
    const change = decode(
      record({ id: 'o-1' }, { after: { id: 'o-1' }, source: myslSource, op: 'c', ts_ms: 1 }),
    );
    expect(change.sourceVersion).toBe(3 * 2 ** 32 + 154);
    expect(change.eventId).toBe(`debezium:shop/orders/o-1@${3 * 2 ** 32 + 154}.0`);
  });

  it('orders MySQL changes across a binlog rotation', () => {
    const before = decode(
      record(
        { id: 1 },
        {
          after: { id: 1 },
          source: { ...myslSource, file: 'mysql-bin.000003', pos: 4_000_000_000 },
          op: 'u',
          ts_ms: 1,
        },
      ),
    );
    const after = decode(
      record(
        { id: 1 },
        {
          after: { id: 1 },
          source: { ...myslSource, file: 'mysql-bin.000004', pos: 4 },
          op: 'u',
          ts_ms: 1,
        },
      ),
    );
    expect(after.sourceVersion as number).toBeGreaterThan(before.sourceVersion as number);
  });

  it('maps a delete to a versioned delete', () => {
    const change = decode(
      record({ id: 42 }, { before: { id: 42 }, after: null, source: pgSource, op: 'd', ts_ms: 1 }),
    );
    expect(change).toMatchObject({
      op: 'delete',
      guard: { kind: 'version', ev: 2 * 24023128 },
      tombstone: false,
    });
    expect(change.data).toBeUndefined();
  });

  it('maps snapshot reads (op r) to upserts', () => {
    expect(
      decode(record({ id: 1 }, { after: { id: 1 }, source: pgSource, op: 'r', ts_ms: 1 })).op,
    ).toBe('upsert');
  });

  it('joins composite primary keys by column name, escaping the separator', () => {
    const change = decode(
      record({ sku: 'a:b', tenant: 7 }, { after: {}, source: pgSource, op: 'c', ts_ms: 1 }),
    );
    expect(change.key).toBe('a%3Ab:7');
    const reordered = decode(
      record({ tenant: 7, sku: 'a:b' }, { after: {}, source: pgSource, op: 'c', ts_ms: 1 }),
    );
    expect(reordered.key).toBe(change.key);
  });

  it('rejects a Debezium position beyond MAX_SOURCE_VERSION', () => {
    const err = poisonOf(
      record(
        { id: 1 },
        { after: {}, source: { ...myslSource, file: 'mysql-bin.2000000' }, op: 'c', ts_ms: 1 },
      ),
    );
    expect(err.reason).toBe('invalid-version');
    expect(err.context.field).toBe('source.file+pos');
  });

  it('uses the offset as version on a log-ordered topic, without needing a source position', () => {
    const change = decode(
      record({ id: 1 }, { after: {}, source: { table: 'customers' }, op: 'c', ts_ms: 1 }, 9),
      LOG,
    );
    expect(change.guard).toEqual({ kind: 'version', ev: 18 });
    expect(change.eventId).toBe('customers-0@9');
  });

  it('takes the entity from the topic setting when one is given', () => {
    const change = decode(record({ id: 1 }, { after: {}, source: pgSource, op: 'c', ts_ms: 1 }), {
      ...SOURCE,
      entity: 'client',
    });
    expect(change.entity).toBe('client');
  });

  it('parses a Debezium-looking value as native when the topic forces the native format', () => {
    const err = poisonOf(record({ id: 1 }, { after: {}, source: pgSource, op: 'c', ts_ms: 1 }), {
      ...SOURCE,
      format: 'native',
    });
    expect(err.context.field).toBe('id');
  });
});

describe('Kafka tombstones', () => {
  it('on a source-versioned topic become offset-guarded deletes without a version', () => {
    const change = decode(record('customer:42', null, 12));
    expect(change).toMatchObject({
      eventId: 'customers-0@12',
      entity: 'customer',
      key: '42',
      op: 'delete',
      guard: { kind: 'offset' },
      sourceVersion: null,
      tombstone: true,
    });
  });

  it('on a log-ordered topic become deletes versioned by their offset', () => {
    expect(decode(record('customer:42', null, 12), LOG)).toMatchObject({
      guard: { kind: 'version', ev: 24 },
      sourceVersion: 12,
    });
  });

  it('after a Debezium delete take the entity from the topic name and the key from the struct', () => {
    const change = decode(record({ id: 42 }, null, 5, 'shop.public.customers'));
    expect(change).toMatchObject({
      entity: 'customers',
      key: '42',
      guard: { kind: 'offset' },
      tombstone: true,
    });
  });

  it('keep entity ids containing colons intact', () => {
    expect(decode(record('customer:a:b', null)).key).toBe('a:b');
  });

  it('need an entity: a bare id without the topic setting is poison', () => {
    expect(poisonOf(record('42', null)).context.field).toBe('kafkaKey');
    expect(decode(record('42', null), { ...SOURCE, entity: 'customer' })).toMatchObject({
      entity: 'customer',
      key: '42',
    });
  });
});
