import { describe, expect, it } from 'vitest';
import { interpretResponse } from '../../../../local/esm/batch-response.js';
import type { FetchedRecord } from '../../../../local/esm/event-builder.js';
import { type CursorSettings, PartitionCursor } from '../../../../local/esm/partition-cursor.js';

const settings: CursorSettings = {
  batchSize: 4,
  batchingWindowMs: 500,
  maxRetryAttempts: 2,
  retryDelayMs: 100,
  maxRetryDelayMs: 1_000,
};

const records = (from: number, to: number): FetchedRecord[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({
    topic: 'orders',
    partition: 3,
    offset: from + i,
    timestamp: 1_700_000_000_000 + from + i,
    timestampType: 'CREATE_TIME' as const,
    key: Buffer.from(`order:${from + i}`),
    value: Buffer.from('{}'),
    headers: [],
  }));

const offsets = (batch: readonly FetchedRecord[] | null) => batch?.map((r) => r.offset) ?? null;
const failAt = (offset: number) => ({
  batchItemFailures: [{ itemIdentifier: { partition: 'orders-3', offset } }],
});

describe('a partition cursor', () => {
  it('sends a full batch at once and a partial one only when the batching window ends', () => {
    const cursor = new PartitionCursor('orders', 3, settings);
    cursor.accept(records(0, 5), 1_000);
    expect(offsets(cursor.take(1_000))).toEqual([0, 1, 2, 3]);
    expect(cursor.take(1_000)).toBeNull(); // one batch in flight per partition
    cursor.complete({ kind: 'success' }, 1_010);
    expect(cursor.take(1_010)).toBeNull(); // 2 records, window still open
    expect(offsets(cursor.take(1_510))).toEqual([4, 5]);
  });

  it('commits the offset after the last record when the whole batch succeeds', () => {
    const cursor = new PartitionCursor('orders', 3, settings);
    cursor.accept(records(10, 13), 0);
    const batch = cursor.take(0);
    const verdict = interpretResponse(
      { id: cursor.id, offsets: offsets(batch) ?? [] },
      { batchItemFailures: [] },
    );
    expect(cursor.complete(verdict, 1)).toEqual({ commit: 14 });
  });

  it('commits what precedes a reported failure and seeks back to the failed offset', () => {
    const cursor = new PartitionCursor('orders', 3, settings);
    cursor.accept(records(0, 7), 0);
    const batch = cursor.take(0);
    const verdict = interpretResponse({ id: cursor.id, offsets: offsets(batch) ?? [] }, failAt(2));
    expect(verdict).toEqual({ kind: 'partial', resumeAt: 2 });
    const decision = cursor.complete(verdict, 10);
    expect(decision).toEqual({ commit: 2, seekTo: 2, retryDelayMs: 100 });
    // Records read past the failure are dropped: the partition is re-read from offset 2.
    expect(cursor.buffered).toBe(0);
    expect(cursor.accept(records(0, 7), 20)).toBe(6); // stale re-reads below 2 ignored
    expect(cursor.take(50)).toBeNull(); // backoff
    expect(offsets(cursor.take(110))).toEqual([2, 3, 4, 5]);
  });

  it('takes the lowest offset when several failures are reported for the partition', () => {
    const verdict = interpretResponse(
      { id: 'orders-3', offsets: [4, 5, 6, 7] },
      {
        batchItemFailures: [
          { itemIdentifier: { partition: 'orders-3', offset: 6 } },
          { itemIdentifier: { partition: 'orders-3', offset: 5 } },
        ],
      },
    );
    expect(verdict).toEqual({ kind: 'partial', resumeAt: 5 });
  });

  it('treats a malformed answer as a failure of the whole batch', () => {
    const batch = { id: 'orders-3', offsets: [4, 5] };
    expect(interpretResponse(batch, failAt(9)).kind).toBe('failed');
    expect(
      interpretResponse(batch, {
        batchItemFailures: [{ itemIdentifier: { partition: 'orders-2', offset: 4 } }],
      }).kind,
    ).toBe('failed');
    expect(interpretResponse(batch, { batchItemFailures: [{}] }).kind).toBe('failed');
    expect(interpretResponse(batch, 'ok').kind).toBe('failed');
    expect(interpretResponse(batch, undefined)).toEqual({ kind: 'success' });
  });

  it('retries a failing batch from its first offset with growing delays, commits nothing', () => {
    const cursor = new PartitionCursor('orders', 3, { ...settings, maxRetryAttempts: 5 });
    let now = 0;
    const delays: Array<number | undefined> = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      cursor.accept(records(0, 3), now);
      now += 2_000;
      expect(offsets(cursor.take(now))).toEqual([0, 1, 2, 3]);
      const decision = cursor.complete({ kind: 'failed', reason: 'boom' }, now);
      expect(decision.commit).toBeUndefined();
      expect(decision.seekTo).toBe(0);
      delays.push(decision.retryDelayMs);
    }
    expect(delays).toEqual([100, 200, 400]);
  });

  it('after the last retry sends the unapplied records to the destination and moves on', () => {
    const cursor = new PartitionCursor('orders', 3, settings); // 1 attempt + 2 retries
    let now = 0;
    let decision = {};
    for (let attempt = 0; attempt < 3; attempt++) {
      cursor.accept(records(0, 5), now);
      now += 2_000;
      cursor.take(now);
      decision = cursor.complete({ kind: 'partial', resumeAt: 1 }, now);
    }
    // Batch 0..3 progressed (0 applied); batch 1..4 then failed twice at the same head.
    expect(decision).toEqual({
      commit: 5,
      discarded: records(1, 4),
      attempts: 3,
    });
    // The records after the discarded batch are still delivered.
    now += 2_000;
    expect(offsets(cursor.take(now))).toEqual([5]);
  });

  it('retries forever when maxRetryAttempts is -1', () => {
    const cursor = new PartitionCursor('orders', 3, { ...settings, maxRetryAttempts: -1 });
    for (let attempt = 0; attempt < 50; attempt++) {
      cursor.accept(records(0, 0), attempt * 10_000);
      cursor.take(attempt * 10_000 + 5_000);
      const decision = cursor.complete({ kind: 'failed', reason: 'x' }, attempt * 10_000 + 5_000);
      expect(decision.discarded).toBeUndefined();
    }
  });

  it('forgets in-memory state on reset and reads again from the committed offset', () => {
    const cursor = new PartitionCursor('orders', 3, settings, 2);
    expect(cursor.accept(records(0, 5), 0)).toBe(4);
    cursor.take(0);
    cursor.reset(3);
    expect(cursor.busy).toBe(false);
    expect(cursor.accept(records(0, 5), 0)).toBe(3);
  });
});
