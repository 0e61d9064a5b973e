import { describe, expect, it } from 'vitest';
import { defineAggregate } from '../../../../functions/core/dynamodb/aggregates.js';
import { projectionFromSpec } from '../../../../functions/core/dynamodb/projection.js';
import type { ViewState } from '../../../../functions/core/view-state.js';
import { toMskRecord } from '../../../../local/esm/event-builder.js';
import {
  compareAggregates,
  compareArchivePartition,
  compareStates,
} from '../../../../local/reconcile/compare.js';
import { buildOracle } from '../../../../local/reconcile/oracle.js';

let offset = 0;
const record = (key: string, value: unknown) =>
  toMskRecord({
    topic: 'shop',
    partition: 0,
    offset: offset++,
    timestamp: 1_800_000_000_000,
    timestampType: 'CREATE_TIME',
    key: Buffer.from(key),
    value:
      value === null
        ? null
        : Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
    headers: [],
  });
const env = (
  id: string,
  entity: string,
  key: string,
  op: string,
  version: number,
  data?: object,
) => ({
  id,
  entity,
  key,
  op,
  version,
  ts: '2026-11-26T10:00:00Z',
  ...(data === undefined ? {} : { data }),
});
const ordersByCustomer = defineAggregate({
  name: 'orders-by-customer',
  entity: 'order',
  groupBy: 'customerId',
  measures: { orderCount: { count: true }, totalSpent: { sum: 'amount' } },
});

describe('the reconciliation oracle', () => {
  it('folds each key in log order: late, duplicate and patched changes as the sinks apply them', () => {
    offset = 0;
    const oracle = buildOracle(
      [
        record('customer:1', env('a', 'customer', '1', 'upsert', 1, { name: 'Ada', tier: 'gold' })),
        record('customer:1', env('c', 'customer', '1', 'upsert', 3, { name: 'Ada B' })),
        record('customer:1', env('b', 'customer', '1', 'upsert', 2, { name: 'late' })),
        record('customer:1', env('d', 'customer', '1', 'patch', 4, { tier: 'silver' })),
        record('customer:1', env('d', 'customer', '1', 'patch', 4, { tier: 'silver' })),
        record('customer:2', env('e', 'customer', '2', 'upsert', 1, { name: 'Bo' })),
        record('customer:2', env('f', 'customer', '2', 'delete', 2)),
        record('customer:2', null),
        record('customer:3', '{broken'),
      ],
      { pipeline: { topics: {} } },
    );
    expect(oracle.records).toBe(9);
    expect(oracle.views.get('customer#1')).toMatchObject({
      ev: 8,
      deleted: false,
      data: { name: 'Ada B', tier: 'silver' },
    });
    expect(oracle.views.get('customer#2')).toMatchObject({ ev: 4, deleted: true, data: null });
    expect(oracle.poison).toEqual([expect.objectContaining({ offset: 8, reason: 'invalid-json' })]);
  });

  it('sums aggregate measures once per distinct event, exactly', () => {
    offset = 0;
    const oracle = buildOracle(
      [
        record('order:1', env('o1', 'order', '1', 'upsert', 1, { customerId: 'c1', amount: 0.1 })),
        record('order:2', env('o2', 'order', '2', 'upsert', 1, { customerId: 'c1', amount: 0.2 })),
        record('order:2', env('o2', 'order', '2', 'upsert', 1, { customerId: 'c1', amount: 0.2 })),
        record('order:1', env('o3', 'order', '1', 'patch', 2, { status: 'paid' })),
        record('order:9', env('o9', 'order', '9', 'upsert', 1, { amount: 5 })),
      ],
      { pipeline: { topics: {} }, aggregates: [ordersByCustomer] },
    );
    expect(oracle.aggregates.get('agg#orders-by-customer#c1')?.measures).toEqual({
      orderCount: '2',
      totalSpent: '0.3',
    });
    // No group: poison for the DynamoDB sink only; OpenSearch still applies it.
    expect(oracle.dynamoPoison.map((p) => p.reason)).toEqual(['aggregate-group-missing']);
    expect(oracle.views.has('order#9')).toBe(true);
    expect(oracle.dynamoViews.has('order#9')).toBe(false);
  });
});

