import { parsePipelineAggregates } from '../../contract/pipeline.js';
import { type Change, type ChangeOp, ChangeOps } from '../change.js';
import { ConfigError, PoisonError } from '../errors.js';
import { addDecimals, toDecimalString } from './aggregates-decimal.js';

/**
 * Delta aggregates: counters and sums kept per group, fed by change *events*.
 *
 * Semantics: every distinct event (by `Change.eventId`) of the declared entity and ops
 * adds its measures to the item of its group exactly once, however often the log or the
 * event source mapping delivers it. The oracle is therefore: group the distinct matching
 * events of the log, add their measures. This suits facts ("orders placed", "payments
 * taken"); a total over *current state* is a different thing (it needs before-images).
 *
 * Measures:
 * - `{ count: true }` adds 1 per event;
 * - `{ sum: 'amount' }` adds the event's `data.amount` (a finite number or a decimal
 *   string; absent or null adds 0; anything else makes the record poison).
 */
export type Measure = { readonly count: true } | { readonly sum: string };

/** A group key taken from the event: a top-level `data` field, several (joined by `#`),
 *  or a function (return null/undefined to leave the event out of this aggregate). */
export type GroupBy =
  | string
  | readonly string[]
  | ((change: Change) => string | number | null | undefined);

export interface AggregateDeclaration {
  /** `[A-Za-z0-9_.-]+`; items are stored under `agg#<name>#<group>` */
  readonly name: string;
  /** the entity whose events feed the aggregate */
  readonly entity: string;
  /** which operations count. @default ['upsert'] */
  readonly ops?: readonly ChangeOp[];
  readonly groupBy: GroupBy;
  /** measure name (an attribute of the aggregate item) → measure */
  readonly measures: Readonly<Record<string, Measure>>;
}

/** The JSON form (no functions) that infra can pass in `STAYSYNC_PIPELINE.aggregates`. */
export interface AggregateSpec extends AggregateDeclaration {
  readonly groupBy: string | readonly string[];
}

const NAME = /^[A-Za-z0-9_.-]+$/;
const MEASURE_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
/** attributes of an aggregate item that measures must not overwrite */
export const AGGREGATE_ITEM_ATTRIBUTES = ['pk', '_aggregate', '_group'] as const;

/**
 * Validates an aggregate declaration (throws ConfigError) and returns it frozen.
 *
 * @example
 * export const ordersByCustomer = defineAggregate({
 *   name: 'orders-by-customer',
 *   entity: 'order',
 *   groupBy: 'customerId',
 *   measures: { orderCount: { count: true }, totalSpent: { sum: 'amount' } },
 * });
 */
export function defineAggregate<A extends AggregateDeclaration>(decl: A): A {
  const where = `aggregate ${JSON.stringify(decl?.name)}`;
  if (typeof decl !== 'object' || decl === null)
    throw new ConfigError('aggregate must be an object');
  if (typeof decl.name !== 'string' || !NAME.test(decl.name)) {
    throw new ConfigError(`${where}: name must match ${NAME}`);
  }
  if (typeof decl.entity !== 'string' || decl.entity === '') {
    throw new ConfigError(`${where}: entity must be a non-empty string`);
  }
  if (decl.ops !== undefined) {
    if (!Array.isArray(decl.ops) || decl.ops.length === 0) {
      throw new ConfigError(`${where}: ops must be a non-empty array`);
    }
    for (const op of decl.ops) {
      if (!ChangeOps.includes(op)) {
        throw new ConfigError(`${where}: ops must be among ${ChangeOps.join(', ')}, got ${op}`);
      }
    }
  }
  const { groupBy } = decl;
  const validFields = (fields: readonly unknown[]) =>
    fields.length > 0 && fields.every((f) => typeof f === 'string' && f !== '');
  if (
    !(typeof groupBy === 'function') &&
    !(typeof groupBy === 'string' && groupBy !== '') &&
    !(Array.isArray(groupBy) && validFields(groupBy))
  ) {
    throw new ConfigError(
      `${where}: groupBy must be a field name, an array of them, or a function`,
    );
  }
  const measures = Object.entries(decl.measures ?? {});
  if (measures.length === 0) throw new ConfigError(`${where}: measures must not be empty`);
  for (const [name, measure] of measures) {
    if (
      !MEASURE_NAME.test(name) ||
      (AGGREGATE_ITEM_ATTRIBUTES as readonly string[]).includes(name)
    ) {
      throw new ConfigError(
        `${where}: measure name ${JSON.stringify(name)} must match ${MEASURE_NAME}`,
      );
    }
    const isCount = (measure as { count?: unknown }).count === true;
    const sum = (measure as { sum?: unknown }).sum;
    if (isCount === (typeof sum === 'string' && sum !== '')) {
      throw new ConfigError(
        `${where}: measure ${name} must be either { "count": true } or { "sum": "<field>" }`,
      );
    }
  }
  return Object.freeze({ ...decl });
}

