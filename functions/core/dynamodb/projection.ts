import type { ProjectionSpecJson } from '../../contract/pipeline.js';
import type { Change } from '../change.js';
import { ConfigError, PoisonError } from '../errors.js';
import { RESERVED_VIEW_ATTRIBUTES } from './view-item.js';

/** The attributes a projection puts into the view for one entity. */
export type ViewAttributes = Readonly<Record<string, unknown>>;

/**
 * Chooses what the view stores for one entity type. Without a projection, the view
 * stores the envelope's `data` as it is.
 *
 * `project` is called once per change that carries data, with that change:
 * - upsert: `change.data` is the full new state; return the full view attributes, or
 *   `null` to keep the entity out of the view (it is then stored as a tombstone at that
 *   version, exactly as a delete, so an older state cannot come back);
 * - patch: `change.data` holds only the fields set; return the view attributes those
 *   fields set (the view merges them over the stored ones), or `null` for none.
 * Projections of patched entities must therefore work field by field (rename, drop,
 * convert); a projection that derives one attribute from several fields sees only the
 * fields of the patch. Deletes and Kafka tombstones are never projected.
 * A projection that throws makes the record poison (reason `projection-failed`).
 *
 * @example
 * const customers = defineProjection({
 *   entity: 'customer',
 *   project: ({ data }) => ({ name: data?.name, email: String(data?.email ?? '').toLowerCase() }),
 * });
 */
export interface Projection {
  readonly entity: string;
  project(change: Change): ViewAttributes | null;
}

export function defineProjection<P extends Projection>(projection: P): P {
  if (typeof projection?.entity !== 'string' || projection.entity === '') {
    throw new ConfigError('projection: entity must be a non-empty string');
  }
  if (typeof projection.project !== 'function') {
    throw new ConfigError(`projection ${projection.entity}: project must be a function`);
  }
  return Object.freeze({ ...projection });
}

/** Indexes projections by entity, refusing two for the same entity. */
export function projectionsByEntity(
  projections: readonly Projection[],
): ReadonlyMap<string, Projection> {
  const map = new Map<string, Projection>();
  for (const projection of projections) {
    const valid = defineProjection(projection);
    if (map.has(valid.entity)) {
      throw new ConfigError(`projection: entity ${valid.entity} has two projections`);
    }
    map.set(valid.entity, valid);
  }
  return map;
}

/**
 * The change as the view must apply it: its data replaced by the projection's output
 * (an upsert projected to null becomes a delete at the same version). Throws PoisonError
 * when the projection fails or returns something other than a plain object or null.
 */
export function projectChange(change: Change, projection: Projection | undefined): Change {
  if (projection === undefined || change.op === 'delete') return change;
  let out: unknown;
  try {
    out = projection.project(change);
  } catch (err) {
    throw new PoisonError(
      'projection-failed',
      `projection ${projection.entity} threw: ${(err as Error)?.message ?? String(err)}`,
      { context: change.coords, cause: err },
    );
  }
  if (out === null) {
    if (change.op === 'patch') return { ...change, data: {} };
    const { data: _dropped, ...rest } = change;
    return { ...rest, op: 'delete' };
  }
  if (typeof out !== 'object' || out === undefined || Array.isArray(out)) {
    throw new PoisonError(
      'projection-invalid',
      `projection ${projection.entity} must return an object or null, got ${Array.isArray(out) ? 'an array' : typeof out}`,
      { context: change.coords },
    );
  }
  return { ...change, data: out as ViewAttributes };
}

/**
 * The projection a declarative spec describes (`STAYSYNC_PIPELINE.projections`): keep the
 * `pick` fields (all when absent), drop the `omit` fields, then rename `from → to`. Works
 * field by field, so a patch is projected like an upsert. Throws ConfigError when the spec
 * could only produce items the view refuses: a rename onto a name the item layout
 * reserves, or two fields renamed onto one.
 *
 * @example
 * // a source table keyed by `pk` (reserved by the view item layout): store it as `id`
 * projectionFromSpec({ entity: 'customer', rename: { pk: 'id' }, omit: ['sk'] });
 */
export function projectionFromSpec(spec: ProjectionSpecJson): Projection {
  const pick = spec.pick === undefined ? undefined : new Set(spec.pick);
  const omit = new Set(spec.omit ?? []);
  const rename = new Map(Object.entries(spec.rename ?? {}));
  const targets = new Set<string>();
  for (const [from, to] of rename) {
    if (RESERVED_VIEW_ATTRIBUTES.has(to)) {
      throw new ConfigError(
        `projection ${spec.entity}: rename ${from} → ${to}: ${to} is reserved by the view item layout`,
      );
    }
    if (targets.has(to)) {
      throw new ConfigError(`projection ${spec.entity}: two fields are renamed to ${to}`);
    }
    targets.add(to);
  }
  return defineProjection({
    entity: spec.entity,
    project: ({ data }) => {
      const out: Record<string, unknown> = {};
      for (const [name, value] of Object.entries(data ?? {})) {
        if ((pick !== undefined && !pick.has(name)) || omit.has(name)) continue;
        out[rename.get(name) ?? name] = value;
      }
      return out;
    },
  });
}
