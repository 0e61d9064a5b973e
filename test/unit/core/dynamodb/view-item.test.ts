import { describe, expect, it } from 'vitest';
import {
  assertStorable,
  fromViewItem,
  toViewItem,
} from '../../../../functions/core/dynamodb/view-item.js';
import { applyChange, type ViewState } from '../../../../functions/core/view-state.js';
import { change } from '../../sink-dynamodb/changes.js';

const opts = { nowMs: 1_000_000, tombstoneTtlSeconds: 60 };

describe('view item layout', () => {
  it('stores the data as top-level attributes next to the version and source coordinates', () => {
    const state = applyChange(
      undefined,
      change({ key: '42', offset: 7, version: 3, data: { name: 'Ann' } }),
    ) as ViewState;
    expect(toViewItem('customer', '42', state, opts)).toEqual({
      pk: 'customer#42',
      name: 'Ann',
      _v: 6,
      _sv: 3,
      _deleted: false,
      _entity: 'customer',
      _key: '42',
      _topic: 'changes',
      _partition: 0,
      _offset: 7,
      _eventId: 'evt-42-3',
      _ts: '2026-11-26T10:00:00Z',
    });
  });

  it('gives tombstones no data and an expiry', () => {
    const state = applyChange(
      undefined,
      change({ key: '42', offset: 7, version: 3, op: 'delete' }),
    ) as ViewState;
    const item = toViewItem('customer', '42', state, opts);
    expect(item).toMatchObject({ _deleted: true, expiresAt: 1_060 });
    expect(item).not.toHaveProperty('name');
  });

  it('reads back the very state it stored', () => {
    for (const c of [
      change({ key: '1', offset: 2, version: 9, data: { a: 1, nested: { b: [1, 'x'] } } }),
      change({ key: '1', offset: 3, version: 9, op: 'delete' }),
    ]) {
      const state = applyChange(undefined, c) as ViewState;
      expect(fromViewItem(toViewItem(c.entity, c.key, state, opts))).toEqual(state);
    }
  });

  it('refuses data that takes a reserved attribute name, and the entity reserved for aggregates', () => {
    expect(() =>
      assertStorable(change({ key: '1', offset: 1, version: 1, data: { _v: 1 } })),
    ).toThrow(expect.objectContaining({ reason: 'reserved-attribute' }));
    expect(() =>
      assertStorable(change({ key: '1', offset: 1, version: 1, data: { pk: 'x' } })),
    ).toThrow(expect.objectContaining({ reason: 'reserved-attribute' }));
    expect(() =>
      assertStorable(change({ key: '1', offset: 1, version: 1, entity: 'agg' })),
    ).toThrow(expect.objectContaining({ reason: 'reserved-entity' }));
    expect(() =>
      assertStorable(change({ key: '1', offset: 1, version: 1, data: { _id: 'ok' } })),
    ).not.toThrow();
  });
});
