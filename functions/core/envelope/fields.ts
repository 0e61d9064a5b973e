import { isUtf8 } from 'node:buffer';
import { PoisonError } from '../errors.js';
import type { RecordCoordinates } from '../record.js';

/** Raises a poison error naming the offending field. */
export function poison(
  coords: RecordCoordinates,
  reason: string,
  field: string,
  message: string,
  cause?: unknown,
): never {
  throw new PoisonError(reason, `${field}: ${message}`, {
    context: { ...coords, field },
    ...(cause === undefined ? {} : { cause }),
  });
}

export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** JSON type name for messages: `array`, `null`, `string`, ... */
export const typeName = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes UTF-8 strictly: invalid sequences are poison, never U+FFFD. Same result as
 * WHATWG's fatal decoder (a leading byte order mark dropped), but validated by
 * `isUtf8` (simdutf) and decoded by `toString`: Node 20's TextDecoder returns a two-byte
 * string that JSON.parse reads ~15% slower. Invalid input goes through the fatal decoder
 * itself, so the poison carries its error as the cause.
 */
export function decodeUtf8(bytes: Buffer, coords: RecordCoordinates, field: string): string {
  if (isUtf8(bytes)) {
    return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf
      ? bytes.toString('utf8', 3)
      : bytes.toString('utf8');
  }
  try {
    return utf8.decode(bytes);
  } catch (err) {
    return poison(coords, 'invalid-utf8', field, 'is not valid UTF-8', err);
  }
}

export function parseJson(text: string, coords: RecordCoordinates, field: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    return poison(
      coords,
      'invalid-json',
      field,
      `is not valid JSON (${(err as Error).message})`,
      err,
    );
  }
}

/** Unwraps the Kafka Connect JSON converter's `{ schema, payload }` envelope. */
export function unwrapSchema(value: unknown): unknown {
  if (isPlainObject(value) && 'schema' in value && 'payload' in value) return value.payload;
  return value;
}

export function requireString(
  obj: Record<string, unknown>,
  field: string,
  coords: RecordCoordinates,
  maxLength: number,
): string {
  const v = obj[field];
  if (v === undefined || v === null) return poison(coords, 'missing-field', field, 'is required');
  if (typeof v !== 'string')
    return poison(coords, 'invalid-field', field, `must be a string, got ${typeName(v)}`);
  if (v.length === 0) return poison(coords, 'invalid-field', field, 'must not be empty');
  if (v.length > maxLength) {
    return poison(
      coords,
      'invalid-field',
      field,
      `is ${v.length} characters, the limit is ${maxLength}`,
    );
  }
  return v;
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

export function requireTimestamp(
  obj: Record<string, unknown>,
  field: string,
  coords: RecordCoordinates,
): string {
  const v = obj[field];
  if (v === undefined || v === null) return poison(coords, 'missing-field', field, 'is required');
  if (typeof v !== 'string')
    return poison(coords, 'invalid-field', field, `must be an ISO-8601 string, got ${typeName(v)}`);
  if (!ISO_8601.test(v) || !Number.isFinite(Date.parse(v))) {
    return poison(
      coords,
      'invalid-field',
      field,
      `must be an ISO-8601 date-time with offset, got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

/** Epoch milliseconds → ISO-8601; null when not a representable instant. */
export function isoFromEpochMs(ms: unknown): string | null {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return null;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}
