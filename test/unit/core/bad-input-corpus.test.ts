import { describe, expect, it } from 'vitest';
import type { PipelineConfig } from '../../../functions/contract/pipeline.js';
import { silentLogger } from '../../../functions/core/engine/observability.js';
import type { MskEventRecord } from '../../../functions/core/msk-event.js';
import { createSinkHandler } from '../../../functions/runtime/sink-handler.js';
import { FakeClock, InMemoryLedger, InMemoryQuarantine } from './support/in-memory.js';
import { b64, envelope, mskEvent, mskRecord } from './support/msk.js';
import { InMemoryStateSink } from './support/sinks.js';

/**
 * The bad-input corpus (issue §2): every kind of undecodable or invalid record goes
 * through the real handler and ends in quarantine with its reason and the field at
 * fault; nothing escapes the handler, and the records around it are applied.
 */
const KEY = 'customer:42';
const PG_SOURCE = {
  connector: 'postgresql',
  name: 'shop',
  table: 'customers',
  lsn: 1000,
  ts_ms: 1,
};
/** A record with raw fields set exactly as given (no encoding). */
const at = (
  value: MskEventRecord['value'],
  over: Partial<Record<keyof MskEventRecord, unknown>> = {},
): MskEventRecord =>
  ({ ...mskRecord({ offset: 5, key: KEY, value: 'x' }), value, ...over }) as MskEventRecord;
const rec = (key: string | Buffer | null, value: object | string | Buffer | null, topic?: string) =>
  mskRecord({ offset: 5, key, value, ...(topic === undefined ? {} : { topic }) });

interface Case {
  readonly name: string;
  readonly record: MskEventRecord;
  readonly reason: string;
  readonly field: string;
}

