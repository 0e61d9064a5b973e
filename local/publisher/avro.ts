/**
 * The publisher's Avro mode: each change envelope (DESIGN §3.1) is written as
 * Confluent-framed Avro (magic byte 0, schema id, Avro binary) with a schema registered
 * under the topic's value subject (`<topic>-value`, Confluent's TopicNameStrategy), the way
 * a producer with Confluent's Avro serializer writes. A mapping with a schema registry
 * (EventRecordFormat JSON) turns it back into the same JSON envelope.
 *
 * `data` is an Avro map of scalars, so a patch carries exactly the fields it sets (a
 * record type would add every other field as null). Nested objects and arrays in `data`
 * have no place in it: such a change is refused at build time.
 */
import avro from 'avsc';
import type { SchemaRegistryClient } from '../schema-registry/registry-client.js';
import { frame } from '../schema-registry/wire-format.js';
import type { Envelope } from './envelope.js';

/** The envelope's Avro schema (version 1). */
export const ENVELOPE_SCHEMA = {
  type: 'record',
  name: 'Envelope',
  namespace: 'staysync',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'entity', type: 'string' },
    { name: 'key', type: 'string' },
    { name: 'op', type: 'string' },
    { name: 'version', type: 'long' },
    { name: 'ts', type: 'string' },
    {
      name: 'data',
      type: ['null', { type: 'map', values: ['null', 'boolean', 'long', 'double', 'string'] }],
      default: null,
    },
  ],
} as const;

const envelopeType = avro.Type.forSchema(ENVELOPE_SCHEMA as unknown as avro.Schema, {
  wrapUnions: true,
});

/** A JSON scalar as a wrapped union branch of the map's values; undefined: not a scalar. */
function branchOf(value: unknown): Record<string, unknown> | null | undefined {
  if (value === null) return null;
  switch (typeof value) {
    case 'boolean':
      return { boolean: value };
    case 'string':
      return { string: value };
    case 'number':
      return Number.isSafeInteger(value) ? { long: value } : { double: value };
    default:
      return undefined;
  }
}

/** The envelope in avsc's form for the schema (unions wrapped), or the field at fault. */
function avroValueOf(envelope: Envelope): { value: unknown } | { field: string } {
  if (envelope.data === undefined) return { value: { ...envelope, data: null } };
  const map: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(envelope.data)) {
    const branch = branchOf(v);
    if (branch === undefined) return { field: `data.${name}` };
    map[name] = branch;
  }
  return { value: { ...envelope, data: { map } } };
}

/** Why an envelope cannot be written with the Avro schema, or undefined when it can. */
export function avroDefect(envelope: Envelope): string | undefined {
  const converted = avroValueOf(envelope);
  if ('field' in converted) {
    return `${converted.field} is not a scalar: the Avro envelope's data holds scalars only`;
  }
  return envelopeType.isValid(converted.value) ? undefined : 'does not fit the Avro envelope';
}

export interface AvroValueWriter {
  /** Confluent-framed Avro of the envelope, its schema registered once per topic. */
  encode(topic: string, envelope: Envelope): Promise<Buffer>;
}

export function avroValueWriter(registry: SchemaRegistryClient): AvroValueWriter {
  const ids = new Map<string, Promise<number>>();
  const schema = JSON.stringify(ENVELOPE_SCHEMA);
  return {
    async encode(topic, envelope) {
      let id = ids.get(topic);
      if (id === undefined) {
        id = registry.register(`${topic}-value`, schema);
        ids.set(topic, id);
        id.catch(() => ids.delete(topic));
      }
      const converted = avroValueOf(envelope);
      if ('field' in converted) throw new TypeError(`${converted.field}: not a scalar`);
      return frame(await id, envelopeType.toBuffer(converted.value));
    },
  };
}
