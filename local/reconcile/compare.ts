/**
 * Compares what a store holds with the oracle (pure). Every difference is listed with
 * the key it concerns; nothing is sampled.
 */
import { isDeepStrictEqual } from 'node:util';
import { toDecimalString } from '../../functions/core/dynamodb/aggregates-decimal.js';
import type { ViewState } from '../../functions/core/view-state.js';
import type { AggregateTotals } from './oracle.js';

export type DivergenceKind =
  /** the oracle has a live entity the store lacks */
  | 'missing'
  /** the store has an entity (live) the log never produced, or one the log deleted */
  | 'unexpected'
  /** the store holds another version than the oracle */
  | 'version'
  /** same version, different data or deleted flag */
  | 'content'
  /** an aggregate measure differs */
  | 'total'
  /** archive: an offset of the log is not archived, archived twice, or archived differently */
  | 'archive-gap'
  | 'archive-duplicate'
  | 'archive-extra'
  | 'archive-content';

export interface Divergence {
  readonly kind: DivergenceKind;
  /** entity key (`<entity>#<key>`), aggregate item key, or `<topic>-<partition>@<offset>` */
  readonly key: string;
  readonly expected: string;
  readonly actual: string;
}

export interface StateCounts {
  /** entities the store holds (live + tombstones) */
  readonly held: number;
  readonly live: number;
  readonly deleted: number;
}

const describe = (s: ViewState | undefined): string =>
  s === undefined
    ? 'absent'
    : `v${s.sourceVersion ?? '∅'} (ev ${s.ev})${s.deleted ? ' deleted' : ''}`;

/**
 * Per key: same effective version, same deleted flag, same data. A tombstone the store no
 * longer holds (its TTL expired) equals a deleted entity: neither is visible.
 */
export function compareStates(
  expected: ReadonlyMap<string, ViewState>,
  actual: ReadonlyMap<string, ViewState>,
): { divergences: Divergence[]; counts: StateCounts } {
  const divergences: Divergence[] = [];
  for (const [key, want] of expected) {
    const got = actual.get(key);
    if (got === undefined) {
      if (!want.deleted)
        divergences.push({ kind: 'missing', key, expected: describe(want), actual: 'absent' });
      continue;
    }
    if (got.ev !== want.ev) {
      divergences.push({ kind: 'version', key, expected: describe(want), actual: describe(got) });
    } else if (
      got.deleted !== want.deleted ||
      (!want.deleted && !isDeepStrictEqual(got.data, want.data))
    ) {
      divergences.push({
        kind: 'content',
        key,
        expected: `${describe(want)} ${JSON.stringify(want.data)}`,
        actual: `${describe(got)} ${JSON.stringify(got.data)}`,
      });
    }
  }
  for (const [key, got] of actual) {
    if (!expected.has(key) && !got.deleted) {
      divergences.push({ kind: 'unexpected', key, expected: 'absent', actual: describe(got) });
    }
  }
  let live = 0;
  for (const s of actual.values()) if (!s.deleted) live++;
  return { divergences, counts: { held: actual.size, live, deleted: actual.size - live } };
}

/** Aggregate items: every measure equal as an exact decimal. */
export function compareAggregates(
  expected: ReadonlyMap<string, AggregateTotals>,
  actual: ReadonlyMap<string, Readonly<Record<string, unknown>>>,
): Divergence[] {
  const divergences: Divergence[] = [];
  for (const [key, want] of expected) {
    const got = actual.get(key);
    for (const [measure, total] of Object.entries(want.measures)) {
      const value = got === undefined ? undefined : toDecimalString(got[measure] ?? 0);
      if (value !== total) {
        divergences.push({
          kind: 'total',
          key: `${key}.${measure}`,
          expected: total,
          actual: value ?? 'absent',
        });
      }
    }
  }
  for (const key of actual.keys()) {
    if (!expected.has(key))
      divergences.push({ kind: 'total', key, expected: 'absent', actual: 'present' });
  }
  return divergences;
}

/** What the archive must hold for one record: its bytes and metadata, as Lambda saw them. */
export interface ArchiveComparable {
  readonly offset: number;
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: ReadonlyArray<{ readonly key: string; readonly value: Buffer }>;
}

const sameBytes = (a: Buffer | null, b: Buffer | null): boolean =>
  a === null || b === null ? a === b : a.equals(b);

const sameRecord = (a: ArchiveComparable, b: ArchiveComparable): boolean =>
  a.timestamp === b.timestamp &&
  sameBytes(a.key, b.key) &&
  sameBytes(a.value, b.value) &&
  a.headers.length === b.headers.length &&
  a.headers.every(
    (h, i) => h.key === b.headers[i]?.key && sameBytes(h.value, b.headers[i]?.value ?? null),
  );

/**
 * One partition of the archive against the log: every offset of the log archived exactly
 * once with the same bytes, nothing archived that the log does not hold.
 */
export function compareArchivePartition(
  partitionId: string,
  log: readonly ArchiveComparable[],
  archived: readonly ArchiveComparable[],
): Divergence[] {
  const divergences: Divergence[] = [];
  const byOffset = new Map<number, ArchiveComparable[]>();
  for (const r of archived) byOffset.set(r.offset, [...(byOffset.get(r.offset) ?? []), r]);
  const logOffsets = new Set<number>();
  for (const want of log) {
    logOffsets.add(want.offset);
    const key = `${partitionId}@${want.offset}`;
    const got = byOffset.get(want.offset) ?? [];
    if (got.length === 0) {
      divergences.push({
        kind: 'archive-gap',
        key,
        expected: 'archived once',
        actual: 'not archived',
      });
      continue;
    }
    if (got.length > 1) {
      divergences.push({
        kind: 'archive-duplicate',
        key,
        expected: 'archived once',
        actual: `archived ${got.length} times`,
      });
    }
    if (!got.every((g) => sameRecord(g, want))) {
      divergences.push({
        kind: 'archive-content',
        key,
        expected: 'the log record',
        actual: 'different bytes',
      });
    }
  }
  for (const offset of byOffset.keys()) {
    if (!logOffsets.has(offset)) {
      divergences.push({
        kind: 'archive-extra',
        key: `${partitionId}@${offset}`,
        expected: 'absent',
        actual: 'archived',
      });
    }
  }
  return divergences;
}
