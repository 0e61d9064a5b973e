/**
 * On-demand list prices (US East, N. Virginia) used to turn counted requests into dollars.
 * Sources and the date they were read are in bench/README.md ("Prices"); change them
 * here only, with the source.
 */
export const PRICES = Object.freeze({
  /** DynamoDB on-demand, per million write request units (after the Nov 2024 cut) */
  dynamoWruPerMillion: 0.625,
  /** DynamoDB on-demand, per million read request units */
  dynamoRruPerMillion: 0.125,
  /** S3 Standard PUT, COPY, POST, LIST requests, per 1,000 */
  s3PutPer1000: 0.005,
  /** S3 Standard GET, HEAD, SELECT (and all other) requests, per 1,000 */
  s3GetPer1000: 0.0004,
  /** Lambda requests, per million invocations */
  lambdaRequestsPerMillion: 0.2,
  /** Lambda duration on arm64 (first pricing tier), per GB-second */
  lambdaArmGbSecond: 0.0000133334,
});

export type Prices = typeof PRICES;

/** Lambda memory the infra gives every sink (infra/constructs/house-function.ts). */
export const LAMBDA_MEMORY_MB = 512;

/** What one scenario consumed, before prices. */
export interface Usage {
  /** DynamoDB write request units (transactional items already doubled) */
  readonly wru: number;
  /** DynamoDB read request units (transactional reads already doubled) */
  readonly rru: number;
  /** S3 PUT/COPY/POST/LIST requests */
  readonly s3Put: number;
  /** S3 GET/HEAD requests */
  readonly s3Get: number;
  /** Lambda invocations */
  readonly invocations: number;
  /** summed billed duration of those invocations, milliseconds (the bench uses the
   *  handler's CPU time: see bench/README.md) */
  readonly durationMs: number;
  /** records delivered (duplicates included) */
  readonly events: number;
}

export interface Cost {
  readonly dynamo: number;
  readonly s3: number;
  readonly lambdaRequests: number;
  readonly lambdaDuration: number;
  readonly total: number;
}

/** Dollars for one million events at the usage rate observed. */
export function costPerMillionEvents(
  usage: Usage,
  memoryMb: number = LAMBDA_MEMORY_MB,
  prices: Prices = PRICES,
): Cost {
  if (usage.events <= 0) throw new RangeError('costPerMillionEvents: events must be positive');
  const scale = 1_000_000 / usage.events;
  const dynamo =
    ((usage.wru * prices.dynamoWruPerMillion + usage.rru * prices.dynamoRruPerMillion) / 1e6) *
    scale;
  const s3 =
    ((usage.s3Put * prices.s3PutPer1000 + usage.s3Get * prices.s3GetPer1000) / 1e3) * scale;
  const lambdaRequests = ((usage.invocations * prices.lambdaRequestsPerMillion) / 1e6) * scale;
  // Lambda bills duration rounded up to the millisecond, per invocation; durationMs is a
  // sum of already-rounded invocations.
  const gbSeconds = (memoryMb / 1024) * (usage.durationMs / 1000);
  const lambdaDuration = gbSeconds * prices.lambdaArmGbSecond * scale;
  return {
    dynamo,
    s3,
    lambdaRequests,
    lambdaDuration,
    total: dynamo + s3 + lambdaRequests + lambdaDuration,
  };
}
