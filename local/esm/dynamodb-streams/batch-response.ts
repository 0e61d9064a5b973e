/**
 * How a DynamoDB Streams event source mapping reads the function's answer
 * (`ReportBatchItemFailures` on). AWS Lambda developer guide, "Configuring partial batch
 * response with DynamoDB and Lambda"
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html):
 * - the answer is `{ batchItemFailures: [{ itemIdentifier: "<SequenceNumber>" }] }`;
 * - "If the batchItemFailures array contains multiple items, Lambda uses the record with
 *   the lowest sequence number as the checkpoint", then retries every record from there;
 * - a complete success: an empty or null `batchItemFailures` list, an empty or null
 *   response;
 * - a complete failure: an empty-string or null `itemIdentifier`, an `itemIdentifier` under
 *   a wrong key name.
 * The guide does not say what a sequence number that is not in the batch means; like the
 * Kafka emulator (and like any answer the mapping cannot act on) it fails the whole batch.
 */
import { type BatchVerdict, batchItemFailuresOf } from '../batch-response.js';

/** A delivered record: its cursor position and its stream sequence number. */
export interface DeliveredStreamRecord {
  readonly offset: number;
  readonly sequenceNumber: string;
}

export function interpretStreamsResponse(
  batch: readonly DeliveredStreamRecord[],
  response: unknown,
): BatchVerdict {
  const failures = batchItemFailuresOf(response);
  if (!Array.isArray(failures)) return failures as BatchVerdict;
  let resumeAt: number | undefined;
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || id === '') {
      return {
        kind: 'failed',
        reason: `itemIdentifier ${JSON.stringify(id)} is not a sequence number`,
      };
    }
    const record = batch.find((r) => r.sequenceNumber === id);
    if (record === undefined) {
      return { kind: 'failed', reason: `itemIdentifier ${id} is not a record of the batch` };
    }
    resumeAt = resumeAt === undefined ? record.offset : Math.min(resumeAt, record.offset);
  }
  return resumeAt === undefined ? { kind: 'success' } : { kind: 'partial', resumeAt };
}
