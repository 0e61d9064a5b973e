import type {
  MskBatchResponse,
  MskEvent,
  MskEventRecord,
} from '../../../../functions/core/msk-event.js';
import type { SinkHandler } from '../../../../functions/runtime/sink-handler.js';
import type { FakeClock } from './in-memory.js';
import { InjectedCrash } from './sinks.js';

/** Choices that shape one delivery schedule (drawn by fast-check). */
export interface Schedule {
  /** per invocation: the batch size of each partition (1..n) */
  readonly sizes: readonly number[];
  /** per invocation: rewind a partition to an earlier index (redelivery), as `[partition, index]` */
  readonly rewinds: ReadonlyArray<readonly [number, number] | null>;
  /** per invocation: whether a partition is polled this time (bit mask) */
  readonly masks: readonly number[];
}

export interface DriveResult {
  readonly invocations: number;
  readonly crashes: number;
  readonly failures: number;
}

/**
 * A small event-source-mapping: one consumer position per partition; each invocation
 * takes a batch of the next records of some partitions; a crash (the handler throws)
 * redelivers the same batch; a batch item failure resumes that partition at the reported
 * offset; otherwise the position moves past the batch. Rewinds replay from earlier
 * offsets (a consumer-group reset, a new mapping): redelivery must change nothing.
 */
export async function drive(
  handler: SinkHandler,
  log: ReadonlyMap<number, readonly MskEventRecord[]>,
  schedule: Schedule,
  clock: FakeClock,
  budgetMs = 1_000,
): Promise<DriveResult> {
  const partitions = [...log.keys()];
  const pos = new Map(partitions.map((p) => [p, 0]));
  let crashes = 0;
  let failures = 0;
  const atEnd = () => partitions.every((p) => (pos.get(p) ?? 0) >= (log.get(p)?.length ?? 0));
  for (let i = 0; i < 10_000; i++) {
    const rewind = schedule.rewinds[i];
    if (rewind !== undefined && rewind !== null) {
      const [p, index] = rewind;
      const partition = partitions[p % Math.max(1, partitions.length)];
      if (partition !== undefined) pos.set(partition, Math.min(pos.get(partition) ?? 0, index));
    }
    if (atEnd()) return { invocations: i, crashes, failures };
    const mask = schedule.masks[i] ?? -1;
    const records: Record<string, MskEventRecord[]> = {};
    const batches = new Map<number, MskEventRecord[]>();
    partitions.forEach((p, j) => {
      const all = log.get(p) ?? [];
      const from = pos.get(p) ?? 0;
      if (from >= all.length || (mask & (1 << j)) === 0) return;
      const size = Math.max(1, schedule.sizes[(i + j) % Math.max(1, schedule.sizes.length)] ?? 100);
      const batch = all.slice(from, from + size);
      batches.set(p, batch);
      records[`${(batch[0] as MskEventRecord).topic}-${p}`] = structuredClone(batch);
    });
    if (batches.size === 0) continue;
    const event: MskEvent = { eventSource: 'aws:kafka', records };
    const deadline = clock.now() + budgetMs;
    let response: MskBatchResponse;
    try {
      response = await handler(event, { getRemainingTimeInMillis: () => deadline - clock.now() });
    } catch (err) {
      if (!(err instanceof InjectedCrash)) throw err;
      crashes++;
      continue;
    }
    const failed = new Map(
      response.batchItemFailures.map((f) => [f.itemIdentifier.partition, f.itemIdentifier.offset]),
    );
    for (const [p, batch] of batches) {
      const first = batch[0] as MskEventRecord;
      const at = failed.get(`${first.topic}-${p}`);
      const all = log.get(p) ?? [];
      if (at === undefined) {
        pos.set(p, (pos.get(p) ?? 0) + batch.length);
      } else {
        failures++;
        const index = all.findIndex((r) => r.offset === at);
        if (index < (pos.get(p) ?? 0) || index >= (pos.get(p) ?? 0) + batch.length) {
          throw new Error(`batch item failure at ${at} is outside the batch of partition ${p}`);
        }
        pos.set(p, index);
      }
    }
  }
  throw new Error('no progress after 10000 invocations');
}
