/**
 * The state of the local schema registry, free of I/O: subjects with their versions and
 * the global schema ids, following the Confluent Schema Registry's rules for Avro:
 * - one id per distinct schema (by Avro canonical form) across all subjects, so a schema
 *   registered under two subjects has one id, and registering it again answers its id;
 * - versions per subject start at 1;
 * - a new version must be BACKWARD compatible with the latest one (the registry's default
 *   compatibility): a reader with the new schema can read data written with the old one,
 *   i.e. Avro schema resolution from old to new succeeds (a field added needs a default).
 */
import avro from 'avsc';

export interface StoredSchema {
  readonly id: number;
  readonly schema: string;
  readonly schemaType: 'AVRO';
}

export interface StoreState {
  readonly schemas: StoredSchema[];
  /** subject → schema ids, version n at index n-1 */
  readonly subjects: Record<string, number[]>;
}

/** A refusal with Confluent's HTTP status and `error_code`. */
export class RegistryError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'RegistryError';
  }
}

export const emptyState = (): StoreState => ({ schemas: [], subjects: {} });

const parseAvro = (text: string): avro.Type => {
  try {
    return avro.Type.forSchema(JSON.parse(text) as avro.Schema, { wrapUnions: true });
  } catch (err) {
    throw new RegistryError(422, 42201, `Invalid schema: ${(err as Error).message}`);
  }
};

/** Parsing Canonical Form (Avro spec): the identity of a schema, whitespace and docs aside. */
const canonical = (type: avro.Type): string => JSON.stringify(type.schema());

export class SchemaStore {
  constructor(private readonly state: StoreState = emptyState()) {}

  get snapshot(): StoreState {
    return this.state;
  }

  /** Registers `schema` under `subject`; answers its id (the existing one if known). */
  register(subject: string, schema: string, schemaType = 'AVRO'): number {
    if (schemaType !== 'AVRO') {
      throw new RegistryError(422, 42201, `Invalid schema type ${schemaType}: only AVRO is served`);
    }
    const type = parseAvro(schema);
    const form = canonical(type);
    const versions = this.state.subjects[subject] ?? [];
    const existing = this.state.schemas.find((s) => canonical(parseAvro(s.schema)) === form);
    if (existing !== undefined && versions.includes(existing.id)) return existing.id;
    const latestId = versions[versions.length - 1];
    if (latestId !== undefined) {
      const latest = this.byId(latestId);
      try {
        type.createResolver(parseAvro(latest.schema));
      } catch (err) {
        throw new RegistryError(
          409,
          409,
          `Schema being registered is incompatible with an earlier schema for subject "${subject}" (BACKWARD): ${(err as Error).message}`,
        );
      }
    }
    const id = existing?.id ?? this.state.schemas.length + 1;
    if (existing === undefined) this.state.schemas.push({ id, schema, schemaType: 'AVRO' });
    this.state.subjects[subject] = [...versions, id];
    return id;
  }

  byId(id: number): StoredSchema {
    const found = this.state.schemas.find((s) => s.id === id);
    if (found === undefined) throw new RegistryError(404, 40403, 'Schema not found');
    return found;
  }

  subjects(): string[] {
    return Object.keys(this.state.subjects);
  }

  versions(subject: string): number[] {
    const ids = this.state.subjects[subject];
    if (ids === undefined) throw new RegistryError(404, 40401, `Subject '${subject}' not found.`);
    return ids.map((_, i) => i + 1);
  }

  version(subject: string, version: string): { subject: string; version: number } & StoredSchema {
    const ids = this.state.subjects[subject];
    if (ids === undefined) throw new RegistryError(404, 40401, `Subject '${subject}' not found.`);
    const n = version === 'latest' ? ids.length : Number(version);
    const id = Number.isInteger(n) ? ids[n - 1] : undefined;
    if (id === undefined) throw new RegistryError(404, 40402, `Version ${version} not found.`);
    return { subject, version: n, ...this.byId(id) };
  }
}
