import type { MskEventRecord, MskSchemaMetadata } from './msk-event.js';

/** One poison record as stored in quarantine: enough to understand it and to replay it. */
export interface QuarantineEntry {
  readonly sink: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** short machine-readable reason (PoisonError.reason) */
  readonly reason: string;
  readonly error: { readonly name: string; readonly message: string; readonly field?: string };
  /** the record exactly as Lambda delivered it (base64 key/value, signed-byte headers) */
  readonly raw: MskEventRecord;
  /** the schemas the mapping's schema registry integration decoded the key and value with
   *  (absent on topics without one): which producer schema wrote the poison */
  readonly schema?: RecordSchemas;
  readonly quarantinedAt: string;
}

export interface RecordSchemas {
  readonly key?: MskSchemaMetadata;
  readonly value?: MskSchemaMetadata;
}

const metadataOf = (v: unknown): MskSchemaMetadata | undefined => {
  if (typeof v !== 'object' || v === null) return undefined;
  const { dataFormat, schemaId } = v as Record<string, unknown>;
  if (typeof dataFormat !== 'string') return undefined;
  return typeof schemaId === 'string' ? { dataFormat, schemaId } : { dataFormat };
};

/**
 * The `keySchemaMetadata` / `valueSchemaMetadata` Lambda added to a record it decoded
 * through a schema registry (https://docs.aws.amazon.com/lambda/latest/dg/services-consume-kafka-events.html),
 * kept only when well-formed (the event is input); undefined when there is none.
 */
export function recordSchemas(raw: MskEventRecord): RecordSchemas | undefined {
  const key = metadataOf(raw.keySchemaMetadata);
  const value = metadataOf(raw.valueSchemaMetadata);
  if (key === undefined && value === undefined) return undefined;
  return { ...(key === undefined ? {} : { key }), ...(value === undefined ? {} : { value }) };
}

export interface Quarantine {
  /** Stores each entry under a key derived from (sink, topic, partition, offset), so a
   *  redelivered poison record overwrites its own entry: quarantined exactly once. */
  put(entries: readonly QuarantineEntry[]): Promise<void>;
}