const CASES: Case[] = [
  {
    name: 'value that is not base64',
    record: at('eyJpZCI6*'),
    reason: 'invalid-base64',
    field: 'value',
  },
  {
    name: 'value with base64 padding in the middle',
    record: at('eyJp=ZCI6'),
    reason: 'invalid-base64',
    field: 'value',
  },
  {
    name: 'key that is not base64',
    record: { ...rec(KEY, envelope()), key: 'Y3VzdG9tZXI6NDI' },
    reason: 'invalid-base64',
    field: 'key',
  },
  {
    name: 'value that is not JSON',
    record: rec(KEY, '{"id": "evt-1",'),
    reason: 'invalid-json',
    field: 'value',
  },
  {
    name: 'empty value (zero bytes)',
    record: rec(KEY, ''),
    reason: 'invalid-json',
    field: 'value',
  },
  { name: 'JSON array', record: rec(KEY, [envelope()]), reason: 'not-an-object', field: 'value' },
  {
    name: 'JSON string',
    record: rec(KEY, '"customer:42"'),
    reason: 'not-an-object',
    field: 'value',
  },
  { name: 'JSON null', record: rec(KEY, 'null'), reason: 'not-an-object', field: 'value' },
  {
    name: 'missing id',
    record: rec(KEY, envelope({ id: undefined })),
    reason: 'missing-field',
    field: 'id',
  },
  {
    name: 'missing entity',
    record: rec(KEY, envelope({ entity: undefined })),
    reason: 'missing-field',
    field: 'entity',
  },
  {
    name: 'missing key',
    record: rec(KEY, envelope({ key: undefined })),
    reason: 'missing-field',
    field: 'key',
  },
  {
    name: 'missing op',
    record: rec(KEY, envelope({ op: undefined })),
    reason: 'missing-field',
    field: 'op',
  },
  {
    name: 'missing ts',
    record: rec(KEY, envelope({ ts: undefined })),
    reason: 'missing-field',
    field: 'ts',
  },
  {
    name: 'id of the wrong type',
    record: rec(KEY, envelope({ id: 17 })),
    reason: 'invalid-field',
    field: 'id',
  },
  {
    name: 'empty id',
    record: rec(KEY, envelope({ id: '' })),
    reason: 'invalid-field',
    field: 'id',
  },
  {
    name: 'entity with a separator in it',
    record: rec('customer#x:42', envelope({ entity: 'customer#x' })),
    reason: 'invalid-field',
    field: 'entity',
  },
  {
    name: 'ts that is not ISO-8601',
    record: rec(KEY, envelope({ ts: 'yesterday' })),
    reason: 'invalid-field',
    field: 'ts',
  },
  {
    name: 'data that is an array',
    record: rec(KEY, envelope({ data: [1] })),
    reason: 'invalid-field',
    field: 'data',
  },
  {
    name: 'version missing on a source-versioned topic',
    record: rec(KEY, envelope({ version: undefined })),
    reason: 'missing-version',
    field: 'version',
  },
  {
    name: 'negative version',
    record: rec(KEY, envelope({ version: -3 })),
    reason: 'invalid-version',
    field: 'version',
  },
  {
    name: 'fractional version',
    record: rec(KEY, envelope({ version: 1.5 })),
    reason: 'invalid-version',
    field: 'version',
  },
  {
    name: 'version as a string',
    record: rec(KEY, envelope({ version: '3' })),
    reason: 'invalid-version',
    field: 'version',
  },
  {
    name: 'version above MAX_SOURCE_VERSION',
    record: rec(KEY, envelope({ version: 2 ** 53 })),
    reason: 'invalid-version',
    field: 'version',
  },
  {
    name: 'envelope key not matching the Kafka key',
    record: rec('customer:43', envelope()),
    reason: 'key-mismatch',
    field: 'key',
  },
  {
    name: 'envelope entity not matching the Kafka key',
    record: rec('order:42', envelope()),
    reason: 'key-mismatch',
    field: 'key',
  },
  {
    name: 'envelope without a Kafka key',
    record: rec(null, envelope()),
    reason: 'missing-kafka-key',
    field: 'kafkaKey',
  },
  {
    name: 'unknown op',
    record: rec(KEY, envelope({ op: 'merge' })),
    reason: 'unknown-op',
    field: 'op',
  },
  {
    name: 'upsert without data',
    record: rec(KEY, envelope({ data: undefined })),
    reason: 'missing-field',
    field: 'data',
  },
  {
    name: 'patch without data',
    record: rec(KEY, envelope({ op: 'patch', data: null })),
    reason: 'missing-field',
    field: 'data',
  },
  {
    name: 'oversize value',
    record: rec(KEY, envelope({ data: { blob: 'x'.repeat(1024 * 1024) } })),
    reason: 'too-large',
    field: 'value',
  },
  {
    name: 'value that is not UTF-8',
    record: rec(KEY, Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d])),
    reason: 'invalid-utf8',
    field: 'value',
  },
  {
    name: 'key that is not UTF-8',
    record: rec(Buffer.from([0xff, 0x3a, 0x34]), envelope()),
    reason: 'invalid-utf8',
    field: 'kafkaKey',
  },
  {
    name: 'header value that is not an array',
    record: at(rec(KEY, envelope()).value, { headers: [{ h: 'x' as unknown as number[] }] }),
    reason: 'invalid-header',
    field: 'headers[0].h',
  },
  {
    name: 'header byte outside -128..255',
    record: at(rec(KEY, envelope()).value, { headers: [{ h: [-129] }] }),
    reason: 'invalid-header',
    field: 'headers[0].h',
  },
  {
    name: 'timestamp that is not a number',
    record: at(rec(KEY, envelope()).value, { timestamp: '2026' as unknown as number }),
    reason: 'invalid-timestamp',
    field: 'timestamp',
  },
  {
    name: 'value in base64url (- and _ instead of + and /)',
    record: at(
      Buffer.from(JSON.stringify(envelope({ data: { n: '\u{fbff}?>' } }))).toString('base64url'),
    ),
    reason: 'invalid-base64',
    field: 'value',
  },
  {
    name: 'key above 4 KiB',
    record: rec(`customer:${'4'.repeat(4096)}`, envelope()),
    reason: 'too-large',
    field: 'key',
  },
  {
    name: 'headers that are not an array',
    record: at(b64(JSON.stringify(envelope())), { headers: { trace: [1] } }),
    reason: 'invalid-header',
    field: 'headers',
  },
  {
    name: 'a header entry that is not an object',
    record: at(b64(JSON.stringify(envelope())), { headers: [[1, 2]] }),
    reason: 'invalid-header',
    field: 'headers[0]',
  },
  {
    name: 'fractional timestamp',
    record: at(b64(JSON.stringify(envelope())), { timestamp: 1_795_687_200_000.5 }),
    reason: 'invalid-timestamp',
    field: 'timestamp',
  },
  {
    name: 'NaN timestamp',
    record: at(b64(JSON.stringify(envelope())), { timestamp: Number.NaN }),
    reason: 'invalid-timestamp',
    field: 'timestamp',
  },
  {
    name: 'version beyond 2^53 (not a safe integer once parsed)',
    record: rec(
      KEY,
      JSON.stringify(envelope()).replace('"version":1', '"version":9007199254740993'),
    ),
    reason: 'invalid-version',
    field: 'version',
  },
  {
    // regression: JSON.parse takes it, the DynamoDB marshaller overflowed its stack
    name: 'data nested 10,000 deep',
    record: rec(
      KEY,
      JSON.stringify(envelope()).replace(
        '{"name":"Zoë"}',
        `{"a":${'['.repeat(10_000)}${']'.repeat(10_000)}}`,
      ),
    ),
    reason: 'too-large',
    field: 'value',
  },
  {
    name: 'a duplicated JSON key whose last copy names another entity id (the last wins)',
    record: rec(KEY, JSON.stringify(envelope()).replace('"key":"42"', '"key":"42","key":"43"')),
    reason: 'key-mismatch',
    field: 'key',
  },
  {
    name: 'tombstone without a Kafka key',
    record: rec(null, null),
    reason: 'missing-kafka-key',
    field: 'kafkaKey',
  },
  {
    name: 'tombstone whose key names no entity',
    record: rec('42', null),
    reason: 'invalid-field',
    field: 'kafkaKey',
  },
  {
    name: 'Debezium event with an unknown op',
    record: rec('{"id":42}', {
      before: null,
      after: { id: 42 },
      source: PG_SOURCE,
      op: 'x',
      ts_ms: 1,
    }),
    reason: 'unknown-op',
    field: 'op',
  },
  {
    name: 'Debezium truncate event',
    record: rec('{"id":42}', { source: PG_SOURCE, op: 't', ts_ms: 1 }),
    reason: 'unsupported-op',
    field: 'op',
  },
  {
    name: 'Debezium create without after',
    record: rec('{"id":42}', { before: null, after: null, source: PG_SOURCE, op: 'c', ts_ms: 1 }),
    reason: 'missing-field',
    field: 'after',
  },
  {
    name: 'Debezium event without a source position',
    record: rec('{"id":42}', {
      after: { id: 42 },
      source: { table: 'customers' },
      op: 'c',
      ts_ms: 1,
    }),
    reason: 'missing-version',
    field: 'source',
  },
  {
    name: 'Debezium event with a key that is not JSON',
    record: rec('{id: 42}', { after: { id: 42 }, source: PG_SOURCE, op: 'c', ts_ms: 1 }),
    reason: 'invalid-json',
    field: 'kafkaKey',
  },
  {
    name: 'Debezium key that is a bare number',
    record: rec('42', { after: { id: 42 }, source: PG_SOURCE, op: 'c', ts_ms: 1 }),
    reason: 'invalid-field',
    field: 'kafkaKey',
  },
  {
    name: 'Debezium key column holding an object',
    record: rec('{"id":{"a":1}}', { after: {}, source: PG_SOURCE, op: 'c', ts_ms: 1 }),
    reason: 'invalid-field',
    field: 'kafkaKey.id',
  },
  {
    name: 'Debezium event without any timestamp',
    record: rec('{"id":42}', { after: {}, source: { ...PG_SOURCE, ts_ms: undefined }, op: 'c' }),
    reason: 'missing-field',
    field: 'ts_ms',
  },
];

