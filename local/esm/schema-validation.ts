/**
 * The schema registry step of a Kafka event source mapping (provisioned mode only): before
 * a batch reaches the function, each record's validated attributes (KEY and/or VALUE, the
 * mapping's `SchemaValidationConfigs`) are looked up in the registry and deserialized.
 * With `EventRecordFormat` `JSON` the function then gets the JSON text (base64, like any
 * value) and `keySchemaMetadata`/`valueSchemaMetadata`. A record that fails goes to the
 * on-failure destination with the reason (`SCHEMA_NOT_FOUND`, `DESERIALIZATION_ERROR`)
 * and never reaches the function; the partition moves on
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-consume-kafka-events.html).
 *
 * Null keys and tombstones (null values) carry no schema and pass through unchanged.
 */
import type { DecodedBytes, SchemaFailureReason } from '../schema-registry/decoder.js';
import type { FetchedRecord } from './event-builder.js';

export const SchemaValidationAttributes = ['KEY', 'VALUE'] as const;
export type SchemaValidationAttribute = (typeof SchemaValidationAttributes)[number];

export interface SchemaValidation {
  /** which parts of each record the registry validates and decodes */
  readonly attributes: readonly SchemaValidationAttribute[];
  readonly decoder: { decode(bytes: Buffer): Promise<DecodedBytes> };
}

export interface RejectedRecord {
  readonly record: FetchedRecord;
  readonly reason: SchemaFailureReason;
  readonly message: string;
}

export interface ValidatedBatch {
  /** in offset order, attributes replaced by their JSON and the metadata set */
  readonly valid: readonly FetchedRecord[];
  readonly rejected: readonly RejectedRecord[];
}

/** Decodes the validated attributes of every record; throws when the registry cannot be
 *  reached (the caller retries the batch). */
export async function validateRecords(
  records: readonly FetchedRecord[],
  validation: SchemaValidation,
): Promise<ValidatedBatch> {
  const valid: FetchedRecord[] = [];
  const rejected: RejectedRecord[] = [];
  const wantsKey = validation.attributes.includes('KEY');
  const wantsValue = validation.attributes.includes('VALUE');
  for (const record of records) {
    let decoded: FetchedRecord = record;
    let failure: RejectedRecord | undefined;
    if (wantsKey && record.key !== null) {
      const key = await validation.decoder.decode(record.key);
      if (key.ok) decoded = { ...decoded, key: key.json, keySchemaMetadata: key.metadata };
      else failure = { record, reason: key.reason, message: `key: ${key.message}` };
    }
    if (failure === undefined && wantsValue && record.value !== null) {
      const value = await validation.decoder.decode(record.value);
      if (value.ok) {
        decoded = { ...decoded, value: value.json, valueSchemaMetadata: value.metadata };
      } else {
        failure = { record, reason: value.reason, message: `value: ${value.message}` };
      }
    }
    if (failure === undefined) valid.push(decoded);
    else rejected.push(failure);
  }
  return { valid, rejected };
}
