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
import { parseProtobufSchema } from './protobuf-json.js';

export const SchemaTypes = ['AVRO', 'PROTOBUF'] as const;
export type SchemaType = (typeof SchemaTypes)[number];

export interface StoredSchema {
  readonly id: number;
  readonly schema: string;
  readonly schemaType: SchemaType;
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

/** A schema's identity: Avro's Parsing Canonical Form (whitespace and docs aside); a
 *  .proto file's text. Validates the schema on the way. */
function identity(schema: string, schemaType: SchemaType): string {
  if (schemaType === 'AVRO') return `AVRO:${JSON.stringify(parseAvro(schema).schema())}`;
  try {
    parseProtobufSchema(schema);
  } catch (err) {
    throw new RegistryError(422, 42201, `Invalid schema: ${(err as Error).message}`);
  }
  return `PROTOBUF:${schema.trim()}`;
}

/** BACKWARD: the new schema reads data written with the latest (Avro schema resolution).
 *  A subject keeps one schema type; Protobuf compatibility is not checked. */
function checkCompatible(
  subject: string,
  latest: StoredSchema,
  schema: string,
  type: SchemaType,
): void {
  if (latest.schemaType !== type) {
    throw new RegistryError(
      409,
      409,
      `Subject "${subject}" holds ${latest.schemaType} schemas, not ${type}`,
    );
  }
  if (type !== 'AVRO') return;
  try {
    parseAvro(schema).createResolver(parseAvro(latest.schema));
  } catch (err) {
    throw new RegistryError(
      409,
      409,
      `Schema being registered is incompatible with an earlier schema for subject "${subject}" (BACKWARD): ${(err as Error).message}`,
    );
  }
}

export class SchemaStore {
  constructor(private readonly state: StoreState = emptyState()) {}

  get snapshot(): StoreState {
    return this.state;
  }

  /** Registers `schema` under `subject`; answers its id (the existing one if known). */
  register(subject: string, schema: string, schemaType = 'AVRO'): number {
    if (!(SchemaTypes as readonly string[]).includes(schemaType)) {
      throw new RegistryError(422, 42201, `Invalid schema type ${schemaType}: AVRO or PROTOBUF`);
    }
    const type = schemaType as SchemaType;
    const form = identity(schema, type);
    const versions = this.state.subjects[subject] ?? [];
    const existing = this.state.schemas.find((s) => identity(s.schema, s.schemaType) === form);
    if (existing !== undefined && versions.includes(existing.id)) return existing.id;
    const latestId = versions[versions.length - 1];
    const latest = latestId === undefined ? undefined : this.byId(latestId);
    if (latest !== undefined) checkCompatible(subject, latest, schema, type);
    const id = existing?.id ?? this.state.schemas.length + 1;
    if (existing === undefined) this.state.schemas.push({ id, schema, schemaType: type });
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
