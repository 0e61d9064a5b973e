import { ENTITY_PATTERN } from '../../contract/pipeline.js';
import { type Change, effectiveVersion } from '../change.js';
import type { RecordCoordinates } from '../record.js';
import { offsetEventId, type ParseContext } from './context.js';
import { debeziumEntityKey } from './debezium-key.js';
import { isoFromEpochMs, isPlainObject, poison, typeName } from './fields.js';
import { debeziumVersion } from './versions.js';

/**
 * A value is a Debezium change event when (after unwrapping `{schema, payload}`) it has a
 * `source` object and an `op` string and no `entity` field; the native envelope has no
 * `source`, Debezium never sends `entity`.
 */
export const isDebeziumShaped = (value: Record<string, unknown>): boolean =>
  isPlainObject(value.source) && typeof value.op === 'string' && !('entity' in value);

const OPS: Readonly<Record<string, 'upsert' | 'delete'>> = {
  c: 'upsert',
  u: 'upsert',
  r: 'upsert',
  d: 'delete',
};

/**
 * Maps a Debezium change event to a {@link Change}: `c`/`u`/`r` → upsert of `after`,
 * `d` → delete; entity from `source.table` (or the topic's `entity` setting); key from the
 * Kafka key struct; version from the source position (see `debeziumVersion`), or the
 * offset on a log-ordered topic. The event id is derived from the source position, so a
 * change Debezium emits twice (connector restart) is recognised as a duplicate.
 */
export function parseDebeziumEvent(value: Record<string, unknown>, ctx: ParseContext): Change {
  const { coords, settings } = ctx;
  const { op, source } = value;
  const mapped = changeOpOf(op, coords);
  if (!isPlainObject(source))
    return poison(coords, 'missing-field', 'source', 'is required (Debezium)');
  const entity = settings.entity ?? entityOf(source, coords);
  const key = debeziumEntityKey(ctx);
  const data = mapped === 'upsert' ? afterOf(value, op as string, coords) : undefined;
  const ts = isoFromEpochMs(value.ts_ms) ?? isoFromEpochMs(source.ts_ms);
  if (ts === null)
    return poison(
      coords,
      'missing-field',
      'ts_ms',
      'neither ts_ms nor source.ts_ms is an epoch-millisecond number',
    );

  const logOrdered = settings.versioning === 'log';
  const position = logOrdered ? null : debeziumVersion(source, coords);
  const sourceVersion = position ?? coords.offset;
  const row = typeof source.row === 'number' ? `.${source.row}` : '';
  const origin = typeof source.name === 'string' ? source.name : coords.topic;
  const eventId =
    position === null
      ? offsetEventId(coords)
      : `debezium:${origin}/${entity}/${key}@${position}${row}`;
  const id = eventId.length <= ctx.limits.maxEventIdLength ? eventId : offsetEventId(coords);
  const guard = { kind: 'version', ev: effectiveVersion(sourceVersion) } as const;
  // Two literals rather than a conditional spread: `data` is absent, not undefined, on a delete.
  return data === undefined
    ? { eventId: id, entity, key, op: mapped, guard, sourceVersion, ts, coords, tombstone: false }
    : {
        eventId: id,
        entity,
        key,
        op: mapped,
        guard,
        sourceVersion,
        ts,
        data,
        coords,
        tombstone: false,
      };
}

/** Debezium's `op` as a change: `c`/`u`/`r` upsert, `d` delete; anything else is poison. */
function changeOpOf(op: unknown, coords: RecordCoordinates): 'upsert' | 'delete' {
  if (typeof op !== 'string')
    return poison(coords, 'missing-field', 'op', 'is required (Debezium c, u, d or r)');
  if (op === 't' || op === 'm') {
    return poison(
      coords,
      'unsupported-op',
      'op',
      `Debezium ${op === 't' ? 'truncate' : 'message'} events cannot be applied per key`,
    );
  }
  const mapped = OPS[op];
  if (mapped === undefined) {
    return poison(
      coords,
      'unknown-op',
      'op',
      `must be one of c, u, d, r (Debezium), got ${JSON.stringify(op)}`,
    );
  }
  return mapped;
}

/** The entity from `source.table`, when the topic's settings name none. */
function entityOf(source: Record<string, unknown>, coords: RecordCoordinates): string {
  const table = source.table;
  if (typeof table !== 'string' || table === '') {
    return poison(
      coords,
      'missing-field',
      'source.table',
      `must be a non-empty string, got ${typeName(table)}`,
    );
  }
  if (!ENTITY_PATTERN.test(table)) {
    return poison(
      coords,
      'invalid-field',
      'source.table',
      `${JSON.stringify(table)} does not match ${ENTITY_PATTERN}; set the topic's entity`,
    );
  }
  return table;
}

/** The new state of an upsert: Debezium's `after`. */
function afterOf(
  value: Record<string, unknown>,
  op: string,
  coords: RecordCoordinates,
): Record<string, unknown> {
  if (!isPlainObject(value.after)) {
    return poison(
      coords,
      'missing-field',
      'after',
      `must be an object on op ${op}, got ${typeName(value.after)}`,
    );
  }
  return value.after;
}
