/**
 * Builds the event Lambda hands a function for an Amazon MSK (`aws:kafka`) or a
 * self-managed Kafka event source mapping, from records read with kafkajs.
 *
 * Encodings follow what Lambda sends (see test/fixtures/msk-event-aws-docs.json):
 * - records grouped by `"<topic>-<partition>"`, ascending offsets;
 * - `key`/`value` base64; a record without a key has no `key` field, a tombstone has `value: null`;
 * - `headers` is an array of one-entry objects, one per header in log order, each value an
 *   array of Java *signed* bytes (`0xC3` becomes `-61`): Lambda's poller is a JVM;
 * - `offset`, `partition`, `timestamp` are JSON numbers, `timestampType` is the topic's
 *   `CREATE_TIME` or `LOG_APPEND_TIME`.
 */
import { encodeMskRecord } from '../../functions/core/msk-encode.js';
import type {
  MskEvent,
  MskEventRecord,
  MskSchemaMetadata,
} from '../../functions/core/msk-event.js';

export const TimestampTypes = ['CREATE_TIME', 'LOG_APPEND_TIME'] as const;
export type TimestampType = (typeof TimestampTypes)[number];

/** One record as read from Kafka, before MSK encoding. */
export interface FetchedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly timestampType: TimestampType;
  readonly key: Buffer | null;
  /** null: a tombstone */
  readonly value: Buffer | null;
  /** in log order; a header key may repeat */
  readonly headers: ReadonlyArray<readonly [string, Buffer]>;
  /** set once the mapping's schema registry integration decoded the key (schema-validation.ts) */
  readonly keySchemaMetadata?: MskSchemaMetadata;
  /** set once the mapping's schema registry integration decoded the value */
  readonly valueSchemaMetadata?: MskSchemaMetadata;
}

/** Where the event says it comes from. */
export interface EventSourceIdentity {
  /** `aws:kafka` for MSK (the default), `SelfManagedKafka` otherwise */
  readonly eventSource?: 'aws:kafka' | 'SelfManagedKafka';
  /** MSK cluster ARN; Lambda omits it for self-managed Kafka */
  readonly eventSourceArn?: string;
  /** comma-separated `host:port` list, as Lambda sends it */
  readonly bootstrapServers: string;
}

export { toJavaSignedBytes } from '../../functions/core/msk-encode.js';

/** One record in MSK encoding. */
export function toMskRecord(record: FetchedRecord): MskEventRecord {
  const { keySchemaMetadata, valueSchemaMetadata, ...bytes } = record;
  return {
    ...encodeMskRecord({
      ...bytes,
      headers: record.headers.map(([key, value]) => ({ key, value })),
    }),
    ...(keySchemaMetadata === undefined ? {} : { keySchemaMetadata }),
    ...(valueSchemaMetadata === undefined ? {} : { valueSchemaMetadata }),
  };
}

export const partitionId = (topic: string, partition: number): string => `${topic}-${partition}`;

/**
 * The whole event for records of one or more partitions (each partition's records in
 * ascending offset order, as Lambda delivers them).
 */
export function buildMskEvent(
  source: EventSourceIdentity,
  records: readonly FetchedRecord[],
): MskEvent {
  const groups: Record<string, MskEventRecord[]> = {};
  for (const record of records) {
    const id = partitionId(record.topic, record.partition);
    const group = groups[id] ?? [];
    const last = group[group.length - 1];
    if (last !== undefined && last.offset >= record.offset) {
      throw new RangeError(
        `buildMskEvent: records of ${id} must have ascending offsets (${last.offset} then ${record.offset})`,
      );
    }
    group.push(toMskRecord(record));
    groups[id] = group;
  }
  const eventSource = source.eventSource ?? 'aws:kafka';
  return {
    eventSource,
    ...(eventSource === 'aws:kafka' && source.eventSourceArn !== undefined
      ? { eventSourceArn: source.eventSourceArn }
      : {}),
    bootstrapServers: source.bootstrapServers,
    records: groups,
  };
}

/** A kafkajs message (record batch entry) as the fetch loop receives it. */
export interface KafkaJsMessageLike {
  readonly offset: string;
  readonly timestamp: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: Readonly<
    Record<string, Buffer | string | ReadonlyArray<Buffer | string> | undefined>
  >;
}

/**
 * kafkajs decodes headers into an object (a repeated key becomes an array, in log order);
 * this restores the flat list Lambda sends.
 */
export function fromKafkaJsMessage(
  topic: string,
  partition: number,
  timestampType: TimestampType,
  message: KafkaJsMessageLike,
): FetchedRecord {
  const headers: Array<readonly [string, Buffer]> = [];
  for (const [name, raw] of Object.entries(message.headers ?? {})) {
    if (raw === undefined) continue;
    const values = Array.isArray(raw) ? raw : [raw];
    for (const v of values as ReadonlyArray<Buffer | string>) {
      headers.push([name, typeof v === 'string' ? Buffer.from(v, 'utf8') : v]);
    }
  }
  return {
    topic,
    partition,
    offset: Number(message.offset),
    timestamp: Number(message.timestamp),
    timestampType,
    key: message.key,
    value: message.value,
    headers,
  };
}

/** Kafka's `message.timestamp.type` topic config value to the MSK event's `timestampType`. */
export const timestampTypeOfConfig = (configValue: string | undefined): TimestampType =>
  configValue === 'LogAppendTime' ? 'LOG_APPEND_TIME' : 'CREATE_TIME';
