import type { PoisonError } from '../errors.js';
import type { CheckpointRef } from '../ledger.js';
import type { DecodedPartition } from '../msk-decode.js';
import type { QuarantineEntry } from '../quarantine.js';
import type { KafkaRecord } from '../record.js';
import type { BatchEntry } from '../sink.js';
import { applyWithRetries } from './apply-loop.js';
import { toBatchEntry } from './decode-entry.js';
import type { EngineDeps } from './deps.js';
import { Metric } from './observability.js';
import type { Budget } from './retry-policy.js';
import { describe, withRetry } from './with-retry.js';

export interface PartitionOutcome {
  /** the lowest offset not applied (reported in batchItemFailures), or null */
  readonly failedAt: number | null;
}

/**
 * One topic-partition of an invocation, in offset order (DESIGN §4):
 * 1. read the checkpoint (strongly consistent) and skip offsets at or below it;
 * 2. decode; quarantine poison *before* applying, so no sink (not even one that
 *    checkpoints itself) can move past a poison record that is not yet quarantined;
 * 3. apply, retrying what failed retriably within the budget;
 * 4. quarantine what the sink found poison;
 * 5. advance the checkpoint to just below the lowest unapplied offset (or to the last one);
 *    if that fails, report the batch's first offset: the redelivery is a no-op that
 *    stores the checkpoint.
 */
export async function processPartition(
  part: DecodedPartition,
  deps: EngineDeps,
  budget: Budget,
): Promise<PartitionOutcome> {
  const { sink, ledger, logger, metrics } = deps;
  const ref: CheckpointRef = { sink: sink.name, topic: part.topic, partition: part.partition };
  const where = { sink: sink.name, topic: part.topic, partition: part.partition };
  const first = part.records[0];
  if (first === undefined) return { failedAt: null };

  const read = await withRetry(
    'read checkpoint',
    () => ledger.readCheckpoint(ref),
    deps,
    budget,
    where,
  );
  if (!read.ok)
    return fail(deps, where, first.record.offset, part.records.length, 'checkpoint read failed');
  const checkpoint = read.value;
  const pending = part.records.filter((d) => checkpoint === null || d.record.offset > checkpoint);
  const skipped = part.records.length - pending.length;
  if (skipped > 0) {
    metrics.count(Metric.skipped, skipped);
    logger.debug('skipping records at or below the checkpoint', { ...where, checkpoint, skipped });
  }
  if (pending.length === 0) return { failedAt: null };

  let entries: BatchEntry[] = pending.map((d) =>
    toBatchEntry(d, sink.decodes, deps.pipeline, deps.limits),
  );
  const unapplied = new Set<number>();

  // 2. Decode poison first. If it cannot be quarantined, apply only what precedes it.
  const decodePoison = entries.filter((e) => e.poison !== undefined);
  const quarantined = new Set<number>();
  if (decodePoison.length > 0) {
    if (await quarantine(decodePoison, deps, budget, where)) {
      for (const e of decodePoison) quarantined.add(e.record.offset);
    } else {
      const limit = (decodePoison[0] as BatchEntry).record.offset;
      for (const e of entries) if (e.record.offset >= limit) unapplied.add(e.record.offset);
      entries = entries.filter((e) => e.record.offset < limit);
    }
  }

  // 3. Apply.
  const applied = await applyWithRetries(
    { sink: sink.name, topic: part.topic, partition: part.partition, checkpoint },
    entries,
    deps,
    budget,
  );
  const counts = { applied: 0, stale: 0, duplicate: 0 };
  const sinkPoison: BatchEntry[] = [];
  for (const entry of entries) {
    const outcome = applied.outcomes.get(entry.record.offset);
    if (outcome === undefined || outcome.status === 'retry') {
      unapplied.add(entry.record.offset);
    } else if (outcome.status === 'poison') {
      if (!quarantined.has(entry.record.offset))
        sinkPoison.push({ record: entry.record, poison: outcome.error });
    } else {
      counts[outcome.status]++;
    }
  }

  // 4. Poison found by the sink (e.g. a document the index mapping rejects).
  if (sinkPoison.length > 0) {
    if (await quarantine(sinkPoison, deps, budget, where)) {
      for (const e of sinkPoison) quarantined.add(e.record.offset);
    } else {
      for (const e of sinkPoison) unapplied.add(e.record.offset);
    }
  }

  // 5. Checkpoint.
  const lowest = unapplied.size > 0 ? Math.min(...unapplied) : null;
  const last = (pending[pending.length - 1] as (typeof pending)[number]).record.offset;
  const target = lowest === null ? last : lowest - 1;
  const sinkCheckpoint = applied.checkpointedThrough;
  if (sinkCheckpoint !== undefined && lowest !== null && sinkCheckpoint >= lowest) {
    logger.error('sink checkpointed past an unapplied record', {
      ...where,
      offset: lowest,
      sinkCheckpoint,
    });
  }
  let checkpointStored = true;
  if (
    target >= (pending[0] as (typeof pending)[number]).record.offset &&
    (sinkCheckpoint ?? -1) < target
  ) {
    const advanced = await withRetry(
      'advance checkpoint',
      () => ledger.advanceCheckpoint(ref, target),
      deps,
      budget,
      where,
    );
    if (!advanced.ok) {
      // The effects are in the stores, but the ledger must say so (a checkpoint is how a
      // sink proves it caught up): have the batch redelivered; re-applying is a no-op.
      checkpointStored = false;
      metrics.count(Metric.checkpointFailures, 1);
      logger.warn('checkpoint not advanced', {
        ...where,
        offset: target,
        error: describe(advanced.error),
      });
    }
  }

  metrics.count(Metric.applied, counts.applied);
  metrics.count(Metric.stale, counts.stale);
  metrics.count(Metric.duplicate, counts.duplicate);
  metrics.count(Metric.poison, quarantined.size);
  logger.info('partition batch processed', {
    ...where,
    firstOffset: (pending[0] as (typeof pending)[number]).record.offset,
    lastOffset: last,
    checkpoint,
    ...counts,
    poison: quarantined.size,
    unapplied: unapplied.size,
  });
  if (!checkpointStored) {
    const first = (pending[0] as (typeof pending)[number]).record.offset;
    return fail(deps, where, first, unapplied.size, 'checkpoint not advanced');
  }
  if (lowest === null) return { failedAt: null };
  return fail(deps, where, lowest, unapplied.size, 'records left unapplied');
}

