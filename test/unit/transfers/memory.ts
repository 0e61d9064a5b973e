import type { MskEventRecord } from '../../../functions/core/msk-event.js';
import type { StepPublisher, TransferStore } from '../../../functions/core/transfers/ports.js';
import {
  accountKey,
  type StepDecision,
  type StepOutcome,
  stepId,
  subjectOf,
  type TransferStep,
} from '../../../functions/core/transfers/step.js';
import type { FaultRunner } from '../core/support/in-memory.js';
import { mskRecord } from '../core/support/msk.js';

export const TOPIC = 'transfers';
export const PARTITIONS = 2;

/** The partition of `account:<id>` (any fixed function of the key does). */
export const partitionOf = (key: string): number =>
  [...key].reduce((h, c) => h + c.charCodeAt(0), 0) % PARTITIONS;

/** The transfers topic in memory: producers append, the driver reads. */
export class MemoryLog {
  readonly partitions = new Map<number, MskEventRecord[]>(
    Array.from({ length: PARTITIONS }, (_, p) => [p, []]),
  );

  append(step: TransferStep): void {
    const key = accountKey(subjectOf(step));
    const partition = partitionOf(key);
    const list = this.partitions.get(partition) as MskEventRecord[];
    list.push(mskRecord({ topic: TOPIC, partition, offset: list.length, key, value: step }));
  }
}

/** Balances and markers in Maps, with the adapter's transaction semantics. */
export class MemoryTransferStore implements TransferStore {
  readonly balances = new Map<string, number>();
  readonly outcomes = new Map<string, StepOutcome>();

  async readOutcome(step: TransferStep): Promise<StepOutcome | null> {
    return this.outcomes.get(stepId(step)) ?? null;
  }
  async readBalance(account: string): Promise<number> {
    return this.balances.get(account) ?? 0;
  }
  async commit(step: TransferStep, decision: StepDecision) {
    if (this.outcomes.has(stepId(step))) return 'duplicate' as const;
    const balance = this.balances.get(subjectOf(step)) ?? 0;
    const { guard } = decision;
    if (
      guard !== undefined &&
      ('atLeast' in guard ? balance < guard.atLeast : balance >= guard.below)
    )
      return 'conflict' as const;
    this.outcomes.set(stepId(step), decision.outcome);
    this.balances.set(subjectOf(step), balance + decision.delta);
    return 'committed' as const;
  }
}

/** The store behind a fault plan: any read or commit may fail or crash, before or after. */
export const faultyStore = (inner: TransferStore, faults: FaultRunner): TransferStore => ({
  readOutcome: (step) => faults.run('read outcome', () => inner.readOutcome(step)),
  readBalance: (account) => faults.run('read balance', () => inner.readBalance(account)),
  commit: (step, decision) => faults.run('commit', () => inner.commit(step, decision)),
});

/** Appends to the log behind a fault plan (a crash after it leaves the steps published). */
export const faultyPublisher = (log: MemoryLog, faults: FaultRunner): StepPublisher => ({
  publish: (_topic, steps) =>
    faults.run('publish', () => {
      for (const s of steps) log.append(s);
    }),
});
