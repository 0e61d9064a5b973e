/**
 * Reads topics from their first offset up to the end they had when the read began (a
 * snapshot: records appended meanwhile are left for the next run), with a throw-away
 * consumer group that commits nothing and is deleted afterwards.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, type KafkaConfig, logLevel } from 'kafkajs';
import {
  type FetchedRecord,
  fromKafkaJsMessage,
  timestampTypeOfConfig,
} from '../esm/event-builder.js';

export interface LogReadOptions {
  readonly brokers: readonly string[];
  readonly topics: readonly string[];
  readonly kafka?: Omit<KafkaConfig, 'brokers'>;
  readonly timeoutMs?: number;
}

export interface LogSnapshot {
  /** `<topic>-<partition>` → records in offset order */
  readonly partitions: Map<string, FetchedRecord[]>;
  /** `<topic>-<partition>` → end offset (high watermark) when the read began */
  readonly ends: Map<string, number>;
}

export async function readLog(options: LogReadOptions): Promise<LogSnapshot> {
  const kafka = new Kafka({
    logLevel: logLevel.NOTHING,
    ...options.kafka,
    brokers: [...options.brokers],
  });
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `staysync-reconcile-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
  try {
    const ends = new Map<string, number>();
    const starts = new Map<string, number>();
    for (const topic of options.topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) {
        ends.set(`${topic}-${p.partition}`, Number(p.high));
        starts.set(`${topic}-${p.partition}`, Number(p.low));
      }
    }
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: options.topics.map((name) => ({
        type: 2,
        name,
        configNames: ['message.timestamp.type'],
      })),
    });
    const types = new Map(
      resources.map((r) => [
        r.resourceName,
        timestampTypeOfConfig(
          r.configEntries.find((e) => e.configName === 'message.timestamp.type')?.configValue,
        ),
      ]),
    );
    const partitions = new Map<string, FetchedRecord[]>([...ends.keys()].map((id) => [id, []]));
    const pending = new Set(
      [...ends].filter(([id, end]) => end > (starts.get(id) ?? 0)).map(([id]) => id),
    );
    if (pending.size > 0) {
      let finish: () => void = () => undefined;
      const done = new Promise<void>((resolve) => {
        finish = resolve;
      });
      await consumer.connect();
      await consumer.subscribe({ topics: [...options.topics], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const id = `${batch.topic}-${batch.partition}`;
          const end = ends.get(id) ?? 0;
          const list = partitions.get(id) ?? [];
          const type = types.get(batch.topic) ?? 'CREATE_TIME';
          for (const m of batch.messages) {
            if (Number(m.offset) >= end) break;
            list.push(fromKafkaJsMessage(batch.topic, batch.partition, type, m));
          }
          partitions.set(id, list);
          const last = list[list.length - 1];
          if (last !== undefined && last.offset >= end - 1) pending.delete(id);
          if (pending.size === 0) finish();
        },
      });
      const timeoutMs = options.timeoutMs ?? 120_000;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        done,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new Error(
                  `reading the log timed out after ${timeoutMs} ms (${[...pending].join(', ')} unfinished)`,
                ),
              ),
            timeoutMs,
          );
        }),
      ]).finally(() => clearTimeout(timer));
    }
    return { partitions, ends };
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}