function fail(
  deps: EngineDeps,
  where: Record<string, unknown>,
  offset: number,
  unapplied: number,
  why: string,
): PartitionOutcome {
  deps.metrics.count(Metric.unapplied, unapplied);
  deps.metrics.count(Metric.failedPartitions, 1);
  deps.logger.warn(`${why}: reporting a batch item failure`, { ...where, offset });
  return { failedAt: offset };
}

/** Quarantines poison entries (retrying within the budget); false when that failed. */
async function quarantine(
  entries: readonly BatchEntry[],
  deps: EngineDeps,
  budget: Budget,
  where: { sink: string; topic: string; partition: number },
): Promise<boolean> {
  const at = new Date(deps.clock.now()).toISOString();
  const items = entries.map((e) =>
    toQuarantineEntry(deps.sink.name, e.record, e.poison as PoisonError, at),
  );
  for (const item of items) {
    deps.logger.warn('poison record', {
      ...where,
      offset: item.offset,
      reason: item.reason,
      error: item.error.message,
    });
  }
  const put = await withRetry(
    'quarantine',
    () => deps.quarantine.put(items),
    deps,
    budget,
    where,
    true,
  );
  if (!put.ok) deps.metrics.count(Metric.quarantineFailures, items.length);
  return put.ok;
}

export function toQuarantineEntry(
  sink: string,
  record: KafkaRecord,
  error: PoisonError,
  at: string,
): QuarantineEntry {
  const field = error.context.field;
  return {
    sink,
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    reason: error.reason,
    error: { name: error.name, message: error.message, ...(field === undefined ? {} : { field }) },
    raw: record.raw,
    quarantinedAt: at,
  };
}
