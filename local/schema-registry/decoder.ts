/**
 * Decoding of Confluent-framed Avro and Protobuf, as Lambda's schema registry integration does it
 * before invoking (https://docs.aws.amazon.com/lambda/latest/dg/services-consume-kafka-events.html,
 * "How Lambda performs schema validation on Kafka messages"): look the schema up by the
 * id in the frame, deserialize, and deliver JSON. Its two documented failure reasons:
 * - `SCHEMA_NOT_FOUND`: the registry has no schema for the message's id;
 * - `DESERIALIZATION_ERROR`: the bytes cannot be deserialized (no Confluent frame, data
 *   that does not match the schema, trailing bytes).
 * A registry that cannot be reached is neither: the mapping retries (it throws
 * {@link RegistryUnavailableError}).
 */
import type avro from 'avsc';
import type { MskSchemaMetadata as SchemaMetadata } from '../../functions/core/msk-event.js';
import { avroTypeForJson, avroValueToJson } from './avro-json.js';
import { type ProtobufSchema, parseProtobufSchema, protobufToJson } from './protobuf-json.js';
import { SchemaNotFoundError, type SchemaRegistryClient } from './registry-client.js';
import { unframe } from './wire-format.js';

const SchemaFailureReasons = ['SCHEMA_NOT_FOUND', 'DESERIALIZATION_ERROR'] as const;
export type SchemaFailureReason = (typeof SchemaFailureReasons)[number];

export type DecodedBytes =
  | { readonly ok: true; readonly json: Buffer; readonly metadata: SchemaMetadata }
  | { readonly ok: false; readonly reason: SchemaFailureReason; readonly message: string };

type Decoding =
  | { readonly kind: 'avro'; readonly type: avro.Type }
  | { readonly kind: 'protobuf'; readonly schema: ProtobufSchema }
  | string;

export class ConfluentRecordDecoder {
  /** parsed schemas by id; a miss is not cached (the schema may be registered later) */
  private readonly types = new Map<number, Decoding>();

  constructor(private readonly registry: SchemaRegistryClient) {}

  async decode(bytes: Buffer): Promise<DecodedBytes> {
    const framed = unframe(bytes);
    if (!framed.ok) return { ok: false, reason: 'DESERIALIZATION_ERROR', message: framed.message };
    const type = await this.typeOf(framed.schemaId);
    if (type === undefined) {
      return {
        ok: false,
        reason: 'SCHEMA_NOT_FOUND',
        message: `schema id ${framed.schemaId} is not in the registry`,
      };
    }
    if (typeof type === 'string') {
      return { ok: false, reason: 'DESERIALIZATION_ERROR', message: type };
    }
    let json: unknown;
    try {
      json =
        type.kind === 'avro'
          ? avroValueToJson(type.type, type.type.fromBuffer(framed.payload))
          : protobufToJson(type.schema, framed.payload);
    } catch (err) {
      return {
        ok: false,
        reason: 'DESERIALIZATION_ERROR',
        message: `schema id ${framed.schemaId}: ${(err as Error).message}`,
      };
    }
    return {
      ok: true,
      json: Buffer.from(JSON.stringify(json), 'utf8'),
      metadata: {
        dataFormat: type.kind === 'avro' ? 'AVRO' : 'PROTOBUF',
        schemaId: String(framed.schemaId),
      },
    };
  }

  /** How to decode the schema's data; undefined when the registry has none; a string when
   *  unusable. */
  private async typeOf(id: number): Promise<Decoding | undefined> {
    const cached = this.types.get(id);
    if (cached !== undefined) return cached;
    let found: Awaited<ReturnType<SchemaRegistryClient['schemaById']>>;
    try {
      found = await this.registry.schemaById(id);
    } catch (err) {
      if (err instanceof SchemaNotFoundError) return undefined;
      throw err;
    }
    let type: Decoding;
    try {
      if (found.schemaType === 'AVRO') type = { kind: 'avro', type: avroTypeForJson(found.schema) };
      else if (found.schemaType === 'PROTOBUF') {
        type = { kind: 'protobuf', schema: parseProtobufSchema(found.schema) };
      } else
        type = `schema id ${id} is ${found.schemaType}; the local mapping decodes AVRO and PROTOBUF`;
    } catch (err) {
      type = `schema id ${id} cannot be parsed: ${(err as Error).message}`;
    }
    this.types.set(id, type);
    return type;
  }
}
