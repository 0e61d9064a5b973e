import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addDays,
  archiveObjectKey,
  normalizePrefix,
  objectStem,
  parseArchiveKey,
  parseDateFolder,
  parsePartitionFolder,
  utcDate,
} from '../../../../functions/core/archive/key.js';

describe('archive object keys', () => {
  it('follow <prefix>/topic=<t>/dt=<date>/partition=<p>/<t>+<p>+<20-digit start>.jsonl.gz', () => {
    const key = archiveObjectKey('archive', {
      topic: 'customers.v1',
      partition: 3,
      date: utcDate(Date.UTC(2026, 10, 26, 23, 59, 59, 999)),
      startOffset: 42,
    });
    expect(key).toBe(
      'archive/topic=customers.v1/dt=2026-11-26/partition=3/customers.v1+3+00000000000000000042.jsonl.gz',
    );
  });

  it('start at the bucket root when the prefix is empty and ignore stray slashes', () => {
    const id = { topic: 't', partition: 0, date: '2026-01-01', startOffset: 0 };
    expect(archiveObjectKey('', id)).toBe(
      'topic=t/dt=2026-01-01/partition=0/t+0+00000000000000000000.jsonl.gz',
    );
    expect(archiveObjectKey('/a/b/', id)).toBe(
      'a/b/topic=t/dt=2026-01-01/partition=0/t+0+00000000000000000000.jsonl.gz',
    );
    expect(normalizePrefix('//x//')).toBe('x');
  });

  it('parse back to the same topic, partition, date and start offset', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('', 'archive', 'a/b'),
        fc.stringMatching(/^[A-Za-z0-9._-]{1,40}$/),
        fc.nat({ max: 10_000 }),
        fc.integer({ min: -1, max: 4_102_444_800_000 }),
        fc.maxSafeNat(),
        (prefix, topic, partition, ts, startOffset) => {
          const id = { topic, partition, date: utcDate(ts), startOffset };
          expect(parseArchiveKey(archiveObjectKey(prefix, id))).toEqual(id);
        },
      ),
    );
  });

  it('sort like their start offsets within a partition folder', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), fc.maxSafeNat(), (a, b) => {
        const ka = objectStem('t', 1, a);
        const kb = objectStem('t', 1, b);
        expect(Math.sign(ka.localeCompare(kb, 'en'))).toBe(Math.sign(a - b));
        expect(ka < kb).toBe(a < b);
      }),
    );
  });

  it('are rejected when the folder and the file name disagree', () => {
    expect(
      parseArchiveKey('topic=a/dt=2026-01-01/partition=1/b+1+00000000000000000001.jsonl.gz'),
    ).toBeNull();
    expect(
      parseArchiveKey('topic=a/dt=2026-01-01/partition=1/a+2+00000000000000000001.jsonl.gz'),
    ).toBeNull();
    expect(parseArchiveKey('topic=a/dt=2026-01-01/partition=1/a+1+1.jsonl.gz')).toBeNull();
    expect(parseArchiveKey('quarantine/whatever.json')).toBeNull();
  });

  it('refuse negative or unsafe offsets', () => {
    expect(() => objectStem('t', 0, -1)).toThrow(RangeError);
    expect(() => objectStem('t', 0, 2 ** 60)).toThrow(RangeError);
  });
});

describe('archive dates', () => {
  it('are the UTC day of the timestamp, Kafka "no timestamp" included', () => {
    expect(utcDate(Date.UTC(2026, 0, 1, 0, 0, 0))).toBe('2026-01-01');
    expect(utcDate(Date.UTC(2025, 11, 31, 23, 59, 59, 999))).toBe('2025-12-31');
    expect(utcDate(-1)).toBe('1969-12-31');
  });

  it('fall back to 1970-01-01 for timestamps no calendar date can hold', () => {
    expect(utcDate(8.64e15 + 1)).toBe('1970-01-01');
    expect(utcDate(Number.NaN)).toBe('1970-01-01');
    expect(utcDate(-62_198_755_200_001)).toBe('1970-01-01');
  });

  it('step by whole days across month and year ends', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
  });

  it('and partition folders are read back from listing prefixes', () => {
    expect(parseDateFolder('archive/topic=t/dt=2026-11-26/')).toBe('2026-11-26');
    expect(parseDateFolder('archive/topic=t/other/')).toBeNull();
    expect(parsePartitionFolder('archive/topic=t/dt=2026-11-26/partition=12/')).toBe(12);
  });
});
