import { describe, expect, it } from 'vitest';
import { fromDocument, toDocument } from '../../../../functions/core/opensearch/document.js';
import type { ViewState } from '../../../../functions/core/view-state.js';

const live: ViewState = {
  ev: 34,
  deleted: false,
  data: { name: 'Ada', tags: ['a'], nested: { n: 1 } },
  sourceVersion: 17,
  eventId: 'e1',
  ts: '2026-11-26T10:00:00Z',
  topic: 't',
  partition: 2,
  offset: 9,
};

describe('entity documents', () => {
  it('keep data under `data` and bookkeeping at the top level', () => {
    expect(toDocument(live)).toEqual({
      data: live.data,
      _deleted: false,
      _v: 34,
      _sv: 17,
      _eid: 'e1',
      _ts: '2026-11-26T10:00:00Z',
      _topic: 't',
      _partition: 2,
      _offset: 9,
    });
  });

  it('write tombstones without data', () => {
    const doc = toDocument({ ...live, ev: 35, deleted: true, data: null, sourceVersion: null });
    expect(doc).not.toHaveProperty('data');
    expect(doc._deleted).toBe(true);
    expect(doc._sv).toBeNull();
  });

  it('read back the state they were written from, taking ev from the stored _version', () => {
    const source = JSON.parse(JSON.stringify(toDocument(live)));
    expect(fromDocument(source, 34)).toEqual(live);
    expect(fromDocument(source, 40).ev).toBe(40);
    const tomb = { ...live, ev: 35, deleted: true, data: null, sourceVersion: null };
    expect(fromDocument(JSON.parse(JSON.stringify(toDocument(tomb))), 35)).toEqual(tomb);
  });
});
