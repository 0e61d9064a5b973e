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

/** Parses an Avro schema for decoding to plain JSON (unions unwrapped, logical types raw). */
export const avroTypeForJson = (schema: string): avro.Type =>
  avro.Type.forSchema(JSON.parse(schema) as avro.Schema, { wrapUnions: false });

/** A decoded Avro value (avsc) as plain JSON data. */
export function avroValueToJson(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (Array.isArray(value)) return value.map(avroValueToJson);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = avroValueToJson(v);
    return out;
  }
  return value;
}
