import { createHash } from 'node:crypto';
import { MAX_SOURCE_VERSION } from '../core/change.js';
import { compositeEntityKey } from '../core/envelope/debezium-key.js';
import { decodeChange } from '../core/envelope/decode-change.js';
import { PoisonError } from '../core/errors.js';
import { DEFAULT_DECODE_LIMITS } from '../core/limits.js';
import { fromAttribute, fromImage, ImageError } from './image.js';
import type { CdcSource, OutboxSource, RelaySource } from './source.js';
import type { StreamRecord } from './stream-event.js';

/** One Kafka record the relay publishes. `value: null` is never produced (see `cdcMessage`). */
export interface RelayMessage {
  readonly topic: string;
  /** `<entity>:<key>`: every change of an item goes to one partition, in stream order */
  readonly key: string;
  readonly value: string;
  readonly headers: Readonly<Record<string, string>>;
}

export type Conversion =
  | { readonly kind: 'publish'; readonly message: RelayMessage }
  /** nothing to publish: an application item in outbox mode, an ignored TTL expiry, … */
  | { readonly kind: 'skip'; readonly why: string }
  | { readonly kind: 'poison'; readonly error: PoisonError };

/**
 * Relay versions leave room for deletes: an item written at application version `v` is
 * published at `2v`, its removal at `2v + 1`. A delete then outranks every write of the
 * version it removed (a redelivered INSERT or MODIFY of it is stale), and a re-created
 * item at `v + 1` (published at `2v + 2`) outranks the delete. Application versions are
 * therefore limited to half the core's range.
 */
export const MAX_APPLICATION_VERSION = Math.floor((MAX_SOURCE_VERSION - 1) / 2);

/** Converts one stream record; never throws for a defect of the record (poison instead). */
export function convert(record: StreamRecord, source: RelaySource): Conversion {
  try {
    return source.mode === 'cdc' ? cdcConversion(record, source) : outboxConversion(record, source);
  } catch (error) {
    if (error instanceof PoisonError) return { kind: 'poison', error };
    if (error instanceof ImageError) {
      return { kind: 'poison', error: relayPoison('invalid-image', error.path, error.message) };
    }
    throw error;
  }
}

function cdcConversion(record: StreamRecord, source: CdcSource): Conversion {
  const removed = record.eventName === 'REMOVE';
  if (removed && isTtlExpiry(record) && source.ttlDeletes === 'ignore') {
    return { kind: 'skip', why: 'ttl-expiry-ignored' };
  }
  const imageName = removed ? 'OldImage' : 'NewImage';
  const image = record.dynamodb[imageName];
  if (image === undefined) {
    throw relayPoison(
      'missing-image',
      `dynamodb.${imageName}`,
      'is missing: the stream must be NEW_AND_OLD_IMAGES',
    );
  }
  const key = itemKey(image, source, `dynamodb.${imageName}`);
  const appVersion = applicationVersion(image, source, `dynamodb.${imageName}`);
  const version = 2 * appVersion + (removed ? 1 : 0);
  const envelope = {
    id: eventId(source.table, source.entity, key, version),
    entity: source.entity,
    key,
    op: removed ? 'delete' : 'upsert',
    version,
    ts: timestampOf(record),
    ...(removed ? {} : { data: fromImage(image, `dynamodb.${imageName}`) }),
  };
  return {
    kind: 'publish',
    message: {
      topic: source.topic,
      key: `${source.entity}:${key}`,
      value: JSON.stringify(envelope),
      headers: headersOf(record),
    },
  };
}

function outboxConversion(record: StreamRecord, source: OutboxSource): Conversion {
  const attribute = source.envelopeAttribute;
  const holds = (image: StreamRecord['dynamodb']['NewImage']) =>
    image !== undefined && image[attribute] !== undefined;
  if (record.eventName === 'REMOVE') return { kind: 'skip', why: 'outbox-remove' };
  if (!holds(record.dynamodb.NewImage)) return { kind: 'skip', why: 'not-an-outbox-item' };
  if (record.eventName === 'MODIFY') {
    throw relayPoison(
      'outbox-modified',
      `dynamodb.NewImage.${attribute}`,
      'an outbox item was modified after it was written; outbox items are immutable',
    );
  }
  const path = `dynamodb.NewImage.${attribute}`;
  const raw = fromAttribute(record.dynamodb.NewImage?.[attribute], path);
  const value =
    typeof raw === 'string'
      ? raw
      : raw !== null && typeof raw === 'object'
        ? JSON.stringify(raw)
        : undefined;
  if (value === undefined) {
    throw relayPoison('invalid-envelope', path, 'must be a JSON string or a map');
  }
  const kafkaKey = envelopeKafkaKey(value);
  // The very decoder every sink runs: what it would quarantine is quarantined here, once.
  const change = decodeChange(
    {
      topic: source.topic,
      partition: 0,
      offset: 0,
      timestamp: 0,
      timestampType: 'CREATE_TIME',
      key: kafkaKey === undefined ? null : Buffer.from(kafkaKey, 'utf8'),
      value: Buffer.from(value, 'utf8'),
      headers: [],
      raw: {
        topic: source.topic,
        partition: 0,
        offset: 0,
        timestamp: 0,
        timestampType: 'CREATE_TIME',
      },
    },
    { versioning: 'source', format: 'native' },
    DEFAULT_DECODE_LIMITS,
  );
  return {
    kind: 'publish',
    message: {
      topic: source.topic,
      key: `${change.entity}:${change.key}`,
      value,
      headers: headersOf(record),
    },
  };
}

