/**
 * Builds the change envelope of DESIGN §3.1 and validates it with the very decoder the
 * sinks run (functions/core/envelope), so a record the publisher accepts is one every
 * sink can apply, and a record it refuses would have been quarantined.
 */
import { randomUUID } from 'node:crypto';
import {
  type PipelineConfig,
  type TopicSettings,
  topicSettings,
} from '../../functions/contract/pipeline.js';
import { type ChangeOp, ChangeOps } from '../../functions/core/change.js';
import { decodeChange } from '../../functions/core/envelope/decode-change.js';
import { PoisonError } from '../../functions/core/errors.js';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from '../../functions/core/limits.js';
import type { MskEventRecord } from '../../functions/core/msk-event.js';
import type { KafkaRecord } from '../../functions/core/record.js';
import { avroDefect } from './avro.js';
import type { VersionClock } from './version-clock.js';

/** One change a producer wants to publish. */
export interface ChangeInput {
  readonly entity: string;
  /** entity id, without the entity prefix */
  readonly key: string;
  readonly op: ChangeOp;
  /** full new state (upsert) or the fields to set (patch); omitted on delete */
  readonly data?: Readonly<Record<string, unknown>>;
  /** source version (row version, LSN, sequence); default: the publisher's version clock */
  readonly version?: number;
  /** event id (dedupe identity); default: a random UUID. Re-sending a change with the
   *  same id is a no-op in every store. */
  readonly id?: string;
  /** when the change happened at the source; default: now */
  readonly ts?: string | Date;
  /** extra Kafka headers (UTF-8) */
  readonly headers?: Readonly<Record<string, string>>;
}

/** The JSON value written to Kafka. */
export interface Envelope {
  readonly id: string;
  readonly entity: string;
  readonly key: string;
  readonly op: ChangeOp;
  readonly version: number;
  readonly ts: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

/** A record ready for the producer. */
export interface OutgoingRecord {
  readonly envelope: Envelope;
  /** `<entity>:<key>`: all changes to one key land in one partition */
  readonly kafkaKey: string;
  readonly value: Buffer;
  readonly headers: Readonly<Record<string, string>>;
}

/** Invalid input: names the change (its index in the call) and the field at fault. */
export class PublishError extends Error {
  readonly index: number;
  readonly field: string | undefined;
  readonly reason: string;
  constructor(index: number, reason: string, message: string, field?: string, cause?: unknown) {
    super(`change #${index}: ${message}`, cause === undefined ? undefined : { cause });
    this.name = 'PublishError';
    this.index = index;
    this.reason = reason;
    this.field = field;
  }
}

export interface BuildOptions {
  readonly clock: VersionClock;
  readonly topic: string;
  readonly pipeline?: PipelineConfig;
  readonly limits?: DecodeLimits;
  readonly now?: () => Date;
  /** the value will be written as Avro (avro.ts): refuse what its schema cannot hold */
  readonly avro?: boolean;
}

export function buildRecord(
  input: ChangeInput,
  index: number,
  options: BuildOptions,
): OutgoingRecord {
  if (typeof input !== 'object' || input === null) {
    throw new PublishError(index, 'not-an-object', 'must be an object');
  }
  if (!ChangeOps.includes(input.op)) {
    throw new PublishError(
      index,
      'unknown-op',
      `op must be one of ${ChangeOps.join(', ')}, got ${JSON.stringify(input.op)}`,
      'op',
    );
  }
  if (input.op === 'delete' && input.data !== undefined) {
    throw new PublishError(index, 'invalid-field', 'data must be omitted on delete', 'data');
  }
  const ts =
    input.ts instanceof Date
      ? input.ts.toISOString()
      : (input.ts ?? (options.now?.() ?? new Date()).toISOString());
  const envelope: Envelope = {
    id: input.id ?? randomUUID(),
    entity: input.entity,
    key: input.key,
    op: input.op,
    version: input.version ?? options.clock.next(),
    ts,
    ...(input.data === undefined ? {} : { data: input.data }),
  };
  const kafkaKey = `${input.entity}:${input.key}`;
  const value = Buffer.from(JSON.stringify(envelope), 'utf8');
  const settings: TopicSettings = topicSettings(options.pipeline ?? { topics: {} }, options.topic);
  validate(kafkaKey, value, settings, options, index);
  const avroProblem = options.avro === true ? avroDefect(envelope) : undefined;
  if (avroProblem !== undefined) {
    throw new PublishError(index, 'invalid-field', avroProblem, 'data');
  }
  return { envelope, kafkaKey, value, headers: { ...(input.headers ?? {}) } };
}

/** Runs the sinks' decoder on the record exactly as it will be read back. */
function validate(
  kafkaKey: string,
  value: Buffer,
  settings: TopicSettings,
  options: BuildOptions,
  index: number,
): void {
  const limits = options.limits ?? DEFAULT_DECODE_LIMITS;
  const key = Buffer.from(kafkaKey, 'utf8');
  if (key.length > limits.maxKeyBytes) {
    throw new PublishError(
      index,
      'too-large',
      `Kafka key is ${key.length} bytes, the limit is ${limits.maxKeyBytes}`,
      'key',
    );
  }
  if (value.length > limits.maxValueBytes) {
    throw new PublishError(
      index,
      'too-large',
      `value is ${value.length} bytes, the limit is ${limits.maxValueBytes}`,
      'data',
    );
  }
  const coords = { topic: options.topic, partition: 0, offset: 0 };
  const record: KafkaRecord = {
    ...coords,
    timestamp: Date.now(),
    timestampType: 'CREATE_TIME',
    key,
    value,
    headers: [],
    raw: { ...coords, timestamp: 0, timestampType: 'CREATE_TIME' } satisfies MskEventRecord,
  };
  try {
    decodeChange(record, settings, limits);
  } catch (err) {
    if (err instanceof PoisonError) {
      throw new PublishError(index, err.reason, err.message, err.context.field, err);
    }
    throw err;
  }
}
