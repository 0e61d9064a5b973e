import { describe, expect, it } from 'vitest';
import type { BatchVerdict } from '../../../../local/esm/batch-response.js';
import type { FetchedRecord } from '../../../../local/esm/event-builder.js';
import { type CursorSettings, PartitionCursor } from '../../../../local/esm/partition-cursor.js';

const T0 = 1_700_000_000_000;

const settings: CursorSettings = {
  batchSize: 8,
  batchingWindowMs: 500,
  maxRetryAttempts: 2,
  retryDelayMs: 100,
  maxRetryDelayMs: 1_000,
};

const log = (count: number, timestampOf: (offset: number) => number = () => T0) =>
  Array.from(
    { length: count },
    (_, offset): FetchedRecord => ({
      topic: 'orders',
      partition: 3,
      offset,
      timestamp: timestampOf(offset),
      timestampType: 'CREATE_TIME',
      key: Buffer.from(`order:${offset}`),
      value: Buffer.from('{}'),
      headers: [],
    }),
  );

/** A function that fails as a whole when it is handed one of these offsets. */
const crashesOn =
  (...bad: number[]) =>
  (offsets: readonly number[]): BatchVerdict =>
    offsets.some((o) => bad.includes(o))
      ? { kind: 'failed', reason: 'crash' }
      : { kind: 'success' };

/**
 * Drives a cursor the way the mapping does (fetch, take, expire, invoke the live records,
 * complete, commit, seek) over an in-memory log until everything is committed.
 */
function drive(
  cursorSettings: CursorSettings,
  records: readonly FetchedRecord[],
  fn: (offsets: readonly number[]) => BatchVerdict,
  startAt = T0,
) {
  const cursor = new PartitionCursor('orders', 3, cursorSettings);
  const end = records.length;
  const invocations: number[][] = [];
  const applied: number[] = [];
  const discarded: Array<{ offsets: number[]; attempts: number | undefined }> = [];
  const expired: number[][] = [];
  let committed = 0;
  let now = startAt;
  for (let step = 0; step < 500 && committed < end; step++) {
    now += 10_000;
    cursor.accept(records, now); // the fetch loop: re-reads below the position are ignored
    if (cursor.take(now) === null) continue;
    const old = cursor.expire(now).map((r) => r.offset);
    if (old.length > 0) expired.push(old);
    const live = cursor.live().map((r) => r.offset);
    let verdict: BatchVerdict = { kind: 'success' };
    if (live.length > 0) {
      invocations.push(live);
      verdict = fn(live);
      if (verdict.kind === 'success') applied.push(...live);
      if (verdict.kind === 'partial') {
        const { resumeAt } = verdict;
        applied.push(...live.filter((o) => o < resumeAt));
      }
    }
    const decision = cursor.complete(verdict, now);
    if (decision.discarded !== undefined) {
      discarded.push({
        offsets: decision.discarded.map((r) => r.offset),
        attempts: decision.attempts,
      });
    }
    if (decision.commit !== undefined) {
      expect(decision.commit).toBeGreaterThanOrEqual(committed); // commits never go back
      committed = decision.commit;
    }
  }
  return { invocations, applied, discarded, expired, committed };
}

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('bisectBatchOnFunctionError', () => {
  it('halves a crashing batch until the bad record is alone, applies the rest in order, and discards only it', () => {
    const run = drive({ ...settings, bisectBatchOnFunctionError: true }, log(12), crashesOn(5));
    expect(run.invocations).toEqual([
      range(0, 7), // crash: split 0..3 | 4..7
      range(0, 3),
      range(4, 7), // crash: split 4..5 | 6..7
      [4, 5], // crash: split 4 | 5
      [4],
      [5], // alone: now each failure is a retry (1 attempt + 2 retries)
      [5],
      [5],
      [6, 7], // the other half of the earlier split, on its own
      range(8, 11), // back to normal batches
    ]);
    expect(run.applied).toEqual([...range(0, 4), ...range(6, 11)]);
    expect(run.discarded).toEqual([{ offsets: [5], attempts: 3 }]);
    expect(run.committed).toBe(12);
  });

  it('without it, retries the whole batch and discards the whole batch', () => {
    const run = drive(settings, log(12), crashesOn(5));
    expect(run.invocations).toEqual([range(0, 7), range(0, 7), range(0, 7), range(8, 11)]);
    expect(run.discarded).toEqual([{ offsets: range(0, 7), attempts: 3 }]);
    expect(run.applied).toEqual(range(8, 11));
  });

  it('does not split on a partial batch response: it resumes at the reported offset', () => {
    const failAt5 = (offsets: readonly number[]): BatchVerdict =>
      offsets.includes(5) ? { kind: 'partial', resumeAt: 5 } : { kind: 'success' };
    const run = drive({ ...settings, bisectBatchOnFunctionError: true }, log(8), failAt5);
    expect(run.invocations).toEqual([range(0, 7), range(5, 7), range(5, 7)]);
    expect(run.discarded).toEqual([{ offsets: range(5, 7), attempts: 3 }]);
  });

  it('isolates two bad records of one batch and keeps offset order', () => {
    const run = drive(
      { ...settings, bisectBatchOnFunctionError: true, maxRetryAttempts: 0 },
      log(8),
      crashesOn(1, 6),
    );
    expect(run.discarded.map((d) => d.offsets)).toEqual([[1], [6]]);
    expect(run.applied).toEqual([0, 2, 3, 4, 5, 7]);
    const flat = run.invocations.flat();
    // each record is first delivered in offset order (retries only repeat, never skip back)
    const firsts = flat.filter((o, i) => flat.indexOf(o) === i);
    expect(firsts).toEqual(range(0, 7));
  });
});

