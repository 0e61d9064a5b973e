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

/** Whether `value` nests objects/arrays deeper than `max` (iterative: any input depth). */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [node, depth] = top;
    if (depth > max) return true;
    const children = Array.isArray(node) ? node : Object.values(node as object);
    for (const child of children) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}
