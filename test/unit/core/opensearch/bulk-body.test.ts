import { describe, expect, it } from 'vitest';
import {
  bulkBody,
  chunkActions,
  DEFAULT_BULK_LIMITS,
  serializeAction,
} from '../../../../functions/core/opensearch/bulk-body.js';
import type { EntityDocument } from '../../../../functions/core/opensearch/document.js';

const doc = (extra: Record<string, unknown> = {}): EntityDocument => ({
  data: { name: 'Ada', ...extra },
  _deleted: false,
  _v: 34,
  _sv: 17,
  _eid: 'e1',
  _ts: '2026-11-26T10:00:00Z',
  _topic: 't',
  _partition: 0,
  _offset: 5,
});

describe('bulk bodies', () => {
  it('serialize an index action with external versioning and the document on the next line', () => {
    const action = serializeAction(
      { index: 'p-customer-write', id: '42', version: 34, document: doc() },
      'ref',
    );
    const [meta, source, rest] = action.ndjson.split('\n');
    expect(JSON.parse(meta as string)).toEqual({
      index: { _index: 'p-customer-write', _id: '42', version: 34, version_type: 'external' },
    });
    expect(JSON.parse(source as string)).toEqual(doc());
    expect(rest).toBe('');
    expect(action.bytes).toBe(Buffer.byteLength(action.ndjson));
  });

  it('count bytes, not characters', () => {
    const ascii = serializeAction(
      { index: 'i', id: '1', version: 2, document: doc({ s: 'e' }) },
      0,
    );
    const accented = serializeAction(
      { index: 'i', id: '1', version: 2, document: doc({ s: 'é' }) },
      0,
    );
    expect(accented.bytes - ascii.bytes).toBe(1);
  });

  it('chunk 2,500 small actions into 1000 + 1000 + 500 by default', () => {
    const actions = Array.from({ length: 2500 }, (_, i) =>
      serializeAction({ index: 'i', id: String(i), version: 2, document: doc() }, i),
    );
    const chunks = chunkActions(actions, DEFAULT_BULK_LIMITS);
    expect(chunks.map((c) => c.length)).toEqual([1000, 1000, 500]);
    expect(chunks.flat().map((a) => a.ref)).toEqual(actions.map((a) => a.ref));
  });

  it('chunk by bytes before the action count is reached', () => {
    const actions = Array.from({ length: 10 }, (_, i) =>
      serializeAction(
        { index: 'i', id: String(i), version: 2, document: doc({ pad: 'x'.repeat(1000) }) },
        i,
      ),
    );
    const per = actions[0]?.bytes ?? 0;
    const chunks = chunkActions(actions, { maxActions: 1000, maxBytes: per * 3 + 1 });
    expect(chunks.map((c) => c.length)).toEqual([3, 3, 3, 1]);
    for (const chunk of chunks)
      expect(Buffer.byteLength(bulkBody(chunk))).toBeLessThanOrEqual(per * 3 + 1);
  });

  it('send an action larger than the byte limit alone rather than drop it', () => {
    const small = serializeAction({ index: 'i', id: 's', version: 2, document: doc() }, 's');
    const big = serializeAction(
      { index: 'i', id: 'b', version: 2, document: doc({ pad: 'x'.repeat(5000) }) },
      'b',
    );
    const chunks = chunkActions([small, big, small], { maxActions: 10, maxBytes: 1000 });
    expect(chunks.map((c) => c.map((a) => a.ref))).toEqual([['s'], ['b'], ['s']]);
  });
});
