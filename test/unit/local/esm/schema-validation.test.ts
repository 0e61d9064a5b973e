import { describe, expect, it } from 'vitest';
import type { FetchedRecord } from '../../../../local/esm/event-builder.js';
import { toMskRecord } from '../../../../local/esm/event-builder.js';
import { validateRecords } from '../../../../local/esm/schema-validation.js';
import type { DecodedBytes } from '../../../../local/schema-registry/decoder.js';

/** A decoder over a fixed table: `ok:<json>` decodes, anything else is rejected. */
const decoder = {
  decode: async (bytes: Buffer): Promise<DecodedBytes> => {
    const text = bytes.toString();
    if (text.startsWith('ok:')) {
      return {
        ok: true,
        json: Buffer.from(text.slice(3)),
        metadata: { dataFormat: 'AVRO', schemaId: '7' },
      };
    }
    return text === 'unknown'
      ? { ok: false, reason: 'SCHEMA_NOT_FOUND', message: 'schema id 9 is not in the registry' }
      : { ok: false, reason: 'DESERIALIZATION_ERROR', message: 'magic byte is 1, not 0' };
  },
};

const record = (offset: number, key: string | null, value: string | null): FetchedRecord => ({
  topic: 't',
  partition: 0,
  offset,
  timestamp: 1,
  timestampType: 'CREATE_TIME',
  key: key === null ? null : Buffer.from(key),
  value: value === null ? null : Buffer.from(value),
  headers: [],
});

describe('the mapping schema registry step', () => {
  it('replaces validated attributes by their JSON and sets their metadata in the event', async () => {
    const { valid, rejected } = await validateRecords(
      [record(0, 'ok:{"id":1}', 'ok:{"a":1}'), record(1, 'raw-key', 'ok:{"a":2}')],
      { attributes: ['VALUE'], decoder },
    );
    expect(rejected).toEqual([]);
    const [first, second] = valid.map(toMskRecord);
    expect(first?.valueSchemaMetadata).toEqual({ dataFormat: 'AVRO', schemaId: '7' });
    expect(first?.keySchemaMetadata).toBeUndefined();
    // The key is not validated: its bytes pass through.
    expect(Buffer.from(first?.key ?? '', 'base64').toString()).toBe('ok:{"id":1}');
    expect(Buffer.from(second?.value ?? '', 'base64').toString()).toBe('{"a":2}');
  });

  it('lets null keys and tombstones through without metadata', async () => {
    const { valid, rejected } = await validateRecords([record(0, null, null)], {
      attributes: ['KEY', 'VALUE'],
      decoder,
    });
    expect(rejected).toEqual([]);
    expect(toMskRecord(valid[0] as FetchedRecord)).not.toHaveProperty('valueSchemaMetadata');
  });

  it('rejects a record with the reason of its first failing attribute, key before value', async () => {
    const { valid, rejected } = await validateRecords(
      [
        record(0, 'unknown', 'garbage'),
        record(1, 'ok:{"id":2}', 'garbage'),
        record(2, 'ok:{"id":3}', 'ok:{}'),
      ],
      { attributes: ['KEY', 'VALUE'], decoder },
    );
    expect(rejected.map((r) => [r.record.offset, r.reason, r.message])).toEqual([
      [0, 'SCHEMA_NOT_FOUND', 'key: schema id 9 is not in the registry'],
      [1, 'DESERIALIZATION_ERROR', 'value: magic byte is 1, not 0'],
    ]);
    expect(valid.map((r) => r.offset)).toEqual([2]);
    // What goes to the destination is the record as read, not a half-decoded one.
    expect(rejected[1]?.record.key?.toString()).toBe('ok:{"id":2}');
  });
});
