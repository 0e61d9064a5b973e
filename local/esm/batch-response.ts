/**
 * How the event source mapping reads a function's answer for one partition batch
 * (`ReportBatchItemFailures` on), as Lambda does for Kafka:
 * - no answer, or an empty `batchItemFailures`: the whole batch succeeded;
 * - failures naming this partition: the lowest reported offset is where the partition
 *   resumes; everything below it is done;
 * - a malformed answer (unknown partition, an offset not in the batch, a missing
 *   `itemIdentifier`): the whole batch failed, exactly like a function error.
 */
export type BatchVerdict =
  | { readonly kind: 'success' }
  | { readonly kind: 'partial'; readonly resumeAt: number }
  | { readonly kind: 'failed'; readonly reason: string };

export interface DeliveredBatch {
  /** `"<topic>-<partition>"` */
  readonly id: string;
  /** ascending offsets of the records the function received */
  readonly offsets: readonly number[];
}

/**
 * The `batchItemFailures` entries of an answer, or the verdict when there are none to read:
 * no answer or no list is a success (Kafka and the stream sources alike), anything but an
 * object holding an array is a failed batch.
 */
export function batchItemFailuresOf(response: unknown): readonly unknown[] | BatchVerdict {
  if (response === undefined || response === null) return { kind: 'success' };
  if (typeof response !== 'object') {
    return { kind: 'failed', reason: `function returned a ${typeof response}, not an object` };
  }
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return { kind: 'success' };
  if (!Array.isArray(failures)) {
    return { kind: 'failed', reason: 'batchItemFailures is not an array' };
  }
  return failures as unknown[];
}

export function interpretResponse(batch: DeliveredBatch, response: unknown): BatchVerdict {
  const failures = batchItemFailuresOf(response);
  if (!Array.isArray(failures)) return failures as BatchVerdict;
  let resumeAt: number | undefined;
  for (const failure of failures) {
    const item = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof item !== 'object' || item === null) {
      return { kind: 'failed', reason: 'a batchItemFailures entry has no itemIdentifier' };
    }
    const { partition, offset } = item as { partition?: unknown; offset?: unknown };
    if (partition !== batch.id) {
      return {
        kind: 'failed',
        reason: `itemIdentifier.partition ${JSON.stringify(partition)} is not ${batch.id}`,
      };
    }
    const n = typeof offset === 'string' && /^\d+$/.test(offset) ? Number(offset) : offset;
    if (typeof n !== 'number' || !batch.offsets.includes(n)) {
      return {
        kind: 'failed',
        reason: `itemIdentifier.offset ${JSON.stringify(offset)} is not an offset of the batch`,
      };
    }
    resumeAt = resumeAt === undefined ? n : Math.min(resumeAt, n);
  }
  return resumeAt === undefined ? { kind: 'success' } : { kind: 'partial', resumeAt };
}
