import type { Change } from '../change.js';
import { PoisonError } from '../errors.js';
import type { ViewState } from '../view-state.js';

/**
 * Layout of one view item (DESIGN §4). The projected data is stored as *top-level*
 * attributes, so that a team can put a GSI on any of them (GSI keys must be top-level)
 * and read items without unwrapping; the bookkeeping sits next to it under names that
 * user data may not take (a projection that produces one makes the record poison,
 * reason `reserved-attribute`; rename it in the projection).
 */
export const ViewAttr = {
  pk: 'pk',
  /** effective version (2×source version; odd after an offset-guarded tombstone) */
  version: '_v',
  /** source version as sent (null for a Kafka tombstone on a source-versioned topic) */
  sourceVersion: '_sv',
  deleted: '_deleted',
  entity: '_entity',
  key: '_key',
  topic: '_topic',
  partition: '_partition',
  offset: '_offset',
  eventId: '_eventId',
  /** when the change happened at the source (ISO-8601) */
  ts: '_ts',
  /** TTL (epoch seconds), on tombstones only */
  expiresAt: 'expiresAt',
} as const;

export const RESERVED_VIEW_ATTRIBUTES: ReadonlySet<string> = new Set(Object.values(ViewAttr));

/** An entity named like this would share a key space with the aggregate items. */
export const RESERVED_ENTITY = 'agg';

export const viewItemKey = (entity: string, key: string): string => `${entity}#${key}`;

/** Throws PoisonError when a (projected) change cannot be stored as a view item. */
export function assertStorable(change: Change): void {
  if (change.entity === RESERVED_ENTITY) {
    throw new PoisonError(
      'reserved-entity',
      `entity "${RESERVED_ENTITY}" is reserved for aggregate items in the view table`,
      { context: { ...change.coords, field: 'entity' } },
    );
  }
  for (const name of Object.keys(change.data ?? {})) {
    if (RESERVED_VIEW_ATTRIBUTES.has(name)) {
      throw new PoisonError(
        'reserved-attribute',
        `attribute ${name} is reserved by the view item layout; rename it in a projection`,
        { context: { ...change.coords, field: name } },
      );
    }
  }
}

/** The plain (unmarshalled) item for a state. Tombstones expire `ttlSeconds` after `nowMs`. */
export function toViewItem(
  entity: string,
  key: string,
  state: ViewState,
  opts: { readonly nowMs: number; readonly tombstoneTtlSeconds: number },
): Record<string, unknown> {
  const item: Record<string, unknown> = {
    ...(state.deleted ? {} : (state.data ?? {})),
    [ViewAttr.pk]: viewItemKey(entity, key),
    [ViewAttr.version]: state.ev,
    [ViewAttr.sourceVersion]: state.sourceVersion,
    [ViewAttr.deleted]: state.deleted,
    [ViewAttr.entity]: entity,
    [ViewAttr.key]: key,
    [ViewAttr.topic]: state.topic,
    [ViewAttr.partition]: state.partition,
    [ViewAttr.offset]: state.offset,
    [ViewAttr.eventId]: state.eventId,
    [ViewAttr.ts]: state.ts,
  };
  if (state.deleted) {
    item[ViewAttr.expiresAt] = Math.floor(opts.nowMs / 1000) + opts.tombstoneTtlSeconds;
  }
  return item;
}

/** The state a stored item holds (the inverse of {@link toViewItem}). */
export function fromViewItem(item: Readonly<Record<string, unknown>>): ViewState {
  const data: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(item)) {
    if (!RESERVED_VIEW_ATTRIBUTES.has(name)) data[name] = value;
  }
  const deleted = item[ViewAttr.deleted] === true;
  const sv = item[ViewAttr.sourceVersion];
  return {
    ev: Number(item[ViewAttr.version]),
    deleted,
    data: deleted ? null : data,
    sourceVersion: sv === null || sv === undefined ? null : Number(sv),
    eventId: String(item[ViewAttr.eventId]),
    ts: String(item[ViewAttr.ts]),
    topic: String(item[ViewAttr.topic]),
    partition: Number(item[ViewAttr.partition]),
    offset: Number(item[ViewAttr.offset]),
  };
}
