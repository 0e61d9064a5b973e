import { decodeMskEvent } from '../msk-decode.js';
import type { MskBatchResponse } from '../msk-event.js';
import type { EngineDeps } from './deps.js';
import { mapBounded } from './pool.js';
import { processPartition } from './process-partition.js';
import { Budget } from './retry-policy.js';

/**
 * Processes one Lambda invocation: every partition in offset order, partitions
 * concurrently (at most `deps.concurrency`), and answers the partial-batch response with
 * the lowest unapplied offset of each partition that could not finish.
 *
 * Throws only for an event that is not a Kafka event, for a non-retriable failure that is
 * not a poison record (a bug or a misconfiguration: the invocation fails, Lambda retries
 * the batch), never for bad records.
 */
export async function processEvent(
  event: unknown,
  deps: EngineDeps,
  lambdaRemainingMs?: () => number,
): Promise<MskBatchResponse> {
  const partitions = decodeMskEvent(event, deps.limits);
  const budget = new Budget(deps.clock, deps.retry, lambdaRemainingMs);
  const outcomes = await mapBounded(partitions, deps.concurrency, (part) =>
    processPartition(part, deps, budget),
  );
  const batchItemFailures: MskBatchResponse['batchItemFailures'] = [];
  outcomes.forEach((outcome, i) => {
    const part = partitions[i];
    if (outcome.failedAt !== null && part !== undefined) {
      batchItemFailures.push({ itemIdentifier: { partition: part.id, offset: outcome.failedAt } });
    }
  });
  return { batchItemFailures };
}
