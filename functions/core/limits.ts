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
