/**
 * The producer side of staysync: publishes validated change envelopes to Kafka with an
 * idempotent kafkajs producer (a retried send never writes a record twice), keyed by
 * `<entity>:<key>` so all changes to one key share a partition and its order.
 *
 * @example
 * const publisher = await createPublisher({ brokers: ['127.0.0.1:9092'] });
 * await publisher.publish('customers', [
 *   { entity: 'customer', key: '42', op: 'upsert', data: { name: 'Zoë' } },
 *   { entity: 'customer', key: '7', op: 'delete' },
 * ]);
 * await publisher.close();
 */
import {
  Kafka,
  logLevel,
  type Message,
  Partitioners,
  type PartitionMetadata,
  type Producer,
} from 'kafkajs';
import type { PipelineConfig } from '../../functions/contract/pipeline.js';
import type { DecodeLimits } from '../../functions/core/limits.js';
import type { AvroValueWriter } from './avro.js';
import { buildRecord, type ChangeInput, type Envelope, type OutgoingRecord } from './envelope.js';
import { createVersionClock, type VersionClock } from './version-clock.js';

export interface PublisherOptions {
  /** `host:port` list; or pass a configured `kafka` client (SASL/IAM for MSK) */
  readonly brokers?: readonly string[];
  readonly kafka?: Kafka;
  readonly clientId?: string;
  /** per-topic settings, as the sinks get them (STAYSYNC_PIPELINE) */
  readonly pipeline?: PipelineConfig;
  readonly limits?: DecodeLimits;
  readonly clock?: VersionClock;
  /** records per produce request; default 500 */
  readonly maxBatch?: number;
  /** publish the Kafka tombstone (null value) after each delete, so compaction can drop
   *  the key (Debezium's pattern); default true */
  readonly tombstoneAfterDelete?: boolean;
  /** write values as Confluent-framed Avro with a registered schema (avro.ts) instead of
   *  JSON; the consuming mapping needs a schema registry (EventRecordFormat JSON) */
  readonly avro?: AvroValueWriter;
}

export interface PublishedRecord {
  readonly envelope: Envelope | null;
  readonly kafkaKey: string;
  readonly partition: number;
  readonly offset: number;
}

