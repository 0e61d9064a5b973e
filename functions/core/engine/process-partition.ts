import type { PoisonError } from '../errors.js';
import type { CheckpointRef } from '../ledger.js';
import type { DecodedPartition } from '../msk-decode.js';
import { type QuarantineEntry, recordSchemas } from '../quarantine.js';
import type { KafkaRecord } from '../record.js';
import type { BatchEntry, RecordOutcome } from '../sink.js';
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
  const where: Where = { sink: deps.sink.name, topic: part.topic, partition: part.partition };
  const first = part.records[0];
  if (first === undefined) return { failedAt: null };

  // 1. Checkpoint.
  const readCheckpoint = () => deps.ledger.readCheckpoint(where);
  const read = await withRetry('read checkpoint', readCheckpoint, deps, budget, where);
  if (!read.ok)
    return fail(deps, where, first.record.offset, part.records.length, 'checkpoint read failed');
  const checkpoint = read.value;
  const pending = unseen(part.records, checkpoint, deps, where);
  const firstPending = pending[0];
  const lastPending = pending[pending.length - 1];
  if (firstPending === undefined || lastPending === undefined) return { failedAt: null };
  const run: PartitionRun = {
    where,
    checkpoint,
    firstOffset: firstPending.record.offset,
    lastOffset: lastPending.record.offset,
    unapplied: new Set<number>(),
    quarantined: new Set<number>(),
  };

  // 2. Decode poison first. If it cannot be quarantined, apply only what precedes it.
  const entries = await settleDecodePoison(
    pending.map((d) => toBatchEntry(d, deps.sink.decodes, deps.pipeline, deps.limits)),
    run,
    deps,
    budget,
  );
  // 3. Apply.
  const applied = await applyWithRetries({ ...where, checkpoint }, entries, deps, budget);
  const { counts, sinkPoison } = tally(entries, applied.outcomes, run);
  // 4. Poison found by the sink (e.g. a document the index mapping rejects).
  await settle(sinkPoison, run, deps, budget);
  // 5. Checkpoint.
  const lowest = run.unapplied.size > 0 ? Math.min(...run.unapplied) : null;
  const stored = await storeCheckpoint(run, lowest, applied.checkpointedThrough, deps, budget);
  report(run, counts, deps);
  if (!stored)
    return fail(deps, where, run.firstOffset, run.unapplied.size, 'checkpoint not advanced');
  if (lowest === null) return { failedAt: null };
  return fail(deps, where, lowest, run.unapplied.size, 'records left unapplied');
}

type Where = CheckpointRef;

/** What one partition batch has come to so far. */
interface PartitionRun {
  readonly where: Where;
  readonly checkpoint: number | null;
  /** first and last offsets above the checkpoint */
  readonly firstOffset: number;
  readonly lastOffset: number;
  /** offsets not applied (retry, or poison that could not be quarantined) */
  readonly unapplied: Set<number>;
  readonly quarantined: Set<number>;
}

type Counts = { applied: number; stale: number; duplicate: number };

/** The records above the checkpoint (the others were applied by an earlier invocation). */
function unseen<T extends { readonly record: KafkaRecord }>(
  records: readonly T[],
  checkpoint: number | null,
  deps: EngineDeps,
  where: Where,
): T[] {
  const pending = records.filter((d) => checkpoint === null || d.record.offset > checkpoint);
  const skipped = records.length - pending.length;
  if (skipped > 0) {
    deps.metrics.count(Metric.skipped, skipped);
    deps.logger.debug('skipping records at or below the checkpoint', {
      ...where,
      checkpoint,
      skipped,
    });
  }
  return pending;
}

/**
 * Quarantines the decode poison before anything is applied; when that fails, only the
 * entries below the first poison record are returned (the rest stay unapplied).
 */
async function settleDecodePoison(
  entries: BatchEntry[],
  run: PartitionRun,
  deps: EngineDeps,
  budget: Budget,
): Promise<BatchEntry[]> {
  const decodePoison = entries.filter((e) => e.poison !== undefined);
  const firstPoison = decodePoison[0];
  if (firstPoison === undefined) return entries;
  if (await quarantine(decodePoison, deps, budget, run.where)) {
    for (const e of decodePoison) run.quarantined.add(e.record.offset);
    return entries;
  }
  const limit = firstPoison.record.offset;
  for (const e of entries) if (e.record.offset >= limit) run.unapplied.add(e.record.offset);
  return entries.filter((e) => e.record.offset < limit);
}

