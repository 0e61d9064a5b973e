/**
 * Confluent's wire format, the framing every Confluent-compatible serializer writes
 * (Confluent Schema Registry docs, "Wire format"): one magic byte 0, the schema id as a
 * 4-byte big-endian integer, then the serialized data (Avro binary here).
 */

const MAGIC_BYTE = 0;
const HEADER_BYTES = 5;

/** Frames serialized data with the id of the schema it was written with. */
export function frame(schemaId: number, payload: Uint8Array): Buffer {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > 0x7fffffff) {
    throw new RangeError(`schema id must be a non-negative 32-bit integer, got ${schemaId}`);
  }
  const out = Buffer.alloc(HEADER_BYTES + payload.length);
  out.writeUInt8(MAGIC_BYTE, 0);
  out.writeInt32BE(schemaId, 1);
  out.set(payload, HEADER_BYTES);
  return out;
}

export type Unframed =
  | { readonly ok: true; readonly schemaId: number; readonly payload: Buffer }
  | { readonly ok: false; readonly message: string };

/** Splits framed bytes; a buffer too short or with another magic byte is not framed. */
export function unframe(bytes: Buffer): Unframed {
  if (bytes.length < HEADER_BYTES) {
    return { ok: false, message: `${bytes.length} bytes is shorter than the 5-byte header` };
  }
  const magic = bytes.readUInt8(0);
  if (magic !== MAGIC_BYTE) {
    return { ok: false, message: `magic byte is ${magic}, not ${MAGIC_BYTE}` };
  }
  return { ok: true, schemaId: bytes.readInt32BE(1), payload: bytes.subarray(HEADER_BYTES) };
}
