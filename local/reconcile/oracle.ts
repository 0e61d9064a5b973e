/**
 * The expected state of every store, computed from the log alone (pure):
 * - state stores (DynamoDB view, OpenSearch index): per entity key, the changes of the
 *   log folded in offset order through `applyChange` (functions/core/view-state.ts), the
 *   very rule the sinks follow;
 * - aggregates: the measures of every *distinct* matching event (by event id), summed;
 * - poison: records no sink can apply, with the reason the sinks quarantine them for.
 *
 * Records are decoded exactly as the sinks decode them (MSK decoding, then the envelope
 * decoder with the topic's pipeline settings), so the oracle and the sinks cannot
 * disagree on what a record means.
 */

import { type PipelineConfig, topicSettings } from '../../functions/contract/pipeline.js';
import type { Change } from '../../functions/core/change.js';
import {
  type AggregateDeclaration,
  aggregateItemKey,
  contributionsOf,
} from '../../functions/core/dynamodb/aggregates.js';
import { addDecimals } from '../../functions/core/dynamodb/aggregates-decimal.js';
import {
  type Projection,
  projectChange,
  projectionsByEntity,
} from '../../functions/core/dynamodb/projection.js';
import { assertStorable } from '../../functions/core/dynamodb/view-item.js';
import { decodeChange } from '../../functions/core/envelope/decode-change.js';
import { PoisonError } from '../../functions/core/errors.js';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from '../../functions/core/limits.js';
import { decodeRecord } from '../../functions/core/msk-decode.js';
import type { MskEventRecord } from '../../functions/core/msk-event.js';
import { applyChange, entityKey, type ViewState } from '../../functions/core/view-state.js';

export interface PoisonRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly reason: string;
  readonly message: string;
}

export interface AggregateTotals {
  readonly aggregate: string;
  readonly group: string;
  /** measure → exact decimal string */
  readonly measures: Readonly<Record<string, string>>;
}

export interface Oracle {
  /** records read from the log */
  readonly records: number;
  /** entity key (`<entity>#<key>`) → expected state, for state stores without aggregates */
  readonly views: ReadonlyMap<string, ViewState>;
  /** the same for a DynamoDB sink with aggregates: a record whose aggregate contribution
   *  cannot be computed is poison there (quarantined as a whole) */
  readonly dynamoViews: ReadonlyMap<string, ViewState>;
  /** aggregate item key (`agg#<name>#<group>`) → totals */
  readonly aggregates: ReadonlyMap<string, AggregateTotals>;
  readonly poison: readonly PoisonRecord[];
  /** records poison for the DynamoDB sink only (aggregate contributions) */
  readonly dynamoPoison: readonly PoisonRecord[];
}

export interface OracleOptions {
  readonly pipeline: PipelineConfig;
  readonly aggregates?: readonly AggregateDeclaration[];
  /** what the DynamoDB view stores per entity (as the sink applies them) */
  readonly projections?: readonly Projection[];
  readonly limits?: DecodeLimits;
}

/**
 * Folds records, given per partition in ascending offset order (partitions in any order:
 * a key lives in one partition), into the expected state of every store.
 */
export function buildOracle(records: Iterable<MskEventRecord>, options: OracleOptions): Oracle {
  const limits = options.limits ?? DEFAULT_DECODE_LIMITS;
  const aggregates = options.aggregates ?? [];
  const projections = projectionsByEntity(options.projections ?? []);
  const views = new Map<string, ViewState>();
  const dynamoViews = new Map<string, ViewState>();
  const totals = new Map<string, AggregateTotals>();
  const countedEvents = new Set<string>();
  const poison: PoisonRecord[] = [];
  const dynamoPoison: PoisonRecord[] = [];
  let count = 0;

  const fold = (map: Map<string, ViewState>, change: Change) => {
    const k = entityKey(change);
    const next = applyChange(map.get(k), change);
    if (next !== undefined) map.set(k, next);
  };

  for (const raw of records) {
    count++;
    const where = { topic: raw.topic, partition: raw.partition, offset: raw.offset };
    const decoded = decodeRecord(raw, limits);
    let change: Change;
    try {
      if (decoded.poison !== undefined) throw decoded.poison;
      change = decodeChange(decoded.record, topicSettings(options.pipeline, raw.topic), limits);
    } catch (err) {
      if (!(err instanceof PoisonError)) throw err;
      poison.push({ ...where, reason: err.reason, message: err.message });
      continue;
    }
    fold(views, change);
    // The DynamoDB sink's own checks, in its order: aggregate contributions, the
    // projection, then what its item layout can store.
    let contributions: ReturnType<typeof contributionsOf>;
    let projected: Change;
    try {
      contributions = contributionsOf(change, aggregates);
      projected = projectChange(change, projections.get(change.entity));
      assertStorable(projected);
    } catch (err) {
      if (!(err instanceof PoisonError)) throw err;
      dynamoPoison.push({ ...where, reason: err.reason, message: err.message });
      continue;
    }
    fold(dynamoViews, projected);
    if (contributions.length === 0 || countedEvents.has(change.eventId)) continue;
    countedEvents.add(change.eventId);
    for (const c of contributions) {
      const key = aggregateItemKey(c.aggregate, c.group);
      const prev = totals.get(key)?.measures ?? {};
      const measures: Record<string, string> = { ...prev };
      for (const [name, delta] of Object.entries(c.deltas)) {
        measures[name] = addDecimals(measures[name] ?? '0', delta);
      }
      totals.set(key, { aggregate: c.aggregate, group: c.group, measures });
    }
  }
  return { records: count, views, dynamoViews, aggregates: totals, poison, dynamoPoison };
}
