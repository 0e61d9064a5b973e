import { describe, expect, it } from 'vitest';
import {
  contributionsOf,
  defineAggregate,
  defineAggregates,
  mergeContributions,
  parseAggregateSpecs,
} from '../../../../functions/core/dynamodb/aggregates.js';
import { ConfigError, PoisonError } from '../../../../functions/core/errors.js';
import { change } from '../../sink-dynamodb/changes.js';

const ordersByCustomer = defineAggregate({
  name: 'orders-by-customer',
  entity: 'order',
  groupBy: 'customerId',
  measures: { orderCount: { count: true }, totalSpent: { sum: 'amount' } },
});

const order = (offset: number, data: Record<string, unknown>, op: 'upsert' | 'patch' = 'upsert') =>
  change({ entity: 'order', key: `o${offset}`, offset, version: 1, op, data });

describe('aggregate declarations', () => {
  it('rejects a declaration whose measure is neither a count nor a sum', () => {
    expect(() =>
      defineAggregate({
        name: 'x',
        entity: 'order',
        groupBy: 'c',
        measures: { n: {} as { count: true } },
      }),
    ).toThrow(ConfigError);
  });

  it('rejects names that would break the aggregate item key, and measures named like bookkeeping', () => {
    const measures = { n: { count: true } } as const;
    expect(() => defineAggregate({ name: 'a#b', entity: 'order', groupBy: 'c', measures })).toThrow(
      /name/,
    );
    expect(() =>
      defineAggregate({
        name: 'a',
        entity: 'order',
        groupBy: 'c',
        measures: { pk: { count: true } },
      }),
    ).toThrow(/measure name/);
  });

  it('refuses two aggregates with the same name', () => {
    expect(() => defineAggregates([ordersByCustomer, ordersByCustomer])).toThrow(/declared twice/);
  });

  it('reads declarative aggregates from the pipeline JSON and ignores the engine fields', () => {
    const json = JSON.stringify({
      topics: { orders: { versioning: 'source' } },
      aggregates: [
        {
          name: 'by-c',
          entity: 'order',
          groupBy: ['region', 'customerId'],
          measures: { n: { count: true } },
        },
      ],
    });
    expect(parseAggregateSpecs(json)).toEqual([
      {
        name: 'by-c',
        entity: 'order',
        groupBy: ['region', 'customerId'],
        measures: { n: { count: true } },
      },
    ]);
    expect(parseAggregateSpecs(JSON.stringify({ topics: {} }))).toEqual([]);
    expect(() => parseAggregateSpecs('{"aggregates": {}}')).toThrow(ConfigError);
  });
});

describe('contributions of a change', () => {
  it('counts the event and adds its amount to the group named by the declared field', () => {
    expect(
      contributionsOf(order(1, { customerId: 'c1', amount: 12.5 }), [ordersByCustomer]),
    ).toEqual([
      {
        aggregate: 'orders-by-customer',
        group: 'c1',
        deltas: { orderCount: '1', totalSpent: '12.5' },
      },
    ]);
  });

  it('leaves out other entities and operations not declared', () => {
    expect(
      contributionsOf(change({ key: 'k', offset: 1, version: 1 }), [ordersByCustomer]),
    ).toEqual([]);
    expect(contributionsOf(order(1, { customerId: 'c1' }, 'patch'), [ordersByCustomer])).toEqual(
      [],
    );
  });

  it('adds zero for an absent amount and makes a non-numeric one poison', () => {
    expect(
      contributionsOf(order(1, { customerId: 'c1' }), [ordersByCustomer])[0]?.deltas.totalSpent,
    ).toBe('0');
    expect(() =>
      contributionsOf(order(2, { customerId: 'c1', amount: 'lots' }), [ordersByCustomer]),
    ).toThrow(expect.objectContaining({ reason: 'aggregate-measure-not-numeric' }));
  });

  it('makes an event without its group field poison, but lets a groupBy function skip it', () => {
    expect(() => contributionsOf(order(1, { amount: 1 }), [ordersByCustomer])).toThrow(PoisonError);
    const skipping = defineAggregate({
      ...ordersByCustomer,
      groupBy: (c) => (c.data?.customerId as string | undefined) ?? null,
    });
    expect(contributionsOf(order(1, { amount: 1 }), [skipping])).toEqual([]);
  });

  it('sums several events of one group exactly, as decimals', () => {
    const merged = mergeContributions([
      ...contributionsOf(order(1, { customerId: 'c1', amount: 0.1 }), [ordersByCustomer]),
      ...contributionsOf(order(2, { customerId: 'c1', amount: 0.2 }), [ordersByCustomer]),
      ...contributionsOf(order(3, { customerId: 'c2', amount: '1e3' }), [ordersByCustomer]),
    ]);
    expect(Object.fromEntries([...merged].map(([k, c]) => [k, c.deltas]))).toEqual({
      'agg#orders-by-customer#c1': { orderCount: '2', totalSpent: '0.3' },
      'agg#orders-by-customer#c2': { orderCount: '1', totalSpent: '1000' },
    });
  });
});
