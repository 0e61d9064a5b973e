/**
 * The S3 on-failure destination of a DynamoDB Streams event source mapping. AWS Lambda
 * developer guide, "Retaining discarded records for a DynamoDB event source in Lambda"
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html): one JSON
 * document per discarded batch with the invocation's metadata (`requestContext`,
 * `responseContext`, `version`, `timestamp`) and `DDBStreamBatchInfo` (`shardId`,
 * `startSequenceNumber`, `endSequenceNumber`, `approximateArrivalOfFirstRecord`,
 * `approximateArrivalOfLastRecord`, `batchSize`, `streamArn`); "for Amazon S3
 * destinations, Lambda also sends the entire invocation record along with the metadata",
 * which the emulator writes as `payload` (the event as a JSON string), as the Kafka
 * destination does (the guide shows no S3 example for DynamoDB).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import {
  type DiscardedAttempts,
  destinationKey,
  type InvocationContext,
  invocationContext,
  putInvocationRecord,
} from '../on-failure-destination.js';
import type { ShardRecord } from './shard-record.js';

export interface FailedStreamBatch extends DiscardedAttempts {
  readonly streamArn: string;
  readonly shardId: string;
  /** the records given up on, in sequence order */
  readonly records: readonly ShardRecord[];
  /** the event of those records */
  readonly event: DynamoDBStreamEvent;
}

export interface StreamInvocationRecord extends InvocationContext {
  readonly DDBStreamBatchInfo: {
    readonly shardId: string;
    readonly startSequenceNumber: string;
    readonly endSequenceNumber: string;
    readonly approximateArrivalOfFirstRecord: string;
    readonly approximateArrivalOfLastRecord: string;
    readonly batchSize: number;
    readonly streamArn: string;
  };
  /** the whole event, as a JSON string (S3 destinations only) */
  readonly payload: string;
}

/** ISO-8601 to the second, as AWS's examples show (`2019-11-14T00:38:06Z`). */
const isoSeconds = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19)}Z`;

export function buildStreamInvocationRecord(
  batch: FailedStreamBatch,
  now: Date,
  requestId?: string,
): StreamInvocationRecord {
  const first = batch.records[0];
  const last = batch.records[batch.records.length - 1];
  if (first === undefined || last === undefined) {
    throw new RangeError(`${batch.shardId}: an invocation record needs at least one record`);
  }
  return {
    ...invocationContext(batch, now, requestId),
    DDBStreamBatchInfo: {
      shardId: batch.shardId,
      startSequenceNumber: first.sequenceNumber,
      endSequenceNumber: last.sequenceNumber,
      approximateArrivalOfFirstRecord: isoSeconds(first.timestamp),
      approximateArrivalOfLastRecord: isoSeconds(last.timestamp),
      batchSize: batch.records.length,
      streamArn: batch.streamArn,
    },
    payload: JSON.stringify(batch.event),
  };
}

export interface StreamFailureDestination {
  send(batch: FailedStreamBatch): Promise<string>;
}

/** Keys: `aws/lambda/<mapping uuid>/<shard id>/YYYY/MM/DD/<timestamp>-<uuid>`. */
export class S3StreamFailureDestination implements StreamFailureDestination {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly mappingId: string,
  ) {}

  async send(batch: FailedStreamBatch): Promise<string> {
    const now = new Date();
    return putInvocationRecord(this.s3, this.bucket, {
      key: destinationKey(this.mappingId, batch.shardId, now),
      record: buildStreamInvocationRecord(batch, now),
    });
  }
}
