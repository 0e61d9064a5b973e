import { describe, expect, it } from 'vitest';
import { Metric } from '../../../../functions/core/engine/observability.js';
import { isResolved, outcomeOf } from '../../../../local/redrive/outcome.js';

const counts = (entries: Array<[string, number]>) =>
  new Map(entries) as Parameters<typeof outcomeOf>[0]['counts'];

describe('outcomeOf', () => {
  it('is applied when the engine applied the record', () => {
    expect(outcomeOf({ counts: counts([[Metric.applied, 1]]), failed: false })).toBe('applied');
  });
  it('is already-applied when the version guard found it stale or duplicate', () => {
    expect(outcomeOf({ counts: counts([[Metric.stale, 1]]), failed: false })).toBe(
      'already-applied',
    );
    expect(outcomeOf({ counts: counts([[Metric.duplicate, 1]]), failed: false })).toBe(
      'already-applied',
    );
  });
  it('is still-poison when the engine quarantined it again', () => {
    expect(
      outcomeOf({
        counts: counts([[Metric.poison, 1]]),
        failed: false,
        poisonReason: 'invalid-json',
      }),
    ).toBe('still-poison');
  });
  it('is failed when the handler reported it, or when nothing accounts for it', () => {
    expect(outcomeOf({ counts: counts([[Metric.applied, 1]]), failed: true })).toBe('failed');
    expect(outcomeOf({ counts: counts([]), failed: false })).toBe('failed');
  });
  it('resolves (moves under redriven/) only applied and already-applied records', () => {
    expect(
      ['applied', 'already-applied', 'still-poison', 'failed'].map((o) => isResolved(o as never)),
    ).toEqual([true, true, false, false]);
  });
});
