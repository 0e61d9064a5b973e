import { describe, expect, it } from 'vitest';
import { parseSince } from '../../../../local/redrive/cli-support.js';
import { redrivenKey } from '../../../../local/redrive/quarantine-objects.js';
import { selects } from '../../../../local/redrive/redrive.js';
import { formatSummary, type RedriveRow } from '../../../../local/redrive/summary.js';
import { UsageError } from '../../../../local/sinks/errors.js';

const row = (
  offset: number,
  reason: string,
  outcome: RedriveRow['outcome'],
  newReason?: string,
) => ({
  key: `k${offset}`,
  topic: 't',
  partition: 0,
  offset,
  reason,
  outcome,
  ...(newReason === undefined ? {} : { newReason }),
});

describe('formatSummary', () => {
  it('counts records by original reason and outcome, with totals, and names changed reasons', () => {
    const text = formatSummary([
      row(1, 'missing-version', 'applied'),
      row(2, 'missing-version', 'applied'),
      row(3, 'missing-version', 'already-applied'),
      row(4, 'invalid-json', 'still-poison', 'invalid-json'),
      row(5, 'mapper_parsing_exception', 'still-poison', 'invalid-entity-name'),
    ]);
    expect(text.split('\n')).toEqual([
      'reason                    applied  already-applied  still-poison',
      'invalid-json                    0                0             1',
      'mapper_parsing_exception        0                0             1',
      'missing-version                 2                1             0',
      'total                           2                1             2',
      '  t-0@5: still poison, now invalid-entity-name',
    ]);
  });
  it('says so when nothing matched', () => {
    expect(formatSummary([])).toMatch(/nothing to redrive/);
  });
});

describe('selection and keys', () => {
  const entry = { reason: 'invalid-json', quarantinedAt: '2026-12-02T10:00:00.000Z' } as never;
  it('selects by reason and by time of quarantine', () => {
    expect(selects(entry, {})).toBe(true);
    expect(selects(entry, { reason: 'missing-version' })).toBe(false);
    expect(selects(entry, { since: new Date('2026-12-02T10:00:00Z') })).toBe(true);
    expect(selects(entry, { since: new Date('2026-12-02T10:00:01Z') })).toBe(false);
  });
  it('parses --since as an ISO date and rejects anything else with a clear message', () => {
    expect(parseSince('2026-12-01').toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(parseSince('2026-12-01T10:00:00Z').toISOString()).toBe('2026-12-01T10:00:00.000Z');
    expect(() => parseSince('yesterday')).toThrow(UsageError);
    expect(() => parseSince('yesterday')).toThrow(/--since must be an ISO date/);
  });
  it('moves an entry under <prefix>/redriven/, keeping the rest of its key', () => {
    expect(redrivenKey('quarantine', 'quarantine/sink=s/topic=t/partition=0/1.json')).toBe(
      'quarantine/redriven/sink=s/topic=t/partition=0/1.json',
    );
    expect(() => redrivenKey('quarantine', 'other/x.json')).toThrow(/not under/);
  });
});
