import {
  SchemaNotFoundError,
  type SchemaRegistryClient,
} from '../../local/schema-registry/registry-client.js';

/**
 * A registry client over a map, for unit tests of decoding: ids in registration order,
 * one id per (type, text), no compatibility rules (the stack's Apicurio Registry enforces
 * those; the integration tests go through it).
 */
export function inMemoryRegistry(): SchemaRegistryClient & {
  readonly subjects: ReadonlyMap<string, readonly number[]>;
} {
  const schemas: Array<{ schema: string; schemaType: string }> = [];
  const subjects = new Map<string, number[]>();
  return {
    subjects,
    register: async (subject, schema, schemaType = 'AVRO') => {
      let index = schemas.findIndex((s) => s.schema === schema && s.schemaType === schemaType);
      if (index === -1) index = schemas.push({ schema, schemaType }) - 1;
      const id = index + 1;
      const versions = subjects.get(subject) ?? [];
      if (!versions.includes(id)) subjects.set(subject, [...versions, id]);
      return id;
    },
    schemaById: async (id) => {
      const found = schemas[id - 1];
      if (found === undefined) throw new SchemaNotFoundError(`schema id ${id}: 404`);
      return found;
    },
  };
}
