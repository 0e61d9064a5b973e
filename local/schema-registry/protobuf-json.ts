/**
 * Confluent-framed Protobuf to JSON. After the magic byte and the schema id, Confluent's
 * Protobuf serializer writes the *message indexes* (which message of the .proto file: a
 * zigzag-varint count, then one zigzag varint per nesting level; the common case, the
 * first top-level message, is the single byte 0), then the Protobuf bytes (Confluent
 * Schema Registry docs, "Wire format").
 *
 * The JSON is Protobuf's canonical JSON mapping, as protobufjs renders it (and Java's
 * JsonFormat prints it): lowerCamelCase field names, 64-bit integers as strings, enums by
 * name, bytes as base64, fields at their default value omitted. AWS documents "a standard
 * JSON object", not the mapping (docs/pipeline.md).
 */
import protobuf from 'protobufjs';

/** The message types of a .proto file in declaration order (what the indexes count). */
export interface ProtobufSchema {
  readonly messages: readonly protobuf.Type[];
}

export function parseProtobufSchema(text: string): ProtobufSchema {
  const parsed = protobuf.parse(text);
  const scope =
    parsed.package === undefined
      ? parsed.root
      : (parsed.root.lookup(parsed.package) ?? parsed.root);
  const messages = (scope as protobuf.Namespace).nestedArray.filter(
    (n): n is protobuf.Type => n instanceof protobuf.Type,
  );
  if (messages.length === 0) throw new Error('the schema declares no message');
  return { messages };
}

/** Zigzag varint at `at`: its value and the offset after it. */
function readZigzag(bytes: Uint8Array, at: number): { value: number; next: number } {
  let shift = 0;
  let raw = 0;
  for (let i = at; i < bytes.length && shift < 35; i++) {
    const b = bytes[i] as number;
    raw += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return { value: raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2, next: i + 1 };
    shift += 7;
  }
  throw new Error('message indexes: truncated varint');
}

const writeZigzag = (n: number): number[] => {
  let raw = n >= 0 ? n * 2 : -n * 2 - 1;
  const out: number[] = [];
  do {
    const b = raw & 0x7f;
    raw = Math.floor(raw / 128);
    out.push(raw > 0 ? b | 0x80 : b);
  } while (raw > 0);
  return out;
};

/** The message indexes as Confluent's serializer writes them (`[0]` → the byte 0). */
export function encodeMessageIndexes(indexes: readonly number[]): Buffer {
  if (indexes.length === 1 && indexes[0] === 0) return Buffer.from([0]);
  return Buffer.from([...writeZigzag(indexes.length), ...indexes.flatMap(writeZigzag)]);
}

/** Decodes the payload after the schema id; throws on anything undecodable. */
export function protobufToJson(schema: ProtobufSchema, payload: Buffer): unknown {
  const count = readZigzag(payload, 0);
  let at = count.next;
  const indexes: number[] = [];
  if (count.value === 0) indexes.push(0);
  for (let i = 0; i < count.value; i++) {
    const index = readZigzag(payload, at);
    indexes.push(index.value);
    at = index.next;
  }
  let type: protobuf.Type | undefined = schema.messages[indexes[0] ?? -1];
  for (const index of indexes.slice(1)) {
    type = type?.nestedArray.filter((n): n is protobuf.Type => n instanceof protobuf.Type)[index];
  }
  if (type === undefined)
    throw new Error(`message indexes ${JSON.stringify(indexes)} name no message`);
  const message = type.decode(payload.subarray(at));
  return type.toObject(message, { longs: String, enums: String, bytes: String });
}
