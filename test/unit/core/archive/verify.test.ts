import { describe, expect, it } from 'vitest';
import { parseExpectedOffsets } from '../../../../functions/core/archive/expected-offsets.js';
import { ArchiveVerifier, type VerifyOptions } from '../../../../functions/core/archive/verify.js';
import { formatArchiveReport } from '../../../../functions/core/archive/verify-report.js';

type Obj = {
  partition: number;
  start: number;
  offsets: number[];
  declared?: [number, number, number] | null;
};

function verify(objects: Obj[], options: VerifyOptions = {}) {
  const v = new ArchiveVerifier('t', options);
  for (const o of objects) {
    const last = o.offsets[o.offsets.length - 1] ?? o.start;
    const declared =
      o.declared === null
        ? null
        : o.declared === undefined
          ? { startOffset: o.start, endOffset: last, recordCount: o.offsets.length }
          : { startOffset: o.declared[0], endOffset: o.declared[1], recordCount: o.declared[2] };
    v.beginObject({
      key: `k/${o.partition}/${o.start}`,
      id: { topic: 't', partition: o.partition, date: '2026-01-01', startOffset: o.start },
      declared,
    });
    for (const offset of o.offsets) v.record({ topic: 't', partition: o.partition, offset });
    v.endObject();
  }
  return v.finish();
}

const seq = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

describe('archive verification', () => {
  it('accepts a gapless, duplicate-free chain and reports its offset ranges', () => {
    const report = verify([
      { partition: 0, start: 0, offsets: seq(0, 49) },
      { partition: 0, start: 50, offsets: seq(50, 99) },
      { partition: 1, start: 7, offsets: seq(7, 9) },
    ]);
    expect(report.ok).toBe(true);
    expect(report.partitions.map((p) => [p.partition, p.ranges, p.objects, p.records])).toEqual([
      [0, [[0, 99]], 2, 100],
      [1, [[7, 9]], 1, 3],
    ]);
    expect(formatArchiveReport('t', report)).toContain('OK: no gaps, no duplicates');
  });

  it('reports overlapping objects as duplicates', () => {
    const report = verify([
      { partition: 0, start: 100, offsets: seq(100, 149) },
      { partition: 0, start: 120, offsets: seq(120, 200) },
    ]);
    expect(report.ok).toBe(false);
    expect(report.partitions[0]?.duplicates.count).toBe(30);
    expect(report.problems.join('\n')).toMatch(/30 duplicate offset/);
  });

  it('reports a gap unless the topic is compacted', () => {
    const objects = [
      { partition: 0, start: 0, offsets: [0, 1, 2] },
      { partition: 0, start: 5, offsets: [5, 6] },
    ];
    const strict = verify(objects);
    expect(strict.ok).toBe(false);
    expect(strict.partitions[0]?.gaps).toEqual({ offsets: 2, ranges: [[3, 4]] });
    const compacted = verify(objects, { compacted: true });
    expect(compacted.ok).toBe(true);
    expect(compacted.warnings.join()).toMatch(/compacted/);
  });

  it('with the offsets Kafka holds, reports only the holes Kafka cannot explain', () => {
    const objects = [{ partition: 0, start: 0, offsets: [0, 1, 2, 5, 6, 8] }];
    const explained = verify(objects, {
      expected: parseExpectedOffsets({ 0: [[0, 2], 5, 6, 8, 9, 10] }),
    });
    expect(explained.ok).toBe(true);
    expect(explained.partitions[0]?.notYetArchived).toBe(2);
    const missing = verify(objects, { expected: parseExpectedOffsets({ 0: [[0, 8]] }) });
    expect(missing.ok).toBe(false);
    expect(missing.partitions[0]?.missing).toEqual({
      offsets: 3,
      ranges: [
        [3, 4],
        [7, 7],
      ],
    });
  });

  it('checks every object against its key and metadata', () => {
    const report = verify([
      { partition: 0, start: 0, offsets: [1, 2], declared: [0, 2, 2] },
      { partition: 0, start: 3, offsets: [3, 4], declared: [3, 9, 5] },
      { partition: 0, start: 5, offsets: [6, 5], declared: null },
      { partition: 0, start: 7, offsets: [] },
    ]);
    const text = report.problems.join('\n');
    expect(text).toMatch(/k\/0\/0: first record has offset 1, the key says 0/);
    expect(text).toMatch(/k\/0\/3: metadata end-offset 9 but last record is 4/);
    expect(text).toMatch(/k\/0\/3: metadata record-count 5 but 2 lines/);
    expect(text).toMatch(/k\/0\/5: lines are not in strictly ascending offset order/);
    expect(text).toMatch(/k\/0\/5: metadata .* missing/);
    expect(text).toMatch(/k\/0\/7: object holds no records/);
  });

  it('rejects malformed expected offsets', () => {
    expect(() => parseExpectedOffsets([1, 2])).toThrow(TypeError);
    expect(() => parseExpectedOffsets({ x: [1] })).toThrow(TypeError);
    expect(() => parseExpectedOffsets({ 0: [[5, 1]] })).toThrow(TypeError);
  });
});