describe('bisected halves', () => {
  it('keep their bounds when a half was only partly re-read when it became due', () => {
    const cursor = new PartitionCursor('orders', 3, {
      ...settings,
      bisectBatchOnFunctionError: true,
    });
    const all = log(8);
    cursor.accept(all, T0);
    cursor.take(T0);
    expect(cursor.complete({ kind: 'failed', reason: 'crash' }, T0)).toMatchObject({ seekTo: 0 });
    cursor.accept(all.slice(0, 2), T0 + 1_000); // the re-read brought only 0..1 so far
    expect(cursor.take(T0 + 2_000)?.map((r) => r.offset)).toEqual([0, 1]);
    expect(cursor.complete({ kind: 'success' }, T0 + 2_000)).toEqual({ commit: 2 });
    cursor.accept(all, T0 + 3_000);
    expect(cursor.take(T0 + 3_000)?.map((r) => r.offset)).toEqual([2, 3]); // rest of the half
    cursor.complete({ kind: 'success' }, T0 + 3_000);
    expect(cursor.take(T0 + 3_000)?.map((r) => r.offset)).toEqual([4, 5, 6, 7]);
  });
});

describe('maximumRecordAgeSeconds', () => {
  it('never sends records older than the limit, records them once, and commits past them', () => {
    const old = new Set([1, 3]);
    const records = log(6, (o) => (old.has(o) ? T0 - 3_600_000 : T0));
    const run = drive({ ...settings, maximumRecordAgeSeconds: 600 }, records, crashesOn());
    expect(run.expired).toEqual([[1, 3]]);
    expect(run.invocations).toEqual([[0, 2, 4, 5]]);
    expect(run.committed).toBe(6);
  });

  it('does not record an expired record again when a retry re-reads it', () => {
    const records = log(4, (o) => (o === 2 ? T0 - 3_600_000 : T0));
    let calls = 0;
    const failsOnce = (): BatchVerdict =>
      ++calls === 1 ? { kind: 'failed', reason: 'crash' } : { kind: 'success' };
    const run = drive({ ...settings, maximumRecordAgeSeconds: 600 }, records, failsOnce);
    expect(run.invocations).toEqual([
      [0, 1, 3],
      [0, 1, 3],
    ]);
    expect(run.expired).toEqual([[2]]);
    expect(run.committed).toBe(4);
  });

  it('retries a failing batch until its records expire, then records each of them once', () => {
    // Infinite retries: the records leave only by age (attempts are 10 s apart here).
    const run = drive(
      { ...settings, maxRetryAttempts: -1, maximumRecordAgeSeconds: 45 },
      log(3),
      crashesOn(0, 1, 2),
      T0,
    );
    expect(run.invocations.length).toBeGreaterThan(1);
    expect(run.discarded).toEqual([]);
    expect(run.expired).toEqual([range(0, 2)]);
    expect(run.committed).toBe(3);
  });

  it('commits past an expired head when the live records behind it fail', () => {
    const cursor = new PartitionCursor('orders', 3, { ...settings, maximumRecordAgeSeconds: 60 });
    cursor.accept(
      log(3, (o) => (o === 0 ? T0 - 120_000 : T0)),
      T0,
    );
    cursor.take(T0 + 1_000);
    expect(cursor.expire(T0 + 1_000).map((r) => r.offset)).toEqual([0]);
    expect(cursor.live().map((r) => r.offset)).toEqual([1, 2]);
    const decision = cursor.complete({ kind: 'failed', reason: 'x' }, T0 + 1_000);
    expect(decision).toMatchObject({ commit: 1, seekTo: 1 });
  });

  it('is off with -1 or when unset, and rejects zero and negative ages', () => {
    const ancient = log(2, () => 0);
    for (const maximumRecordAgeSeconds of [-1, undefined]) {
      const s: CursorSettings =
        maximumRecordAgeSeconds === undefined ? settings : { ...settings, maximumRecordAgeSeconds };
      const cursor = new PartitionCursor('orders', 3, s);
      cursor.accept(ancient, T0);
      cursor.take(T0 + 1_000);
      expect(cursor.expire(T0 + 1_000)).toEqual([]);
    }
    expect(() => new PartitionCursor('o', 0, { ...settings, maximumRecordAgeSeconds: 0 })).toThrow(
      RangeError,
    );
    expect(() => new PartitionCursor('o', 0, { ...settings, maximumRecordAgeSeconds: -5 })).toThrow(
      /-1 or positive/,
    );
  });
});