const PIPELINE: PipelineConfig = { topics: {} };

function handlerWith() {
  const quarantine = new InMemoryQuarantine();
  const sink = new InMemoryStateSink();
  const ledger = new InMemoryLedger();
  const handler = createSinkHandler({
    sink,
    ledger,
    quarantine,
    pipeline: PIPELINE,
    logger: silentLogger,
    metrics: { publish: () => {} },
    clock: new FakeClock(),
  });
  return { handler, quarantine, sink, ledger };
}

const good = (offset: number) =>
  mskRecord({
    offset,
    key: 'customer:7',
    value: envelope({ id: `ok-${offset}`, key: '7', version: offset }),
  });

describe('the bad-input corpus', () => {
  it('holds at least twenty kinds of bad input', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(20);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  it.each(CASES)(
    'quarantines a record with $name ($reason at $field)',
    async ({ record, reason, field }) => {
      const { handler, quarantine, sink, ledger } = handlerWith();
      const response = await handler(mskEvent([good(4), record, good(6)]));

      expect(response.batchItemFailures).toEqual([]);
      expect([...quarantine.entries.keys()]).toEqual(['view/customers/0/5']);
      const entry = quarantine.entries.get('view/customers/0/5');
      expect(entry?.reason).toBe(reason);
      expect(entry?.error.field).toBe(field);
      expect(entry?.error.message.startsWith(`${field}: `)).toBe(true);
      expect(entry?.raw).toEqual(record);
      expect(sink.store.get('customer#7')?.offset).toBe(6);
      expect(await ledger.readCheckpoint({ sink: 'view', topic: 'customers', partition: 0 })).toBe(
        6,
      );
    },
  );

  it('quarantines every kind at once, each under its own offset, without throwing', async () => {
    const { handler, quarantine } = handlerWith();
    const records = CASES.map((c, i) => ({ ...c.record, offset: 100 + i }));
    expect(await handler(mskEvent(records))).toEqual({ batchItemFailures: [] });
    expect(quarantine.reasons()).toEqual(
      Object.fromEntries(CASES.map((c, i) => [100 + i, c.reason])),
    );
  });
});

describe('inputs that look odd but are valid', () => {
  it.each([
    [
      'headers with negative (signed) bytes',
      rec(KEY, envelope(), undefined),
      [{ trace: [-61, -85, -1, -128, 0, 127] }],
    ],
    [
      'a header byte given unsigned (128..255)',
      rec(KEY, envelope(), undefined),
      [{ trace: [195, 171] }],
    ],
    ['no headers at all', rec(KEY, envelope(), undefined), undefined],
  ] as const)('applies a record with %s', async (_name, base, headers) => {
    const { handler, quarantine, sink } = handlerWith();
    const record = headers === undefined ? { ...base, headers: undefined } : { ...base, headers };
    expect(await handler(mskEvent([record as MskEventRecord]))).toEqual({ batchItemFailures: [] });
    expect(quarantine.entries.size).toBe(0);
    expect(sink.store.get('customer#42')?.data).toEqual({ name: 'Zoë' });
  });

  it('applies a value starting with a UTF-8 byte order mark, without the mark', async () => {
    const { handler, quarantine, sink } = handlerWith();
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    await handler(
      mskEvent([rec(KEY, Buffer.concat([bom, Buffer.from(JSON.stringify(envelope()))]))]),
    );
    expect(quarantine.entries.size).toBe(0);
    expect(sink.store.get('customer#42')?.data).toEqual({ name: 'Zoë' });
  });

  it('keeps __proto__ and constructor keys of data as plain fields, polluting no prototype', async () => {
    const { handler, quarantine, sink } = handlerWith();
    const hostile = '{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":2}}}';
    const upsert = JSON.stringify(envelope()).replace('{"name":"Zoë"}', hostile);
    const patch = JSON.stringify(envelope({ id: 'evt-2', op: 'patch', version: 2 })).replace(
      '{"name":"Zoë"}',
      '{"__proto__":{"polluted":3},"n":1}',
    );
    await handler(mskEvent([rec(KEY, upsert), { ...rec(KEY, patch), offset: 6 }]));
    expect(quarantine.entries.size).toBe(0);
    const data = sink.store.get('customer#42')?.data as Record<string, unknown>;
    expect(Object.keys(data).sort()).toEqual(['__proto__', 'constructor', 'n']);
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(data, '__proto__')?.value).toEqual({ polluted: 3 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('applies a record with a negative timestamp (docs/core.md §1 asks only for an integer)', async () => {
    const { handler, quarantine, sink } = handlerWith();
    await handler(mskEvent([{ ...rec(KEY, envelope()), timestamp: -1 }]));
    expect(quarantine.entries.size).toBe(0);
    expect(sink.store.has('customer#42')).toBe(true);
  });

  it('applies a value wrapped by the JSON converter as {schema, payload}', async () => {
    const { handler, quarantine, sink } = handlerWith();
    await handler(mskEvent([rec(KEY, { schema: { type: 'struct' }, payload: envelope() })]));
    expect(quarantine.entries.size).toBe(0);
    expect(sink.store.has('customer#42')).toBe(true);
  });

  it('applies a Debezium tombstone after its delete without changing anything', async () => {
    const { handler, quarantine, sink } = handlerWith();
    const del = mskRecord({
      topic: 'shop.public.customers',
      offset: 1,
      key: '{"id":42}',
      value: { before: { id: 42 }, after: null, source: PG_SOURCE, op: 'd', ts_ms: 1 },
    });
    const create = mskRecord({
      topic: 'shop.public.customers',
      offset: 0,
      key: '{"id":42}',
      value: { after: { id: 42 }, source: { ...PG_SOURCE, lsn: 900 }, op: 'c', ts_ms: 1 },
    });
    const tomb = mskRecord({
      topic: 'shop.public.customers',
      offset: 2,
      key: '{"id":42}',
      value: null,
    });
    await handler(mskEvent([create, del]));
    const afterDelete = sink.store.get('customers#42');
    expect(afterDelete).toMatchObject({ deleted: true, ev: 2000 });
    await handler(mskEvent([tomb]));
    expect(quarantine.entries.size).toBe(0);
    expect(sink.store.get('customers#42')).toBe(afterDelete);
  });
});
