import { describe, expect, it } from 'vitest';
import { toQuarantineEntry } from '../../../functions/core/engine/process-partition.js';
import { PoisonError } from '../../../functions/core/errors.js';
import type { MskEventRecord } from '../../../functions/core/msk-event.js';
import { recordSchemas } from '../../../functions/core/quarantine.js';
import type { KafkaRecord } from '../../../functions/core/record.js';

const raw = (extra: Record<string, unknown>): MskEventRecord =>
  ({
    topic: 't',
    partition: 1,
    offset: 5,
    timestamp: 0,
    timestampType: 'CREATE_TIME',
    ...extra,
  }) as MskEventRecord;

const kafkaRecord = (r: MskEventRecord): KafkaRecord => ({
  topic: r.topic,
  partition: r.partition,
  offset: r.offset,
  timestamp: 0,
  timestampType: 'CREATE_TIME',
  key: null,
  value: null,
  headers: [],
  raw: r,
});

describe('quarantine records of schema-registry topics', () => {
  it('keep the key and value schema metadata the mapping delivered', () => {
    const r = raw({
      keySchemaMetadata: { dataFormat: 'AVRO', schemaId: '3' },
      valueSchemaMetadata: { dataFormat: 'AVRO', schemaId: '4' },
    });
    const entry = toQuarantineEntry(
      'view',
      kafkaRecord(r),
      new PoisonError('unknown-op', 'op: x'),
      'now',
    );
    expect(entry.schema).toEqual({
      key: { dataFormat: 'AVRO', schemaId: '3' },
      value: { dataFormat: 'AVRO', schemaId: '4' },
    });
  });

  it('have none on plain JSON topics, and ignore malformed metadata (the event is input)', () => {
    const entry = toQuarantineEntry('view', kafkaRecord(raw({})), new PoisonError('x', 'y'), 'now');
    expect(entry).not.toHaveProperty('schema');
    expect(recordSchemas(raw({ valueSchemaMetadata: 'AVRO' }))).toBeUndefined();
    expect(recordSchemas(raw({ valueSchemaMetadata: { dataFormat: 7 } }))).toBeUndefined();
    expect(
      recordSchemas(raw({ valueSchemaMetadata: { dataFormat: 'PROTOBUF', schemaId: 1 } })),
    ).toEqual({
      value: { dataFormat: 'PROTOBUF' },
    });
  });
});
