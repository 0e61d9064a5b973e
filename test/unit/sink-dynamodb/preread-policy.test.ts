import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alreadyHolds } from '../../../functions/adapters/dynamodb-view-preread.js';
import {
  NO_EVIDENCE,
  observe,
  PREREAD_BREAK_EVEN,
  PreReadPolicy,
  STALE_WINDOW_KEYS,
  shouldPreRead,
} from '../../../functions/sink-dynamodb/preread-policy.js';

describe('pre-read break-even', () => {
  it('is the price of half a read unit over a write unit at on-demand prices (0.1)', () => {
    expect(PREREAD_BREAK_EVEN).toBeCloseTo(0.1, 12);
  });
});

describe('stale share estimate', () => {
  it('starts without evidence, below any positive threshold', () => {
    expect(shouldPreRead(NO_EVIDENCE, PREREAD_BREAK_EVEN)).toBe(false);
    expect(shouldPreRead(NO_EVIDENCE, 0)).toBe(true);
  });

  it('is the plain share of stale keys until the window is full', () => {
    const after = observe(observe(NO_EVIDENCE, 10, 0), 10, 5);
    expect(after.share).toBeCloseTo(5 / 20, 12);
    expect(after.weight).toBe(20);
  });

  it('ignores a batch without blind keys and rejects impossible counts', () => {
    const est = observe(NO_EVIDENCE, 10, 3);
    expect(observe(est, 0, 0)).toBe(est);
    expect(() => observe(est, 4, 5)).toThrow(RangeError);
    expect(() => observe(est, 4, -1)).toThrow(RangeError);
  });

  it('forgets old evidence: a long fresh run after a stale one brings the share under the break-even', () => {
    let est = NO_EVIDENCE;
    for (let i = 0; i < 20; i++) est = observe(est, 10, 10);
    expect(est.share).toBe(1);
    let batches = 0;
    while (shouldPreRead(est, PREREAD_BREAK_EVEN)) {
      est = observe(est, 10, 0);
      batches++;
    }
    // a window of 50 keys: each fresh 10-key batch keeps 50/60 of the share, (5/6)^13 < 0.1
    expect(STALE_WINDOW_KEYS).toBe(50);
    expect(batches).toBe(13);
  });

  it('stays within 0..1, never gets heavier than the window, and lands between the old share and the batch share', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 500 }),
        fc.integer({ min: 1, max: 2000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (share, weight, keys, staleRatio) => {
          const stale = Math.floor(staleRatio * keys);
          const next = observe({ share, weight }, keys, stale);
          const batch = stale / keys;
          expect(next.share).toBeGreaterThanOrEqual(Math.min(share, batch) - 1e-12);
          expect(next.share).toBeLessThanOrEqual(Math.max(share, batch) + 1e-12);
          expect(next.weight).toBeLessThanOrEqual(STALE_WINDOW_KEYS);
        },
      ),
    );
  });
});

describe('PreReadPolicy', () => {
  it('turns on for a partition whose writes keep failing their guard, and only for that one', () => {
    const policy = new PreReadPolicy();
    policy.record('t-0', 10, 0);
    policy.record('t-1', 10, 0);
    expect(policy.enabled('t-0')).toBe(false);
    policy.record('t-0', 10, 5);
    expect(policy.enabled('t-0')).toBe(true);
    expect(policy.enabled('t-1')).toBe(false);
  });

  it('stays off at a stale share under the break-even (1% of keys)', () => {
    const policy = new PreReadPolicy();
    for (let i = 0; i < 100; i++) policy.record('t-0', 100, 1);
    expect(policy.enabled('t-0')).toBe(false);
  });

  it('with threshold 0 reads from the first batch on', () => {
    expect(new PreReadPolicy(0).enabled('t-0')).toBe(true);
  });

  it('refuses a threshold outside 0..1', () => {
    expect(() => new PreReadPolicy(1.5)).toThrow(RangeError);
    expect(() => new PreReadPolicy(-0.1)).toThrow(RangeError);
    expect(() => new PreReadPolicy(Number.NaN)).toThrow(RangeError);
  });
});

describe('alreadyHolds', () => {
  it('skips exactly when the put guard `_v < :v` would fail', () => {
    expect(alreadyHolds(undefined, 10)).toBe(false);
    expect(alreadyHolds({ ev: 9, eventId: 'a' }, 10)).toBe(false);
    // an offset-guarded tombstone stored at 2×5+1 is older than the next version 6 (ev 12)
    expect(alreadyHolds({ ev: 11, eventId: 'a' }, 12)).toBe(false);
    expect(alreadyHolds({ ev: 10, eventId: 'a' }, 10)).toBe(true);
    expect(alreadyHolds({ ev: 11, eventId: 'a' }, 10)).toBe(true);
  });
});
