import { ENTITY_PATTERN } from '../../contract/pipeline.js';
import { type Change, type ChangeOp, ChangeOps, effectiveVersion } from '../change.js';
import type { ParseContext } from './context.js';
import { isPlainObject, poison, requireString, requireTimestamp, typeName } from './fields.js';
import { requireSourceVersion } from './versions.js';

/** The last entity name that matched ENTITY_PATTERN. */
let lastEntity = '';

/**
 * Parses the native envelope of DESIGN §3.1:
 * `{ id, entity, key, op, version, ts, data }`. Unknown extra fields are ignored;
 * `data` on a delete is ignored.
 */
export function parseNativeEnvelope(value: Record<string, unknown>, ctx: ParseContext): Change {
  const { coords, limits } = ctx;
  const eventId = requireString(value, 'id', coords, limits.maxEventIdLength);
  const entity = requireString(value, 'entity', coords, 128);
  // A topic carries few entities, usually one: the last one accepted needs no regex.
  if (entity !== lastEntity && !ENTITY_PATTERN.test(entity)) {
    poison(
      coords,
      'invalid-field',
      'entity',
      `${JSON.stringify(entity)} does not match ${ENTITY_PATTERN}`,
    );
  }
  lastEntity = entity;
  const key = requireString(value, 'key', coords, limits.maxEntityKeyLength);
  const op = requireOp(value.op, ctx);
  checkKafkaKey(entity, key, ctx);
  const ts = requireTimestamp(value, 'ts', coords);

  let data: Record<string, unknown> | undefined;
  if (op !== 'delete') {
    if (value.data === undefined || value.data === null) {
      poison(coords, 'missing-field', 'data', `is required on ${op}`);
    }
    if (!isPlainObject(value.data)) {
      poison(coords, 'invalid-field', 'data', `must be an object, got ${typeName(value.data)}`);
    }
    data = value.data;
  }

  const logOrdered = ctx.settings.versioning === 'log';
  // On a log-ordered topic the offset is the version; a version the producer sent anyway
  // is not used, so it is not validated either.
  const sourceVersion = logOrdered
    ? coords.offset
    : requireSourceVersion(value.version, 'version', coords);
  const guard = { kind: 'version', ev: effectiveVersion(sourceVersion) } as const;
  // Two literals rather than a conditional spread (a per-record temporary object and a
  // slow generic copy): `data` is absent, not undefined, on a delete.
  return data === undefined
    ? { eventId, entity, key, op, guard, sourceVersion, ts, coords, tombstone: false }
    : { eventId, entity, key, op, guard, sourceVersion, ts, data, coords, tombstone: false };
}

function requireOp(op: unknown, ctx: ParseContext): ChangeOp {
  if (op === undefined || op === null)
    return poison(ctx.coords, 'missing-field', 'op', 'is required');
  if (typeof op !== 'string' || !ChangeOps.includes(op as ChangeOp)) {
    return poison(
      ctx.coords,
      'unknown-op',
      'op',
      `must be one of ${ChangeOps.join(', ')}, got ${JSON.stringify(op)}`,
    );
  }
  return op as ChangeOp;
}

/**
 * All changes to a key must share one partition, so the record must be keyed, and by
 * this very entity: the Kafka key is `<entity>:<key>` (or the bare `<key>`).
 */
function checkKafkaKey(entity: string, key: string, ctx: ParseContext): void {
  if (ctx.record.key === null) {
    poison(
      ctx.coords,
      'missing-kafka-key',
      'kafkaKey',
      'is required: records must be keyed by entity',
    );
  }
  if (!ctx.kafkaKeyNames(entity, key)) {
    poison(
      ctx.coords,
      'key-mismatch',
      'key',
      `${JSON.stringify(key)} (entity ${JSON.stringify(entity)}) does not match the Kafka key ${JSON.stringify(ctx.kafkaKey)}`,
    );
  }
}
