import {
  SchemaNotFoundError,
  type SchemaRegistryClient,
} from '../../local/schema-registry/registry-client.js';
import { RegistryError, SchemaStore } from '../../local/schema-registry/store.js';

/**
 * The registry's own store behind the client interface, without HTTP: unit tests decode
 * against the real registration and compatibility rules without a server.
 */
export function inMemoryRegistry(store = new SchemaStore()): SchemaRegistryClient & {
  readonly store: SchemaStore;
} {
  return {
    store,
    register: async (subject, schema, schemaType) => store.register(subject, schema, schemaType),
    schemaById: async (id) => {
      try {
        const found = store.byId(id);
        return { schema: found.schema, schemaType: found.schemaType };
      } catch (err) {
        if (err instanceof RegistryError && err.status === 404) {
          throw new SchemaNotFoundError(err.message);
        }
        throw err;
      }
    },
  };
}
