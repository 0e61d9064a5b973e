import { describe, expect, it } from 'vitest';
import {
  type ArchiveKnowledge,
  afterBatch,
  dateSpanOf,
  EVERY_DAY,
  trusts,
} from '../../../../functions/core/archive/knowledge.js';

const DAY = { from: '2026-11-26', to: '2026-11-26' };
const known: ArchiveKnowledge = {
  after: 99,
  until: Number.POSITIVE_INFINITY,
  dates: DAY,
  ranges: [{ startOffset: 90, endOffset: 99 }],
  at: 1_000,
};
const batch = { checkpoint: 99, first: 100, last: 149, dates: DAY };
const TTL = 30_000;

describe('archive knowledge', () => {
  it('stands in for a listing for the batch that follows where the process left the partition', () => {
    expect(trusts(known, batch, 2_000, TTL)).toBe(true);
    // later batches too, once others moved the checkpoint on
    expect(trusts(known, { ...batch, checkpoint: 199, first: 200, last: 220 }, 2_000, TTL)).toBe(
      true,
    );
  });

  it('is not trusted by a batch that does not follow its checkpoint (an object may start before it)', () => {
    expect(trusts(known, { ...batch, first: 105 }, 2_000, TTL)).toBe(false);
  });

  it('is not trusted by a batch read without checkpoint or below where the process left it (a lost or rebuilt ledger)', () => {
    expect(trusts(known, { ...batch, checkpoint: null, first: 0 }, 2_000, TTL)).toBe(false);
    expect(trusts(known, { ...batch, checkpoint: 49, first: 50 }, 2_000, TTL)).toBe(false);
  });

  it('is not trusted past the next object it knows starts after its window', () => {
    expect(trusts({ ...known, until: 140 }, batch, 2_000, TTL)).toBe(false);
    expect(trusts({ ...known, until: 149 }, batch, 2_000, TTL)).toBe(true);
  });

  it('is not trusted for records of days whose folders it did not list', () => {
    expect(trusts(known, { ...batch, dates: { ...DAY, to: '2026-11-27' } }, 2_000, TTL)).toBe(
      false,
    );
    expect(
      trusts(
        { ...known, dates: EVERY_DAY },
        { ...batch, dates: { ...DAY, to: '2026-11-27' } },
        2_000,
        TTL,
      ),
    ).toBe(true);
  });

  it('expires after its time to live, and when the clock goes back', () => {
    expect(trusts(known, batch, 1_000 + TTL - 1, TTL)).toBe(true);
    expect(trusts(known, batch, 1_000 + TTL, TTL)).toBe(false);
    expect(trusts(known, batch, 999, TTL)).toBe(false);
  });

  it('after a batch, starts where the engine checkpoints and keeps only the objects beyond', () => {
    const next = afterBatch(
      known,
      149,
      [
        { startOffset: 90, endOffset: 99 },
        { startOffset: 100, endOffset: 149 },
        { startOffset: 150, endOffset: 170 },
        { startOffset: 150, endOffset: 170 },
      ],
      5_000,
    );
    expect(next).toEqual({
      after: 149,
      until: Number.POSITIVE_INFINITY,
      dates: DAY,
      ranges: [{ startOffset: 150, endOffset: 170 }],
      at: 5_000,
    });
  });

  it('spans the days of a batch, whatever their order', () => {
    expect(dateSpanOf(['2026-11-27', '2026-11-25', '2026-11-26'])).toEqual({
      from: '2026-11-25',
      to: '2026-11-27',
    });
    expect(dateSpanOf([])).toBeNull();
  });
});
