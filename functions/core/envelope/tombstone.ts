import { ENTITY_PATTERN } from '../../contract/pipeline.js';
import { type Change, effectiveVersion } from '../change.js';
import { offsetEventId, type ParseContext } from './context.js';
import { debeziumEntityKey, looksLikeKeyStruct } from './debezium-key.js';
import { isoFromEpochMs, poison } from './fields.js';

/**
 * A Kafka tombstone (null value) deletes its key at its log position (DESIGN §3.1).
 * - log-ordered topic: a delete versioned by its offset;
 * - source-versioned topic: an offset-guarded delete (`guard.kind === 'offset'`), which
 *   deletes only live state written from an earlier offset of this partition and never
 *   blocks the next real version.
 * Its key is `<entity>:<id>` (native), a bare id with the topic's `entity` setting, or a
 * Debezium key struct (entity: the setting, else the last `.` segment of the topic name).
 */
export function parseTombstone(ctx: ParseContext): Change {
  const { coords, kafkaKey, settings } = ctx;
  if (kafkaKey === null) {
    return poison(
      coords,
      'missing-kafka-key',
      'kafkaKey',
      'is required on a tombstone (it names what to delete)',
    );
  }
  const { entity, key } =
    settings.format === 'debezium' || (settings.format !== 'native' && looksLikeKeyStruct(kafkaKey))
      ? { entity: settings.entity ?? debeziumTopicEntity(ctx), key: debeziumEntityKey(ctx) }
      : nativeTombstoneKey(ctx, kafkaKey);
  if (key.length === 0 || key.length > ctx.limits.maxEntityKeyLength) {
    poison(
      coords,
      'invalid-field',
      'kafkaKey',
      `entity id must be 1..${ctx.limits.maxEntityKeyLength} characters`,
    );
  }
  const logOrdered = settings.versioning === 'log';
  return {
    eventId: offsetEventId(coords),
    entity,
    key,
    op: 'delete',
    guard: logOrdered
      ? { kind: 'version', ev: effectiveVersion(coords.offset) }
      : { kind: 'offset' },
    sourceVersion: logOrdered ? coords.offset : null,
    ts: isoFromEpochMs(ctx.record.timestamp) ?? new Date(0).toISOString(),
    coords,
    tombstone: true,
  };
}

function nativeTombstoneKey(ctx: ParseContext, kafkaKey: string): { entity: string; key: string } {
  const { settings, coords } = ctx;
  if (settings.entity !== undefined) {
    const prefix = `${settings.entity}:`;
    return {
      entity: settings.entity,
      key: kafkaKey.startsWith(prefix) ? kafkaKey.slice(prefix.length) : kafkaKey,
    };
  }
  const colon = kafkaKey.indexOf(':');
  const entity = colon < 0 ? '' : kafkaKey.slice(0, colon);
  if (!ENTITY_PATTERN.test(entity)) {
    return poison(
      coords,
      'invalid-field',
      'kafkaKey',
      `a tombstone's key must be "<entity>:<id>" (or set the topic's entity), got ${JSON.stringify(kafkaKey)}`,
    );
  }
  return { entity, key: kafkaKey.slice(colon + 1) };
}

function debeziumTopicEntity(ctx: ParseContext): string {
  const last = ctx.coords.topic.split('.').pop() ?? '';
  if (!ENTITY_PATTERN.test(last)) {
    return poison(
      ctx.coords,
      'invalid-field',
      'topic',
      `cannot derive an entity from ${JSON.stringify(ctx.coords.topic)}; set the topic's entity`,
    );
  }
  return last;
}
