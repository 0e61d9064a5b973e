/** Size limits applied while decoding records; every one is configurable per handler. */
export interface DecodeLimits {
  /** largest accepted Kafka value in bytes (after base64) */
  readonly maxValueBytes: number;
  /** largest accepted Kafka key in bytes (after base64) */
  readonly maxKeyBytes: number;
  /** longest accepted entity id (`key`), in UTF-16 code units */
  readonly maxEntityKeyLength: number;
  /** longest accepted event id */
  readonly maxEventIdLength: number;
}

/**
 * Defaults: 1 MiB values (the MSK default `message.max.bytes` is ~1 MiB, and a DynamoDB
 * item cannot exceed 400 KB anyway), 4 KiB keys, and ids short enough that
 * `evt#<sink>#<id>` and `<entity>#<key>` stay far below DynamoDB's 2048-byte key limit.
 */
export const DEFAULT_DECODE_LIMITS: DecodeLimits = Object.freeze({
  maxValueBytes: 1024 * 1024,
  maxKeyBytes: 4096,
  maxEntityKeyLength: 1024,
  maxEventIdLength: 512,
});

/**
 * Deepest nesting of objects and arrays accepted in a value. JSON.parse takes any depth,
 * but the SDK's marshaller and JSON.stringify recurse: a value nested ~10,000 deep made
 * the DynamoDB sink throw RangeError (a bug, so the whole batch retried forever) instead
 * of quarantining one record. DynamoDB allows 32 levels and OpenSearch maps 20 by default;
 * past those a sink's store rejects the item as poison, below this the process survives.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Whether the object or array `value` nests objects/arrays deeper than `max` (itself at
 * depth 1). Recursive but bounded: it never descends more than `max + 1` levels, whatever
 * the input's depth, and allocates nothing (it runs on every decoded record).
 */
export function nestsDeeperThan(value: object, max: number): boolean {
  if (max < 1) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const child: unknown = value[i];
      if (typeof child === 'object' && child !== null && nestsDeeperThan(child, max - 1)) {
        return true;
      }
    }
    return false;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) {
    const child = record[key];
    // Own properties only, but `Object.hasOwn` is asked only of object children (a few
    // per record), not of every key: on the bench's ~1 KB envelopes the walk went from
    // 0.37 to 0.23 µs per record (`nestsDeeperThan` in bench/decode/micro.ts, two runs).
    if (
      typeof child === 'object' &&
      child !== null &&
      Object.hasOwn(record, key) &&
      nestsDeeperThan(child, max - 1)
    ) {
      return true;
    }
  }
  return false;
}
