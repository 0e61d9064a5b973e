import { describe, expect, it } from 'vitest';
import {
  finishActions,
  parseVersionedIndex,
  planOpenSearchRebuild,
  swapActions,
} from '../../../../local/rebuild/opensearch-plan.js';
import { formatProgress } from '../../../../local/rebuild/progress.js';

const live = (entity: string, v: number) => ({
  index: `p-${entity}-v${v}`,
  aliases: [`p-${entity}-write`, `p-${entity}`],
});
const staging = (entity: string, v: number) => ({
  index: `p-${entity}-v${v}`,
  aliases: [`p-${entity}-rebuild`, `p-${entity}-rebuild-read`],
});

describe('planOpenSearchRebuild', () => {
  it('parses versioned index names of the prefix only', () => {
    expect(parseVersionedIndex('p', 'p-customer-v12')).toEqual({
      index: 'p-customer-v12',
      entity: 'customer',
      version: 12,
    });
    expect(parseVersionedIndex('p', 'p-customer-write')).toBeNull();
    expect(parseVersionedIndex('p', 'q-customer-v1')).toBeNull();
  });

  it('starts version N+1 when no rebuild is under way', () => {
    const plan = planOpenSearchRebuild('p', [
      live('customer', 1),
      live('order', 2),
      { index: 'p-order-v1', aliases: [] },
    ]);
    expect(plan).toMatchObject({ phase: 'fresh', version: 3, unreferenced: ['p-order-v1'] });
  });

  it('resumes a rebuild found by its staging aliases, and knows when the swap happened', () => {
    expect(planOpenSearchRebuild('p', [live('customer', 1), staging('customer', 2)])).toMatchObject(
      {
        phase: 'building',
        version: 2,
      },
    );
    const swapped = planOpenSearchRebuild('p', [
      { index: 'p-customer-v1', aliases: [] },
      { index: 'p-customer-v2', aliases: ['p-customer-write', 'p-customer', 'p-customer-rebuild'] },
    ]);
    expect(swapped).toMatchObject({ phase: 'swapped', version: 2 });
  });

  it('refuses rebuild aliases on two versions', () => {
    expect(() => planOpenSearchRebuild('p', [staging('customer', 2), staging('order', 3)])).toThrow(
      /several versions/,
    );
  });

  it('swaps both live aliases in one list of actions and drops the staging read alias', () => {
    const plan = planOpenSearchRebuild('p', [live('customer', 1), staging('customer', 2)]);
    expect(swapActions(plan)).toEqual([
      { remove: { index: 'p-customer-v1', alias: 'p-customer-write' } },
      { remove: { index: 'p-customer-v1', alias: 'p-customer' } },
      { add: { index: 'p-customer-v2', alias: 'p-customer-write', is_write_index: true } },
      {
        add: {
          index: 'p-customer-v2',
          alias: 'p-customer',
          filter: { bool: { must_not: [{ term: { _deleted: true } }] } },
        },
      },
      { remove: { index: 'p-customer-v2', alias: 'p-customer-rebuild-read', must_exist: false } },
    ]);
    expect(finishActions(plan)).toEqual([
      { remove: { index: 'p-customer-v2', alias: 'p-customer-rebuild' } },
    ]);
  });
});

describe('formatProgress', () => {
  it('shows records done, rate and ETA', () => {
    expect(formatProgress('kafka', { done: 250, total: 1000, elapsedMs: 500 })).toBe(
      '  kafka: 250/1000 records (25%), 500 records/s, ETA 2 s',
    );
    expect(formatProgress('kafka', { done: 0, total: 10, elapsedMs: 0 })).toMatch(/ETA \?/);
    expect(formatProgress('kafka', { done: 10, total: 10, elapsedMs: 1000 })).toMatch(
      /100%.*ETA 0 s/,
    );
  });
});
