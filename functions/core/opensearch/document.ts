import type { ViewState } from '../view-state.js';

/**
 * The `_source` of one entity document.
 *
 * The entity's data lives under `data`, the sink's bookkeeping at the top level. Keeping
 * the two apart means no field of the data can ever collide with `_deleted`/`_v`/…, the
 * root mapping can be `strict` (a bug in the sink fails loudly) while `data` maps
 * dynamically, a tombstone simply has no `data`, and a patch fold reads back exactly the
 * data it merges over. The price is a `data.` prefix in queries.
 */
export interface EntityDocument {
  readonly data?: Readonly<Record<string, unknown>>;
  readonly _deleted: boolean;
  /** effective version; equals the document's external `_version` */
  readonly _v: number;
  /** source version (null for an offset-guarded tombstone) */
  readonly _sv: number | null;
  /** id of the event that wrote this state */
  readonly _eid: string;
  /** when the change happened at the source */
  readonly _ts: string;
  readonly _topic: string;
  readonly _partition: number;
  readonly _offset: number;
}

export function toDocument(state: ViewState): EntityDocument {
  const meta = {
    _deleted: state.deleted,
    _v: state.ev,
    _sv: state.sourceVersion,
    _eid: state.eventId,
    _ts: state.ts,
    _topic: state.topic,
    _partition: state.partition,
    _offset: state.offset,
  };
  return state.deleted || state.data === null ? meta : { data: state.data, ...meta };
}

/**
 * The stored state of a document read back (mget). `version` is the document's `_version`:
 * the external version OpenSearch compares against, hence the authoritative `ev`.
 */
export function fromDocument(source: unknown, version: number): ViewState {
  const doc = (typeof source === 'object' && source !== null ? source : {}) as Partial<
    Record<keyof EntityDocument, unknown>
  >;
  const deleted = doc._deleted === true;
  const data =
    typeof doc.data === 'object' && doc.data !== null && !Array.isArray(doc.data)
      ? (doc.data as Record<string, unknown>)
      : {};
  return {
    ev: version,
    deleted,
    data: deleted ? null : data,
    sourceVersion: typeof doc._sv === 'number' ? doc._sv : null,
    eventId: typeof doc._eid === 'string' ? doc._eid : '',
    ts: typeof doc._ts === 'string' ? doc._ts : '',
    topic: typeof doc._topic === 'string' ? doc._topic : '',
    partition: typeof doc._partition === 'number' ? doc._partition : -1,
    offset: typeof doc._offset === 'number' ? doc._offset : -1,
  };
}
