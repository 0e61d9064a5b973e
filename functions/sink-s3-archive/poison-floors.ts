/**
 * Per partition, the lowest record the archive sink reported poison (S3 refused its
 * object) that the engine may not have quarantined yet. The engine quarantines sink
 * poison after its retries, so an earlier `apply` of the same invocation may have
 * reported one; until the checkpoint the engine reads has passed it, neither the sink's
 * own checkpoint nor an object after a hole may pass it (a failed quarantine would lose
 * the record). Decode poison reaches the sink already quarantined and does not count.
 */
import type { RecordOutcome, SinkBatch } from '../core/sink.js';

export class PoisonFloors {
  private readonly floors = new Map<string, number>();

  /** The floor for `batch` given the outcomes so far (`Infinity`: none). */
  current(batch: SinkBatch, outcomes: readonly RecordOutcome[]): number {
    const decodePoison = new Set(
      batch.entries.filter((e) => e.poison !== undefined).map((e) => e.record.offset),
    );
    let floor = this.floors.get(keyOf(batch)) ?? Number.POSITIVE_INFINITY;
    if (batch.checkpoint !== null && floor <= batch.checkpoint) floor = Number.POSITIVE_INFINITY;
    for (const o of outcomes)
      if (o.status === 'poison' && !decodePoison.has(o.offset)) floor = Math.min(floor, o.offset);
    return floor;
  }

  /** Remembers the floor after `batch` for the later calls of the invocation. */
  settle(batch: SinkBatch, outcomes: readonly RecordOutcome[]): number {
    const floor = this.current(batch, outcomes);
    if (floor === Number.POSITIVE_INFINITY) this.floors.delete(keyOf(batch));
    else this.floors.set(keyOf(batch), floor);
    return floor;
  }
}

const keyOf = (batch: SinkBatch): string => `${batch.topic}\u0000${batch.partition}`;
