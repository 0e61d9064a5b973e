import type { RecordCoordinates } from './record.js';

/**
 * The one internal change type that native envelopes, Debezium events and Kafka
 * tombstones all decode to (DESIGN §3.1).
 *
 * Versions. Every store keeps an *effective version* `ev` per key:
 * - a change with source version `v` (or, on a log-ordered topic, offset `v`) has `ev = 2v`;
 * - a tombstone on a source-versioned topic carries no version: it applies only over
 *   live state written from an earlier offset of the same topic-partition, and is
 *   stored at `ev = stored.ev + 1` (odd), so the next real version `2(v+1)` still wins.
 *   Such a change has `guard.kind === 'offset'`.
 * Source versions are limited to `0 ≤ v ≤ MAX_SOURCE_VERSION` so that `2v + 1` stays a
 * safe integer.
 */
export const MAX_SOURCE_VERSION = 2 ** 52 - 1;

export const ChangeOps = ['upsert', 'patch', 'delete'] as const;
export type ChangeOp = (typeof ChangeOps)[number];

export type ChangeGuard =
  /** applies iff the stored ev is absent or lower than `ev` */
  | { readonly kind: 'version'; readonly ev: number }
  /** source-versioned Kafka tombstone: applies iff stored state is live and was written
   *  from an earlier offset of the same topic-partition */
  | { readonly kind: 'offset' };

export interface Change {
  /** dedupe identity: the envelope id, or `<topic>-<partition>@<offset>` when the
   *  source has none (Kafka tombstones, Debezium) */
  readonly eventId: string;
  readonly entity: string;
  /** entity id (without the entity prefix) */
  readonly key: string;
  readonly op: ChangeOp;
  readonly guard: ChangeGuard;
  /** the source version as sent (null for an offset-guarded tombstone) */
  readonly sourceVersion: number | null;
  /** when the change happened at the source (ISO-8601) */
  readonly ts: string;
  /** full new state (upsert) or the fields to set (patch); undefined on delete */
  readonly data?: Readonly<Record<string, unknown>>;
  readonly coords: RecordCoordinates;
  /** true when this change is a Kafka tombstone (null value) */
  readonly tombstone: boolean;
}

/** Effective version of a versioned change. */
export const effectiveVersion = (sourceVersion: number): number => sourceVersion * 2;