/** Counts the sink's outcomes; returns the poison it found that is not quarantined yet. */
function tally(
  entries: readonly BatchEntry[],
  outcomes: ReadonlyMap<number, RecordOutcome>,
  run: PartitionRun,
): { counts: Counts; sinkPoison: BatchEntry[] } {
  const counts: Counts = { applied: 0, stale: 0, duplicate: 0 };
  const sinkPoison: BatchEntry[] = [];
  for (const entry of entries) {
    const outcome = outcomes.get(entry.record.offset);
    if (outcome === undefined || outcome.status === 'retry') {
      run.unapplied.add(entry.record.offset);
    } else if (outcome.status === 'poison') {
      if (!run.quarantined.has(entry.record.offset))
        sinkPoison.push({ record: entry.record, poison: outcome.error });
    } else {
      counts[outcome.status]++;
    }
  }
  return { counts, sinkPoison };
}

/** Quarantines the sink's poison; what cannot be quarantined stays unapplied. */
async function settle(
  poison: readonly BatchEntry[],
  run: PartitionRun,
  deps: EngineDeps,
  budget: Budget,
): Promise<void> {
  if (poison.length === 0) return;
  const done = await quarantine(poison, deps, budget, run.where);
  for (const e of poison) (done ? run.quarantined : run.unapplied).add(e.record.offset);
}

/**
 * Advances the checkpoint to just below the lowest unapplied offset (or to the last one),
 * unless the sink stored it that far itself. False when the ledger could not be updated.
 */
async function storeCheckpoint(
  run: PartitionRun,
  lowest: number | null,
  sinkCheckpoint: number | undefined,
  deps: EngineDeps,
  budget: Budget,
): Promise<boolean> {
  const { where } = run;
  const target = lowest === null ? run.lastOffset : lowest - 1;
  if (sinkCheckpoint !== undefined && lowest !== null && sinkCheckpoint >= lowest) {
    deps.logger.error('sink checkpointed past an unapplied record', {
      ...where,
      offset: lowest,
      sinkCheckpoint,
    });
  }
  if (target < run.firstOffset || (sinkCheckpoint ?? -1) >= target) return true;
  const advanced = await withRetry(
    'advance checkpoint',
    () => deps.ledger.advanceCheckpoint(where, target),
    deps,
    budget,
    where,
  );
  if (advanced.ok) return true;
  // The effects are in the stores, but the ledger must say so (a checkpoint is how a
  // sink proves it caught up): have the batch redelivered; re-applying is a no-op.
  deps.metrics.count(Metric.checkpointFailures, 1);
  deps.logger.warn('checkpoint not advanced', {
    ...where,
    offset: target,
    error: describe(advanced.error),
  });
  return false;
}

function report(run: PartitionRun, counts: Counts, deps: EngineDeps): void {
  deps.metrics.count(Metric.applied, counts.applied);
  deps.metrics.count(Metric.stale, counts.stale);
  deps.metrics.count(Metric.duplicate, counts.duplicate);
  deps.metrics.count(Metric.poison, run.quarantined.size);
  deps.logger.info('partition batch processed', {
    ...run.where,
    firstOffset: run.firstOffset,
    lastOffset: run.lastOffset,
    checkpoint: run.checkpoint,
    ...counts,
    poison: run.quarantined.size,
    unapplied: run.unapplied.size,
  });
}

function fail(
  deps: EngineDeps,
  where: Where,
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
  where: Where,
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
      ...(item.schema === undefined ? {} : { schema: item.schema }),
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
  const schema = recordSchemas(record.raw);
  return {
    sink,
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    reason: error.reason,
    error: { name: error.name, message: error.message, ...(field === undefined ? {} : { field }) },
    raw: record.raw,
    ...(schema === undefined ? {} : { schema }),
    quarantinedAt: at,
  };
}
