import { describe, expect, it } from 'vitest';
import { RegistryError, SchemaStore } from '../../../../local/schema-registry/store.js';
import { debeziumSchemas } from '../../../support/debezium-avro.js';

const record = (fields: object[]) =>
  JSON.stringify({ type: 'record', name: 'Row', namespace: 't', fields });

describe('the local schema registry store', () => {
  it('gives one id per schema across subjects and answers the same id on re-registration', () => {
    const store = new SchemaStore();
    const a = store.register('a-value', debeziumSchemas.valueV1);
    expect(store.register('a-value', debeziumSchemas.valueV1)).toBe(a);
    // Whitespace is not identity: the canonical form is.
    expect(store.register('b-value', JSON.stringify(JSON.parse(debeziumSchemas.valueV1)))).toBe(a);
    expect(store.versions('a-value')).toEqual([1]);
    expect(store.versions('b-value')).toEqual([1]);
  });

  it('accepts a field added with a default as a new version (BACKWARD)', () => {
    const store = new SchemaStore();
    const v1 = store.register('c-value', debeziumSchemas.valueV1);
    const v2 = store.register('c-value', debeziumSchemas.valueV2);
    expect(v2).not.toBe(v1);
    expect(store.version('c-value', 'latest')).toMatchObject({ version: 2, id: v2 });
    expect(store.byId(v1).schema).toBe(debeziumSchemas.valueV1);
  });

  it('refuses a field added without a default with 409', () => {
    const store = new SchemaStore();
    store.register('d-value', record([{ name: 'a', type: 'int' }]));
    const attempt = () =>
      store.register(
        'd-value',
        record([
          { name: 'a', type: 'int' },
          { name: 'b', type: 'string' },
        ]),
      );
    expect(attempt).toThrow(RegistryError);
    expect(attempt).toThrow(/incompatible/);
  });

  it('answers 40403 for an unknown id and 42201 for a schema that is not Avro', () => {
    const store = new SchemaStore();
    expect(() => store.byId(7)).toThrow(expect.objectContaining({ status: 404, errorCode: 40403 }));
    expect(() => store.register('e', '{"type":"nope"}')).toThrow(
      expect.objectContaining({ status: 422, errorCode: 42201 }),
    );
  });
});
