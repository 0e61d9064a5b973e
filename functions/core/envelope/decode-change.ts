import type { TopicSettings } from '../../contract/pipeline.js';
import type { Change } from '../change.js';
import { type DecodeLimits, MAX_JSON_DEPTH, nestsDeeperThan } from '../limits.js';
import type { KafkaRecord } from '../record.js';
import { RecordContext } from './context.js';
import { isDebeziumShaped, parseDebeziumEvent } from './debezium.js';
import { decodeUtf8, isPlainObject, parseJson, poison, typeName, unwrapSchema } from './fields.js';
import { parseNativeEnvelope } from './native.js';
import { parseTombstone } from './tombstone.js';

/**
 * Decodes one Kafka record into a {@link Change}. Throws a `PoisonError` (reason + the
 * field at fault) for anything that cannot be decoded or validated.
 */
export function decodeChange(
  record: KafkaRecord,
  settings: TopicSettings,
  limits: DecodeLimits,
): Change {
  const coords = { topic: record.topic, partition: record.partition, offset: record.offset };
  const ctx = new RecordContext(record, coords, settings, limits);
  if (record.value === null) return parseTombstone(ctx);

  // MSK decoding already enforced the limit; a record built elsewhere must not bypass it.
  if (record.value.length > limits.maxValueBytes) {
    poison(
      coords,
      'too-large',
      'value',
      `${record.value.length} bytes exceeds the limit of ${limits.maxValueBytes} bytes`,
    );
  }
  const parsed = unwrapSchema(
    parseJson(decodeUtf8(record.value, coords, 'value'), coords, 'value'),
  );
  if (!isPlainObject(parsed)) {
    return poison(
      coords,
      'not-an-object',
      'value',
      `must be a JSON object, got ${typeName(parsed)}`,
    );
  }
  if (nestsDeeperThan(parsed, MAX_JSON_DEPTH)) {
    poison(
      coords,
      'too-large',
      'value',
      `nests objects or arrays deeper than ${MAX_JSON_DEPTH} levels`,
    );
  }
  const format = settings.format ?? 'auto';
  if (format === 'debezium' || (format === 'auto' && isDebeziumShaped(parsed))) {
    return parseDebeziumEvent(parsed, ctx);
  }
  return parseNativeEnvelope(parsed, ctx);
}
