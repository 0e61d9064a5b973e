import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { avroValueWriter, ENVELOPE_SCHEMA } from '../../../../local/publisher/avro.js';
import { buildRecord, PublishError } from '../../../../local/publisher/envelope.js';
import { createVersionClock } from '../../../../local/publisher/version-clock.js';
import { unframe } from '../../../../local/schema-registry/wire-format.js';
import { inMemoryRegistry } from '../../../support/schema-registry.js';

const options = { clock: createVersionClock(), topic: 'customers', avro: true };

describe("the publisher's Avro mode", () => {
  it('registers the envelope schema once under <topic>-value and frames each value with its id', async () => {
    const registry = inMemoryRegistry();
    const writer = avroValueWriter(registry);
    const built = buildRecord(
      { entity: 'customer', key: '1', op: 'patch', version: 3, data: { visits: 4, ratio: 0.5 } },
      0,
      options,
    );
    const first = unframe(await writer.encode('customers', built.envelope));
    const second = unframe(await writer.encode('customers', built.envelope));
    expect(first.ok && second.ok && first.schemaId === second.schemaId).toBe(true);
    expect(registry.subjects.get('customers-value')).toEqual([1]);
    // Read back with an independent reader: a patch keeps exactly its fields.
    const reader = avro.Type.forSchema(ENVELOPE_SCHEMA as unknown as avro.Schema, {
      wrapUnions: true,
    });
    const value = reader.fromBuffer(first.ok ? first.payload : Buffer.alloc(0));
    expect(value.data).toEqual({ map: { visits: { long: 4 }, ratio: { double: 0.5 } } });
    expect(value.version).toBe(3);
  });

  it('refuses data with nested objects or arrays at build time', () => {
    expect(() =>
      buildRecord(
        { entity: 'customer', key: '1', op: 'upsert', data: { address: { city: 'Lyon' } } },
        2,
        options,
      ),
    ).toThrow(PublishError);
    expect(() =>
      buildRecord(
        { entity: 'customer', key: '1', op: 'upsert', data: { tags: ['a'] } },
        2,
        options,
      ),
    ).toThrow(/data\.tags is not a scalar/);
  });
});
