/**
 * Avro data to the JSON the event source mapping hands a function when its schema
 * registry's `EventRecordFormat` is `JSON`. AWS documents that the record arrives "as a
 * standard JSON object" (https://docs.aws.amazon.com/lambda/latest/dg/services-consume-kafka-events.html)
 * but not how each Avro type is rendered; the emulator renders them as Kafka Connect's
 * JsonConverter does (docs/local-stack.md), so a Debezium event decodes to the same JSON
 * whichever converter wrote it:
 * - unions unwrapped (the value of the branch, `null` for the null branch);
 * - `bytes`/`fixed` (Debezium's `decimal` among them) as base64 strings;
 * - logical types as their underlying value (`timestamp-millis` a number of ms, …);
 * - records as objects, maps as objects, enums as their symbol.
 */
import avro from 'avsc';

/** Parses an Avro schema for decoding; every union is wrapped, so any union (ambiguous
 *  ones too) decodes, and {@link avroValueToJson} unwraps it by the type. */
export const avroTypeForJson = (schema: string): avro.Type =>
  avro.Type.forSchema(JSON.parse(schema) as avro.Schema, { wrapUnions: true });

interface Shaped {
  readonly typeName: string;
  readonly types?: readonly (avro.Type & Shaped)[];
  readonly fields?: ReadonlyArray<{ readonly name: string; readonly type: avro.Type & Shaped }>;
  readonly itemsType?: avro.Type & Shaped;
  readonly valuesType?: avro.Type & Shaped;
  readonly branchName?: string;
}

/** A value avsc decoded with `type` as plain JSON data. */
export function avroValueToJson(type: avro.Type, value: unknown): unknown {
  const t = type as avro.Type & Shaped;
  if (value === null || value === undefined) return null;
  switch (t.typeName) {
    case 'union:wrapped': {
      const [branch, inner] = Object.entries(value as Record<string, unknown>)[0] ?? [];
      const branchType = t.types?.find((b) => b.branchName === branch);
      return branchType === undefined ? null : avroValueToJson(branchType, inner);
    }
    case 'record':
    case 'error': {
      const out: Record<string, unknown> = {};
      const record = value as Record<string, unknown>;
      for (const f of t.fields ?? []) out[f.name] = avroValueToJson(f.type, record[f.name]);
      return out;
    }
    case 'array':
      return (value as unknown[]).map((v) => avroValueToJson(t.itemsType as avro.Type, v));
    case 'map': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        out[k] = avroValueToJson(t.valuesType as avro.Type, v);
      }
      return out;
    }
    case 'bytes':
    case 'fixed':
      return (value as Buffer).toString('base64');
    default:
      return value;
  }
}
