/**
 * `MaximumRecordAgeInSeconds` of a Kafka event source mapping: the oldest record Lambda
 * still sends to the function (AWS Lambda developer guide, "Configuring error handling
 * controls for Kafka event sources"). -1 (the default) is infinite.
 *
 * AWS does not say which clock a Kafka record's age is read from; the only time a Kafka
 * record carries is its timestamp (the producer's `CreateTime`, or the broker's
 * `LogAppendTime` when the topic says so), so that is the one used here, as Lambda uses a
 * Kinesis record's arrival timestamp.
 */
/** -1 or undefined: infinite. AWS accepts 60..604800; the emulator accepts any positive age
 *  so tests need not wait a minute. */
export function validateMaximumRecordAge(seconds: number | undefined): void {
  if (seconds === undefined || seconds === -1) return;
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new RangeError(`maximumRecordAgeSeconds must be -1 or positive, got ${seconds}`);
  }
}

/** True when the record is older than the limit at `now` (ms epoch). */
export function isExpired(
  record: { readonly timestamp: number },
  now: number,
  maxAgeSeconds?: number,
): boolean {
  if (maxAgeSeconds === undefined || maxAgeSeconds === -1) return false;
  return now - record.timestamp > maxAgeSeconds * 1_000;
}