/** Validates a set of declarations: each valid, names unique. */
export function defineAggregates(
  decls: readonly AggregateDeclaration[],
): readonly AggregateDeclaration[] {
  const seen = new Set<string>();
  return Object.freeze(
    decls.map((decl) => {
      const valid = defineAggregate(decl);
      if (seen.has(valid.name)) throw new ConfigError(`aggregate ${valid.name} is declared twice`);
      seen.add(valid.name);
      return valid;
    }),
  );
}

/**
 * Reads and validates the declarative aggregates of the `STAYSYNC_PIPELINE` JSON (its
 * optional `aggregates` array; other fields are the engine's). Throws ConfigError when invalid.
 */
export function parseAggregateSpecs(pipelineJson: string | undefined): readonly AggregateSpec[] {
  return defineAggregates(
    parsePipelineAggregates(pipelineJson) as AggregateSpec[],
  ) as readonly AggregateSpec[];
}

/** One event's effect on one aggregate item. */
export interface Contribution {
  readonly aggregate: string;
  readonly group: string;
  /** measure name → delta (decimal string) */
  readonly deltas: Readonly<Record<string, string>>;
}

export const aggregateItemKey = (aggregate: string, group: string): string =>
  `agg#${aggregate}#${group}`;

/** What one change adds to the declared aggregates. Throws PoisonError when it cannot be computed. */
export function contributionsOf(
  change: Change,
  decls: readonly AggregateDeclaration[],
): Contribution[] {
  const out: Contribution[] = [];
  for (const decl of decls) {
    if (decl.entity !== change.entity || !(decl.ops ?? ['upsert']).includes(change.op)) continue;
    const group = groupOf(change, decl);
    if (group === null) continue;
    const deltas: Record<string, string> = {};
    for (const [name, measure] of Object.entries(decl.measures)) {
      if ('count' in measure) {
        deltas[name] = '1';
        continue;
      }
      const raw = change.data?.[measure.sum];
      const delta = raw === undefined || raw === null ? '0' : toDecimalString(raw);
      if (delta === null) {
        throw new PoisonError(
          'aggregate-measure-not-numeric',
          `aggregate ${decl.name}: data.${measure.sum} is not a number (${JSON.stringify(raw)})`,
          { context: { ...change.coords, field: measure.sum } },
        );
      }
      deltas[name] = delta;
    }
    out.push({ aggregate: decl.name, group, deltas });
  }
  return out;
}

function groupOf(change: Change, decl: AggregateDeclaration): string | null {
  const { groupBy } = decl;
  if (typeof groupBy === 'function') {
    const group = groupBy(change);
    return group === null || group === undefined ? null : String(group);
  }
  const fields = typeof groupBy === 'string' ? [groupBy] : groupBy;
  return fields
    .map((field) => {
      const value = change.data?.[field];
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
        return String(value);
      }
      throw new PoisonError(
        'aggregate-group-missing',
        `aggregate ${decl.name}: data.${field} (its group) is missing or not a scalar`,
        { context: { ...change.coords, field } },
      );
    })
    .join('#');
}

/**
 * Sums contributions per aggregate item (a transaction may touch an item only once).
 * Returns item key → { aggregate, group, deltas }.
 */
export function mergeContributions(
  contributions: readonly Contribution[],
): Map<string, Contribution> {
  const merged = new Map<string, Contribution>();
  for (const c of contributions) {
    const key = aggregateItemKey(c.aggregate, c.group);
    const prev = merged.get(key);
    if (prev === undefined) {
      merged.set(key, { ...c, deltas: { ...c.deltas } });
      continue;
    }
    const deltas: Record<string, string> = { ...prev.deltas };
    for (const [name, delta] of Object.entries(c.deltas)) {
      deltas[name] = addDecimals(deltas[name] ?? '0', delta);
    }
    merged.set(key, { ...prev, deltas });
  }
  return merged;
}