/** `<entity>:<key>` of an envelope's text, when it has both as strings. */
function envelopeKafkaKey(value: string): string | undefined {
  try {
    const parsed = JSON.parse(value) as { entity?: unknown; key?: unknown };
    return typeof parsed.entity === 'string' && typeof parsed.key === 'string'
      ? `${parsed.entity}:${parsed.key}`
      : undefined;
  } catch {
    return undefined; // the decoder reports invalid JSON with its own reason
  }
}

function itemKey(
  image: NonNullable<StreamRecord['dynamodb']['NewImage']>,
  source: CdcSource,
  path: string,
): string {
  const columns: Record<string, string> = {};
  for (const name of source.keyAttributes) {
    const value = image[name];
    const text = value?.S ?? value?.N ?? value?.B;
    if (typeof text !== 'string' || text === '') {
      throw relayPoison(
        'missing-key-attribute',
        `${path}.${name}`,
        'must be a non-empty string, number or binary key attribute',
      );
    }
    columns[name] = text;
  }
  const key = compositeEntityKey(columns);
  if (key.length > DEFAULT_DECODE_LIMITS.maxEntityKeyLength) {
    throw relayPoison(
      'invalid-key',
      path,
      `gives an id of ${key.length} characters, the limit is ${DEFAULT_DECODE_LIMITS.maxEntityKeyLength}`,
    );
  }
  return key;
}

function applicationVersion(
  image: NonNullable<StreamRecord['dynamodb']['NewImage']>,
  source: CdcSource,
  path: string,
): number {
  const field = `${path}.${source.versionAttribute}`;
  const raw = image[source.versionAttribute]?.N;
  if (raw === undefined) {
    throw relayPoison('missing-version', field, 'is required: a number the application increases');
  }
  const v = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(v) || v > MAX_APPLICATION_VERSION) {
    throw relayPoison(
      'invalid-version',
      field,
      `${raw} is not an integer in 0..${MAX_APPLICATION_VERSION}`,
    );
  }
  return v;
}

/**
 * A deterministic id, so a stream record delivered twice publishes the same event and the
 * sinks' `evt#` markers see a duplicate. Hashed when the readable form would pass the
 * envelope's 512-character limit.
 */
export function eventId(table: string, entity: string, key: string, version: number): string {
  const readable = `ddb:${table}/${entity}/${key}@${version}`;
  return readable.length <= DEFAULT_DECODE_LIMITS.maxEventIdLength
    ? readable
    : `ddb:sha256:${createHash('sha256').update(readable).digest('hex')}`;
}

/** A REMOVE made by DynamoDB's TTL process, not by a caller. */
export function isTtlExpiry(record: StreamRecord): boolean {
  const who = record.userIdentity;
  return who?.type === 'Service' && who.principalId === 'dynamodb.amazonaws.com';
}

function timestampOf(record: StreamRecord): string {
  const seconds = record.dynamodb.ApproximateCreationDateTime;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
    throw relayPoison(
      'invalid-record',
      'dynamodb.ApproximateCreationDateTime',
      `must be epoch seconds, got ${JSON.stringify(seconds)}`,
    );
  }
  return new Date(Math.round(seconds * 1000)).toISOString();
}

function headersOf(record: StreamRecord): Record<string, string> {
  return {
    'staysync-source': 'dynamodb-streams',
    'staysync-sequence-number': record.dynamodb.SequenceNumber,
    'staysync-event-name': record.eventName,
  };
}

function relayPoison(reason: string, field: string, message: string): PoisonError {
  return new PoisonError(reason, `${field}: ${message}`, { context: { field } });
}