/** A record sent as is, unvalidated: tombstones, or bad input on purpose (tests, demos). */
export interface RawRecord {
  readonly key: string | Buffer | null;
  readonly value: string | Buffer | null;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface Publisher {
  /** Validates every change first (nothing is sent if one is invalid), then sends them
   *  in order. Resolves with the partition and offset of every record written. */
  publish(topic: string, changes: readonly ChangeInput[]): Promise<PublishedRecord[]>;
  /** Re-sends records already built (a producer retrying after a lost acknowledgement:
   *  same ids and versions, so every store treats them as duplicates). */
  resend(topic: string, records: readonly OutgoingRecord[]): Promise<PublishedRecord[]>;
  /** Sends records without validation. */
  publishRaw(topic: string, records: readonly RawRecord[]): Promise<PublishedRecord[]>;
  /** Builds and validates without sending. */
  build(topic: string, changes: readonly ChangeInput[]): OutgoingRecord[];
  close(): Promise<void>;
}

export async function createPublisher(options: PublisherOptions): Promise<Publisher> {
  const kafka =
    options.kafka ??
    new Kafka({
      clientId: options.clientId ?? 'staysync-publisher',
      brokers: [...(options.brokers ?? [])],
      logLevel: logLevel.NOTHING,
    });
  // Idempotence needs at most one request in flight per connection in kafkajs; the broker
  // then drops a retried batch it already appended (producer id + sequence numbers).
  const producer: Producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const clock = options.clock ?? createVersionClock();
  const maxBatch = options.maxBatch ?? 500;
  const tombstones = options.tombstoneAfterDelete ?? true;

  const build = (topic: string, changes: readonly ChangeInput[]): OutgoingRecord[] =>
    changes.map((change, i) =>
      buildRecord(change, i, {
        clock,
        topic,
        ...(options.pipeline === undefined ? {} : { pipeline: options.pipeline }),
        ...(options.limits === undefined ? {} : { limits: options.limits }),
        avro: options.avro !== undefined,
      }),
    );

  const admin = kafka.admin();
  await admin.connect();
  const partitionsOf = new Map<string, PartitionMetadata[]>();
  const partitioner = Partitioners.DefaultPartitioner();
  let roundRobin = 0;

  /** Partition metadata of a topic (cached: partitions only grow, and a key must not move). */
  async function metadataOf(topic: string): Promise<PartitionMetadata[]> {
    let partitions = partitionsOf.get(topic);
    if (partitions === undefined) {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      partitions = topics[0]?.partitions ?? [];
      if (partitions.length === 0) throw new Error(`publisher: topic ${topic} has no partitions`);
      partitionsOf.set(topic, partitions);
    }
    return partitions;
  }

  async function send(
    topic: string,
    items: ReadonlyArray<{ message: Message; envelope: Envelope | null; kafkaKey: string }>,
  ): Promise<PublishedRecord[]> {
    const partitionMetadata = await metadataOf(topic);
    // The partition is chosen here, with kafkajs' own default (Java-compatible murmur2)
    // partitioner, so every record can be matched with the offset the broker gave it.
    const placed = items.map((item) => ({
      ...item,
      partition:
        item.message.key === null || item.message.key === undefined
          ? roundRobin++ % partitionMetadata.length
          : partitioner({ topic, partitionMetadata, message: item.message }),
    }));
    const out: PublishedRecord[] = [];
    for (let i = 0; i < placed.length; i += maxBatch) {
      const chunk = placed.slice(i, i + maxBatch);
      const metadata = await producer.send({
        topic,
        acks: -1,
        messages: chunk.map((c) => ({ ...c.message, partition: c.partition })),
      });
      // One entry per partition with the base offset of what was appended there; records
      // of one partition are appended in the order given.
      const next = new Map(metadata.map((m) => [m.partition, Number(m.baseOffset ?? -1)]));
      for (const item of chunk) {
        const offset = next.get(item.partition) ?? -1;
        next.set(item.partition, offset + 1);
        out.push({
          envelope: item.envelope,
          kafkaKey: item.kafkaKey,
          partition: item.partition,
          offset,
        });
      }
    }
    return out;
  }

  /** The value as written: the envelope's JSON, or its framed Avro in Avro mode. */
  const writtenValue = (topic: string, r: OutgoingRecord): Promise<Buffer> | Buffer =>
    options.avro === undefined ? r.value : options.avro.encode(topic, r.envelope);

  const toItems = async (topic: string, records: readonly OutgoingRecord[]) => {
    const values = await Promise.all(records.map((r) => writtenValue(topic, r)));
    return records.flatMap((r, i) => {
      const item = {
        message: { key: r.kafkaKey, value: values[i] ?? r.value, headers: { ...r.headers } },
        envelope: r.envelope,
        kafkaKey: r.kafkaKey,
      };
      return tombstones && r.envelope.op === 'delete'
        ? [
            item,
            { message: { key: r.kafkaKey, value: null }, envelope: null, kafkaKey: r.kafkaKey },
          ]
        : [item];
    });
  };

  return {
    build,
    publish: async (topic, changes) => send(topic, await toItems(topic, build(topic, changes))),
    resend: async (topic, records) => send(topic, await toItems(topic, records)),
    publishRaw: (topic, records) =>
      send(
        topic,
        records.map((r) => ({
          message: {
            key: r.key,
            value: r.value,
            ...(r.headers === undefined ? {} : { headers: { ...r.headers } }),
          },
          envelope: null,
          kafkaKey: r.key === null ? '' : r.key.toString(),
        })),
      ),
    close: async () => {
      await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
    },
  };
}