const state = (ev: number, data: Record<string, unknown> | null, deleted = false): ViewState => ({
  ev,
  deleted,
  data,
  sourceVersion: ev / 2,
  eventId: 'e',
  ts: 't',
  topic: 'shop',
  partition: 0,
  offset: 0,
});

describe('store comparison', () => {
  it('expects the view as the DynamoDB sink stores it: projected, and a reserved name quarantined', () => {
    const log = [
      record(
        'account:1',
        env('a1', 'account', '1', 'upsert', 1, { pk: 'acct-1', sk: 'meta', n: 1 }),
      ),
      record('user:1', env('u1', 'user', '1', 'upsert', 1, { pk: 'u-1' })),
    ];

    const oracle = buildOracle(log, {
      pipeline: { topics: {} },
      projections: [
        projectionFromSpec({ entity: 'account', rename: { pk: 'accountId' }, omit: ['sk'] }),
      ],
    });

    expect(oracle.dynamoViews.get('account#1')?.data).toEqual({ accountId: 'acct-1', n: 1 });
    expect(oracle.views.get('account#1')?.data).toEqual({ pk: 'acct-1', sk: 'meta', n: 1 });
    expect(oracle.dynamoViews.has('user#1')).toBe(false);
    expect(oracle.dynamoPoison.map((p) => p.reason)).toEqual(['reserved-attribute']);
  });

  it('reports missing, stale, different and unexpected entities by key', () => {
    const expected = new Map([
      ['c#1', state(4, { a: 1 })],
      ['c#2', state(6, { a: 2 })],
      ['c#3', state(2, { a: 3 })],
      ['c#4', state(2, null, true)],
    ]);
    const actual = new Map([
      ['c#2', state(4, { a: 2 })],
      ['c#3', state(2, { a: 'x' })],
      ['c#9', state(2, { a: 9 })],
    ]);
    const { divergences, counts } = compareStates(expected, actual);
    expect(divergences.map((d) => `${d.kind} ${d.key}`).sort()).toEqual([
      'content c#3',
      'missing c#1',
      'unexpected c#9',
      'version c#2',
    ]);
    expect(counts).toEqual({ held: 3, live: 3, deleted: 0 });
  });

  it('accepts identical stores, and a tombstone that expired for a deleted entity', () => {
    const expected = new Map([
      ['c#1', state(4, { a: 1, nested: { b: [1, 2] } })],
      ['c#2', state(3, null, true)],
    ]);
    const actual = new Map([['c#1', state(4, { nested: { b: [1, 2] }, a: 1 })]]);
    expect(compareStates(expected, actual).divergences).toEqual([]);
  });

  it('compares aggregate totals as exact decimals', () => {
    const expected = new Map([
      [
        'agg#x#c1',
        { aggregate: 'x', group: 'c1', measures: { orderCount: '2', totalSpent: '0.3' } },
      ],
    ]);
    expect(
      compareAggregates(expected, new Map([['agg#x#c1', { orderCount: 2, totalSpent: 0.3 }]])),
    ).toEqual([]);
    expect(
      compareAggregates(
        expected,
        new Map([['agg#x#c1', { orderCount: 3, totalSpent: '0.30000000000000004' }]]),
      ).map((d) => d.key),
    ).toEqual(['agg#x#c1.orderCount', 'agg#x#c1.totalSpent']);
  });

  it('finds archive gaps, duplicates, byte differences and extra offsets', () => {
    const r = (o: number, value = `v${o}`) => ({
      offset: o,
      timestamp: 1,
      key: Buffer.from('k'),
      value: Buffer.from(value),
      headers: [],
    });
    const divergences = compareArchivePartition(
      'shop-0',
      [r(0), r(1), r(2), r(3)],
      [r(0), r(0), r(2, 'other'), r(3), r(7)],
    );
    expect(divergences.map((d) => `${d.kind} ${d.key}`)).toEqual([
      'archive-duplicate shop-0@0',
      'archive-gap shop-0@1',
      'archive-content shop-0@2',
      'archive-extra shop-0@7',
    ]);
  });
});
