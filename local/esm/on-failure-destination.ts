/**
 * The S3 on-failure destination of a Kafka event source mapping: when retries are
 * exhausted, Lambda writes one JSON object per failed batch holding the invocation record
 * (request/response context, `KafkaBatchInfo`) and, for S3 only, the whole event as an
 * escaped JSON string in `payload` (AWS Lambda developer guide, "Capturing discarded
 * batches for Amazon MSK and self-managed Apache Kafka event sources").
 */
import { randomUUID } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { MskEvent } from '../../functions/core/msk-event.js';
import type { FetchedRecord } from './event-builder.js';

/**
 * Why records were given up on. `RetryAttemptsExhausted` is the condition of AWS's
 * documented examples; for records older than `MaximumRecordAgeInSeconds` the emulator
 * writes `RecordAgeExceeded` (see docs/pipeline.md: AWS documents that such records go
 * to the destination, not the condition string they carry).
 */
export const DiscardConditions = [
  'RetryAttemptsExhausted',
  'RecordAgeExceeded',
  // The schema registry step's reason codes (schema-validation.ts): AWS documents that such
  // a record goes to the destination "with the reason code"; the emulator writes it here.
  'SCHEMA_NOT_FOUND',
  'DESERIALIZATION_ERROR',
] as const;
export type DiscardCondition = (typeof DiscardConditions)[number];

export interface FailedBatch extends DiscardedAttempts {
  readonly eventSourceArn: string;
  readonly bootstrapServers: string;
  /** the event of the last attempt, restricted to the records given up on */
  readonly event: MskEvent;
  readonly records: readonly FetchedRecord[];
}

/** What every event source's invocation record starts with (Kafka, DynamoDB Streams). */
export interface InvocationContext {
  readonly requestContext: {
    readonly requestId: string;
    readonly functionArn: string;
    readonly condition: DiscardCondition;
    readonly approximateInvokeCount: number;
  };
  readonly responseContext: {
    readonly statusCode: number;
    readonly executedVersion: string;
    readonly functionError?: string;
  };
  readonly version: '1.0';
  readonly timestamp: string;
}

/** How the last attempt on the discarded records went. */
export interface DiscardedAttempts {
  readonly functionArn: string;
  readonly approximateInvokeCount: number;
  /** the last attempt's failure: a function error, or none (a partial batch response) */
  readonly functionError: string | undefined;
  /** @default 'RetryAttemptsExhausted' */
  readonly condition?: DiscardCondition;
}

export function invocationContext(
  attempts: DiscardedAttempts,
  now: Date,
  requestId: string = randomUUID(),
): InvocationContext {
  return {
    requestContext: {
      requestId,
      functionArn: attempts.functionArn,
      condition: attempts.condition ?? 'RetryAttemptsExhausted',
      approximateInvokeCount: attempts.approximateInvokeCount,
    },
    responseContext: {
      statusCode: 200,
      executedVersion: '$LATEST',
      ...(attempts.functionError === undefined ? {} : { functionError: attempts.functionError }),
    },
    version: '1.0',
    timestamp: now.toISOString(),
  };
}

export interface InvocationRecord extends InvocationContext {
  readonly KafkaBatchInfo: {
    readonly batchSize: number;
    readonly eventSourceArn: string;
    readonly bootstrapServers: string;
    readonly payloadSize: number;
    readonly recordsInfo: Readonly<
      Record<
        string,
        {
          readonly firstRecordOffset: string;
          readonly lastRecordOffset: string;
          readonly firstRecordTimestamp: string;
          readonly lastRecordTimestamp: string;
        }
      >
    >;
  };
  /** the whole event, as a JSON string */
  readonly payload: string;
}

export function buildInvocationRecord(
  batch: FailedBatch,
  now: Date,
  requestId: string = randomUUID(),
): InvocationRecord {
  const payload = JSON.stringify(batch.event);
  const recordsInfo: Record<string, InvocationRecord['KafkaBatchInfo']['recordsInfo'][string]> = {};
  for (const record of batch.records) {
    const id = `${record.topic}-${record.partition}`;
    const iso = new Date(record.timestamp).toISOString();
    const info = recordsInfo[id];
    recordsInfo[id] =
      info === undefined
        ? {
            firstRecordOffset: String(record.offset),
            lastRecordOffset: String(record.offset),
            firstRecordTimestamp: iso,
            lastRecordTimestamp: iso,
          }
        : { ...info, lastRecordOffset: String(record.offset), lastRecordTimestamp: iso };
  }
  return {
    ...invocationContext(batch, now, requestId),
    KafkaBatchInfo: {
      batchSize: batch.records.length,
      eventSourceArn: batch.eventSourceArn,
      bootstrapServers: batch.bootstrapServers,
      payloadSize: Buffer.byteLength(payload),
      recordsInfo,
    },
    payload,
  };
}

/**
 * Object key, after the layout Lambda uses for stream destinations:
 * `aws/lambda/<mapping uuid>/<topic-partition or shard id>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<uuid>`.
 */
export function destinationKey(
  mappingId: string,
  partitionId: string,
  now: Date,
  id: string = randomUUID(),
): string {
  const iso = now.toISOString();
  const [date] = iso.split('T');
  const stamp = iso.slice(0, 19).replace(/:/g, '.');
  return `aws/lambda/${mappingId}/${partitionId}/${(date ?? '').replace(/-/g, '/')}/${stamp}-${id}`;
}

export interface FailureDestination {
  send(batch: FailedBatch): Promise<string>;
}

export class S3FailureDestination implements FailureDestination {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly mappingId: string,
  ) {}

  async send(batch: FailedBatch): Promise<string> {
    const now = new Date();
    const first = batch.records[0];
    const partitionId = first === undefined ? 'unknown' : `${first.topic}-${first.partition}`;
    return putInvocationRecord(this.s3, this.bucket, {
      key: destinationKey(this.mappingId, partitionId, now),
      record: buildInvocationRecord(batch, now),
    });
  }
}

/** Writes one invocation record as a JSON object; answers its key. */
export async function putInvocationRecord(
  s3: S3Client,
  bucket: string,
  { key, record }: { readonly key: string; readonly record: InvocationContext },
): Promise<string> {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: JSON.stringify(record),
      ContentType: 'application/json',
    }),
  );
  return key;
}

/**
 * Sends to the destination until it succeeds (backoff up to 5 s) or `keepTrying()` turns
 * false (the mapping stopped): a shard or partition must not move past records that are
 * neither applied nor recorded. Answers the key, or undefined when it gave up.
 */
export async function sendUntilStored(
  send: () => Promise<string>,
  keepTrying: () => boolean,
  onError: (error: Error) => void,
): Promise<string | undefined> {
  for (let attempt = 0; keepTrying(); attempt++) {
    try {
      return await send();
    } catch (err) {
      onError(err as Error);
      await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 200 * 2 ** attempt)));
    }
  }
  return undefined;
}
