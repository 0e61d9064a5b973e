/**
 * Feeding a sink's real handler during a rebuild, from the S3 archive or from Kafka, up
 * to a target position, resumably: the handler keeps checkpoints under the rebuild's own
 * ledger namespace (its sink name), so what was applied before a kill -9 is skipped (or
 * not even read) on the rerun, and version guards make any re-application a no-op.
 */
import { randomUUID } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { Kafka, type KafkaConfig, logLevel } from 'kafkajs';
import { ArchiveReader } from '../../functions/adapters/archive-reader.js';
import { toMskEventRecord } from '../../functions/core/archive/line.js';
import type { Ledger } from '../../functions/core/ledger.js';
import type { MskEvent, MskEventRecord } from '../../functions/core/msk-event.js';
import type { SinkHandler } from '../../functions/runtime/sink-handler.js';
import { EventSourceMapping } from '../esm/event-source-mapping.js';
import { inProcessInvoker } from '../esm/in-process-invoker.js';
import { ToolError } from '../sinks/errors.js';

export interface FeedTarget {
  readonly handler: SinkHandler;
  readonly ledger: Ledger;
  /** the rebuild's sink name: its checkpoints */
  readonly sink: string;
  readonly topics: readonly string[];
  /** called with (done, total) as records are applied */
  readonly onProgress?: (done: number, total: number) => void;
  readonly batchSize?: number;
}

/** `<topic>-<partition>` → the next offset to apply, from the rebuild's checkpoints. */
async function nextOffset(ledger: Ledger, sink: string, topic: string, partition: number) {
  const ckpt = await ledger.readCheckpoint({ sink, topic, partition });
  return ckpt === null ? null : ckpt + 1;
}

async function invokeChecked(handler: SinkHandler, records: MskEventRecord[], attempts = 5) {
  const first = records[0];
  if (first === undefined) return;
  for (let attempt = 1; ; attempt++) {
    const response = await handler({
      eventSource: 'aws:kafka',
      records: { [`${first.topic}-${first.partition}`]: records },
    });
    if (response.batchItemFailures.length === 0) return;
    // the engine already retried within its budget; a few more rounds, then give up
    if (attempt >= attempts) {
      throw new ToolError(
        `${first.topic}-${first.partition}: records from offset ${response.batchItemFailures[0]?.itemIdentifier.offset} could not be applied after ${attempts} attempts`,
      );
    }
  }
}

/** Replays a topic's S3 archive through the handler, each partition in offset order. */
export async function feedFromArchive(
  target: FeedTarget & {
    readonly s3: S3Client;
    readonly bucket: string;
    readonly prefix: string;
  },
): Promise<{ readonly records: number }> {
  const batchSize = target.batchSize ?? 500;
  let done = 0;
  for (const topic of target.topics) {
    const reader = new ArchiveReader({
      client: target.s3,
      bucket: target.bucket,
      prefix: target.prefix,
      topic,
    });
    for (const partition of await reader.partitions()) {
      const from = (await nextOffset(target.ledger, target.sink, topic, partition)) ?? 0;
      let batch: MskEventRecord[] = [];
      let last = -1;
      for (const ref of await reader.objects(partition)) {
        // records below the checkpoint were applied before a restart: read past them
        for await (const record of (await reader.open(ref)).records) {
          if (record.offset < from || record.offset <= last) continue;
          last = record.offset;
          batch.push(toMskEventRecord(record));
          if (batch.length >= batchSize) {
            await invokeChecked(target.handler, batch);
            done += batch.length;
            target.onProgress?.(done, done);
            batch = [];
          }
        }
      }
      await invokeChecked(target.handler, batch);
      done += batch.length;
      target.onProgress?.(done, done);
    }
  }
  return { records: done };
}

export interface KafkaFeed {
  readonly brokers: readonly string[];
  readonly kafka?: Omit<KafkaConfig, 'brokers'>;
  /** how often to look at the checkpoints. @default 500 ms */
  readonly pollMs?: number;
}

/**
 * Reads the topics from the rebuild's checkpoints (earliest where there is none) up to
 * the end offsets they have now, through a local event source mapping (batches, retries,
 * partitions in parallel) invoking the handler in process. Returns once every partition's
 * rebuild checkpoint reaches the end it had at the start.
 */
export async function feedFromKafka(
  target: FeedTarget & KafkaFeed,
): Promise<{ readonly records: number; readonly ends: Map<string, number> }> {
  const kafka = new Kafka({
    logLevel: logLevel.NOTHING,
    ...target.kafka,
    brokers: [...target.brokers],
  });
  const admin = kafka.admin();
  await admin.connect();
  // a fresh group each run: a killed run's member may still hold the old one
  const groupId = `staysync-rebuild-${target.sink}-${randomUUID().slice(0, 8)}`;
  const starts = new Map<string, number>();
  const ends = new Map<string, number>();
  try {
    for (const topic of target.topics) {
      const seek: Array<{ partition: number; offset: string }> = [];
      for (const p of await admin.fetchTopicOffsets(topic)) {
        const id = `${topic}-${p.partition}`;
        const next = await nextOffset(target.ledger, target.sink, topic, p.partition);
        const start = Math.max(Number(p.low), next ?? 0);
        starts.set(id, start);
        ends.set(id, Number(p.high));
        if (next !== null) seek.push({ partition: p.partition, offset: String(start) });
      }
      if (seek.length > 0) await admin.setOffsets({ groupId, topic, partitions: seek });
    }
    const total = sum([...ends].map(([id, end]) => Math.max(0, end - (starts.get(id) ?? 0))));
    const progress = async () => {
      let done = 0;
      let caughtUp = true;
      for (const [id, end] of ends) {
        const cut = id.lastIndexOf('-');
        const next =
          (await nextOffset(
            target.ledger,
            target.sink,
            id.slice(0, cut),
            Number(id.slice(cut + 1)),
          )) ?? 0;
        const start = starts.get(id) ?? 0;
        done += Math.max(0, Math.min(next, end) - start);
        if (next < end) caughtUp = false;
      }
      return { done, caughtUp };
    };
    if ((await progress()).caughtUp) return { records: 0, ends };
    const invoker = inProcessInvoker<MskEvent>((event) => target.handler(event));
    const mapping = new EventSourceMapping({
      functionName: target.sink,
      groupId,
      topics: target.topics,
      brokers: target.brokers,
      ...(target.kafka === undefined ? {} : { kafka: target.kafka }),
      invoker,
      settings: {
        batchSize: target.batchSize ?? 500,
        batchingWindowMs: 50,
        maxRetryAttempts: -1,
      },
    });
    await mapping.start();
    try {
      for (;;) {
        const { done, caughtUp } = await progress();
        target.onProgress?.(done, total);
        if (caughtUp) return { records: done, ends };
        await new Promise((resolve) => setTimeout(resolve, target.pollMs ?? 500));
      }
    } finally {
      await mapping.stop();
    }
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
