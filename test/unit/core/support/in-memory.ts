import type { Clock } from '../../../../functions/core/engine/retry-policy.js';
import { StaysyncError } from '../../../../functions/core/errors.js';
import {
  type CheckpointRef,
  checkpointKey,
  type Ledger,
} from '../../../../functions/core/ledger.js';
import type { Quarantine, QuarantineEntry } from '../../../../functions/core/quarantine.js';

/** The ledger's checkpoint items in a Map, with the adapter's conditional semantics. */
export class InMemoryLedger implements Ledger {
  readonly checkpoints = new Map<string, number>();
  /** called before each operation; throw from it to inject failures */
  beforeEach: (op: 'read' | 'advance', ref: CheckpointRef) => void = () => {};

  async readCheckpoint(ref: CheckpointRef): Promise<number | null> {
    this.beforeEach('read', ref);
    return this.checkpoints.get(checkpointKey(ref)) ?? null;
  }

  async advanceCheckpoint(ref: CheckpointRef, offset: number): Promise<boolean> {
    this.beforeEach('advance', ref);
    const key = checkpointKey(ref);
    const stored = this.checkpoints.get(key);
    if (stored !== undefined && stored >= offset) return false;
    this.checkpoints.set(key, offset);
    return true;
  }
}

export const quarantineId = (
  e: Pick<QuarantineEntry, 'sink' | 'topic' | 'partition' | 'offset'>,
): string => `${e.sink}/${e.topic}/${e.partition}/${e.offset}`;

/** Quarantine keyed like the S3 adapter (sink/topic/partition/offset): a re-put overwrites. */
export class InMemoryQuarantine implements Quarantine {
  readonly entries = new Map<string, QuarantineEntry>();
  puts = 0;
  beforePut: (entries: readonly QuarantineEntry[]) => void = () => {};

  async put(entries: readonly QuarantineEntry[]): Promise<void> {
    this.beforePut(entries);
    this.puts += entries.length;
    for (const e of entries) this.entries.set(quarantineId(e), e);
  }

  reasons(): Record<number, string> {
    return Object.fromEntries([...this.entries.values()].map((e) => [e.offset, e.reason]));
  }
}

/** A clock that never really sleeps: time advances by exactly what the engine waits. */
export class FakeClock implements Clock {
  time = 1_795_687_200_000;
  slept: number[] = [];
  random = (): number => 0.5;
  now = (): number => this.time;
  sleep = async (ms: number): Promise<void> => {
    this.slept.push(ms);
    this.time += ms;
  };
}

/** A transient failure as adapters raise it. */
export const throttled = (what = 'store'): StaysyncError =>
  new StaysyncError(`${what}: ThrottlingException`, { retriable: true });

/** Store calls that a fault plan can fail (see sinks.ts `FaultPlan`). */
export interface FaultRunner {
  run<T>(step: string, effect: () => T | Promise<T>): Promise<T>;
}

/** The in-memory ledger behind a fault plan: any read or advance may fail or crash. */
export class FaultyLedger implements Ledger {
  constructor(
    readonly inner: InMemoryLedger,
    private readonly faults: FaultRunner,
  ) {}
  readCheckpoint(ref: CheckpointRef): Promise<number | null> {
    return this.faults.run('ledger read', () => this.inner.readCheckpoint(ref));
  }
  advanceCheckpoint(ref: CheckpointRef, offset: number): Promise<boolean> {
    return this.faults.run('ledger advance', () => this.inner.advanceCheckpoint(ref, offset));
  }
}

/** The in-memory quarantine behind a fault plan. */
export class FaultyQuarantine implements Quarantine {
  constructor(
    readonly inner: InMemoryQuarantine,
    private readonly faults: FaultRunner,
  ) {}
  put(entries: readonly QuarantineEntry[]): Promise<void> {
    return this.faults.run('quarantine put', () => this.inner.put(entries));
  }
}
