import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MskEvent } from '../../../../functions/core/msk-event.js';
import { s3Client } from '../../../../functions/runtime/aws-clients.js';
import {
  EventSourceMapping,
  type InvocationInfo,
  type MappingSettings,
} from '../../../../local/esm/event-source-mapping.js';
import { S3FailureDestination } from '../../../../local/esm/on-failure-destination.js';
import { SinkHost } from '../../../../local/esm/sink-host.js';
import { createPublisher, type Publisher } from '../../../../local/publisher/publisher.js';
import { emptyAndDeleteBucket } from '../../../support/aws.js';
import { loadStackEnv } from '../../../support/stack-env.js';

const stack = loadStackEnv();
const handlerModule = fileURLToPath(
  new URL('../../../fixtures/esm/scripted-handler.ts', import.meta.url),
);
const run = randomUUID().slice(0, 8);
const kafka = new Kafka({ brokers: [...stack.kafkaBrokers], logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const s3 = s3Client(stack.vars);
const bucket = `esm-failures-${run}`;
const dir = mkdtempSync(path.join(tmpdir(), 'staysync-esm-'));
let publisher: Publisher;

beforeAll(async () => {
  await admin.connect();
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  publisher = await createPublisher({ brokers: stack.kafkaBrokers });
});

afterAll(async () => {
  await publisher?.close();
  const topics = (await admin.listTopics()).filter((t) => t.includes(run));
  if (topics.length > 0) await admin.deleteTopics({ topics });
  const groups = (await admin.listGroups()).groups
    .map((g) => g.groupId)
    .filter((g) => g.includes(run));
  if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
  await admin.disconnect();
  await emptyAndDeleteBucket(s3, bucket);
  rmSync(dir, { recursive: true, force: true });
});

async function topicWith(name: string, partitions: number): Promise<string> {
  const topic = `esm-${name}-${run}`;
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic, numPartitions: partitions }],
  });
  return topic;
}

/** Every event the handler received, in order. */
const deliveries = (file: string): MskEvent[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as MskEvent);

async function committed(groupId: string, topic: string): Promise<Record<number, number>> {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return Object.fromEntries((entry?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
}

async function until(
  check: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function mappingFor(topic: string, name: string, settings: Partial<MappingSettings> = {}) {
  const log = path.join(dir, `${name}.jsonl`);
  const invocations: InvocationInfo[] = [];
  const host = new SinkHost({
    name,
    handlerModule,
    env: { SINK_NAME: name, DELIVERY_LOG: log },
    timeoutMs: 30_000,
  });
  const mapping = new EventSourceMapping({
    functionName: `${name}-${run}`,
    topics: [topic],
    brokers: stack.kafkaBrokers,
    invoker: host,
    destination: new S3FailureDestination(s3, bucket, `mapping-${name}`),
    settings: {
      batchSize: 5,
      batchingWindowMs: 50,
      retryDelayMs: 20,
      maxRetryDelayMs: 100,
      ...settings,
    },
    onInvocation: (info) => invocations.push(info),
  });
  return { host, mapping, log, invocations };
}

/** Offsets the function applied: those of invocations whose whole batch succeeded. */
const appliedOffsets = (invocations: readonly InvocationInfo[]): Set<number> =>
  new Set(
    invocations
      .filter((i) => i.result.ok && i.seekTo === undefined && i.discarded === 0)
      .flatMap((i) => i.offsets),
  );

interface StoredInvocationRecord {
  requestContext: { condition: string; approximateInvokeCount: number };
  responseContext: { functionError?: string };
  KafkaBatchInfo: { batchSize: number };
  payload: string;
}

/** Every invocation record a mapping wrote to the destination bucket. */
async function destinationRecords(mappingId: string): Promise<StoredInvocationRecord[]> {
  const listed = await s3.send(
    new ListObjectsV2Command({ Bucket: bucket, Prefix: `aws/lambda/${mappingId}/` }),
  );
  const records: StoredInvocationRecord[] = [];
  for (const { Key } of listed.Contents ?? []) {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
    records.push(JSON.parse((await object.Body?.transformToString()) ?? '{}'));
  }
  return records;
}

/** Offsets and values of the records an invocation record's payload holds. */
const payloadRecords = (record: StoredInvocationRecord) =>
  Object.values((JSON.parse(record.payload) as MskEvent).records)
    .flat()
    .map((r) => ({ offset: r.offset, value: Buffer.from(r.value ?? '', 'base64').toString() }));

/** Publishes eight records in one request; offset 5 crashes the function's environment. */
async function batchWithOneCrash(name: string): Promise<string> {
  const topic = await topicWith(name, 1);
  await publisher.publishRaw(
    topic,
    Array.from({ length: 8 }, (_, i) => ({ key: 'k', value: i === 5 ? 'exit' : `ok${i}` })),
  );
  return topic;
}

async function runUntilCommitted(
  m: { mapping: EventSourceMapping; host: SinkHost },
  topic: string,
  end: number,
) {
  await m.mapping.start();
  try {
    await until(
      async () => (await committed(m.mapping.groupId, topic))[0] === end,
      `offset ${end} committed`,
    );
  } finally {
    await m.mapping.stop();
    await m.host.close();
  }
}

describe('the event source mapping emulator', () => {
  it('delivers every record in partition order as MSK events and commits after the last', async () => {
    const topic = await topicWith('order', 3);
    const sent = await publisher.publishRaw(
      topic,
      Array.from({ length: 40 }, (_, i) => ({
        key: `customer:${i % 20}`,
        value: i % 10 === 9 ? null : `v${i}`,
        headers: { who: 'Zoë' },
      })),
    );
    expect(new Set(sent.map((s) => s.partition)).size).toBe(3);
    const { host, mapping, log } = mappingFor(topic, 'order');
    await mapping.start();
    try {
      await until(async () => {
        const c = await committed(mapping.groupId, topic);
        return [0, 1, 2].every((p) => c[p] === sent.filter((s) => s.partition === p).length);
      }, 'all partitions committed');
    } finally {
      await mapping.stop();
      await host.close();
    }
    const events = deliveries(log);
    expect(events.every((e) => e.eventSource === 'aws:kafka')).toBe(true);
    expect(events[0]?.bootstrapServers).toBe(stack.kafkaBrokers.join(','));
    // One partition per invocation, at most batchSize records, offsets in order, each once.
    const seen = new Map<string, number[]>();
    for (const event of events) {
      const groups = Object.entries(event.records);
      expect(groups).toHaveLength(1);
      const [id, records] = groups[0] ?? ['', []];
      expect(records.length).toBeLessThanOrEqual(5);
      seen.set(id, [...(seen.get(id) ?? []), ...records.map((r) => r.offset)]);
    }
    for (const p of [0, 1, 2]) {
      const count = sent.filter((s) => s.partition === p).length;
      expect(seen.get(`${topic}-${p}`) ?? []).toEqual(Array.from({ length: count }, (_, i) => i));
    }
    const all = events.flatMap((e) => Object.values(e.records).flat());
    const tombstone = all.find((r) => r.value === null);
    expect(tombstone?.key).toBeDefined();
    expect(all[0]?.headers).toEqual([{ who: [90, 111, -61, -85] }]);
    expect(all[0]?.timestampType).toBe('CREATE_TIME');
  });

  it('resumes a partition at the reported failure without redelivering what was applied', async () => {
    const topic = await topicWith('partial', 1);
    await publisher.publishRaw(
      topic,
      ['a', 'b', 'c', 'fail-first', 'd', 'e', 'f'].map((value) => ({ key: 'k', value })),
    );
    const { host, mapping, log } = mappingFor(topic, 'partial', {
      batchSize: 10,
      batchingWindowMs: 200,
    });
    await mapping.start();
    try {
      await until(
        async () => (await committed(mapping.groupId, topic))[0] === 7,
        'offset 7 committed',
      );
    } finally {
      await mapping.stop();
      await host.close();
    }
    const batches = deliveries(log).map((e) =>
      (Object.values(e.records)[0] ?? []).map((r) => r.offset),
    );
    // The first invocation failed at offset 3: the next one starts exactly there.
    const failedAt = batches.findIndex((b) => b.includes(3));
    expect(batches[failedAt + 1]?.[0]).toBe(3);
    expect(batches.flat().filter((o) => o < 3).length).toBe(3);
  });

  it('keeps other partitions going while one fails, then sends the failed records to S3', async () => {
    const topic = await topicWith('poison', 2);
    const sent = await publisher.publishRaw(topic, [
      ...Array.from({ length: 12 }, (_, i) => ({
        key: `k${i}`,
        value: i === 0 ? 'fail-always' : `ok${i}`,
      })),
    ]);
    const bad = sent[0];
    if (bad === undefined) throw new Error('nothing sent');
    const { host, mapping } = mappingFor(topic, 'poison', { maxRetryAttempts: 2, batchSize: 3 });
    await mapping.start();
    try {
      await until(async () => {
        const c = await committed(mapping.groupId, topic);
        return [0, 1].every((p) => c[p] === sent.filter((s) => s.partition === p).length);
      }, 'both partitions committed past the failing record');
    } finally {
      await mapping.stop();
      await host.close();
    }
    expect(mapping.stats.recordsDiscarded).toBeGreaterThanOrEqual(1);
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: 'aws/lambda/mapping-poison/' }),
    );
    expect(listed.Contents?.length).toBe(1);
    const key = listed.Contents?.[0]?.Key ?? '';
    expect(key).toContain(`/${topic}-${bad.partition}/`);
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const record = JSON.parse((await object.Body?.transformToString()) ?? '{}') as {
      requestContext: { condition: string; approximateInvokeCount: number };
      KafkaBatchInfo: { recordsInfo: Record<string, { firstRecordOffset: string }> };
      payload: string;
    };
    expect(record.requestContext).toMatchObject({
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: 3,
    });
    expect(record.KafkaBatchInfo.recordsInfo[`${topic}-${bad.partition}`]?.firstRecordOffset).toBe(
      String(bad.offset),
    );
    const payload = JSON.parse(record.payload) as MskEvent;
    const first = payload.records[`${topic}-${bad.partition}`]?.[0];
    expect(Buffer.from(first?.value ?? '', 'base64').toString()).toBe('fail-always');
  });

  it('redelivers uncommitted records to a new consumer after a crash', async () => {
    const topic = await topicWith('crash', 1);
    await publisher.publishRaw(
      topic,
      Array.from({ length: 10 }, (_, i) => ({ key: 'k', value: `v${i}` })),
    );
    const first = mappingFor(topic, 'crash', { batchSize: 4 });
    await first.mapping.start();
    await until(
      async () => ((await committed(first.mapping.groupId, topic))[0] ?? -1) >= 4,
      'a first commit',
    );
    await first.mapping.crash();
    await first.host.crash();
    const before = (await committed(first.mapping.groupId, topic))[0] ?? 0;
    const second = mappingFor(topic, 'crash', { batchSize: 4 });
    await second.mapping.start();
    try {
      await until(
        async () => (await committed(second.mapping.groupId, topic))[0] === 10,
        'offset 10 committed',
      );
    } finally {
      await second.mapping.stop();
      await second.host.close();
    }
    const offsets = deliveries(second.log).flatMap((e) =>
      Object.values(e.records)
        .flat()
        .map((r) => r.offset),
    );
    // Everything from the committed offset on was delivered at least once, nothing skipped.
    for (let o = before; o < 10; o++) expect(offsets).toContain(o);
  });

  it('leaves no consumer in the group when it crashes while starting', async () => {
    // `npm start -- --faults`: the emulator crashed while its mappings were still
    // reconnecting after a broker kill; a consumer that joined after the crash held its
    // partitions with nobody reading them, and the run never caught up.
    const topic = await topicWith('crash-starting', 2);
    await publisher.publishRaw(
      topic,
      Array.from({ length: 6 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
    );
    const first = mappingFor(topic, 'crash-starting');
    const starting = first.mapping.start();
    await first.mapping.crash();
    await starting;
    await first.host.close();
    const second = mappingFor(topic, 'crash-starting');
    await second.mapping.start();
    try {
      await until(async () => {
        const offsets = await committed(second.mapping.groupId, topic);
        return (offsets[0] ?? 0) + (offsets[1] ?? 0) === 6;
      }, 'every partition committed by the new mapping');
    } finally {
      await second.mapping.stop();
      await second.host.close();
    }
    const [group] = (await admin.describeGroups([second.mapping.groupId])).groups;
    expect(group?.members).toEqual([]);
  });

  it('with bisectBatchOnFunctionError, applies every record of a crashing batch but the bad one, which alone ends in the destination', async () => {
    const topic = await batchWithOneCrash('bisect-on');
    const m = mappingFor(topic, 'bisect-on', {
      batchSize: 8,
      batchingWindowMs: 300,
      maxRetryAttempts: 2,
      bisectBatchOnFunctionError: true,
    });
    await runUntilCommitted(m, topic, 8);

    expect([...appliedOffsets(m.invocations)].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 6, 7]);
    const [record, ...others] = await destinationRecords('mapping-bisect-on');
    expect(others).toHaveLength(0);
    expect(record?.requestContext).toMatchObject({
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: 3, // 1 attempt + 2 retries of the record alone; splits are free
    });
    expect(record && payloadRecords(record)).toEqual([{ offset: 5, value: 'exit' }]);
    // The record alone was retried; the halves before it were not retries.
    const alone = m.invocations.filter((i) => i.offsets.length === 1 && i.offsets[0] === 5);
    expect(alone).toHaveLength(3);
    expect(alone.every((i) => !i.result.ok && i.result.kind === 'crash')).toBe(true);
  });

  it('caps infinite retries at 10 when an on-failure destination is set, as Lambda does', async () => {
    const topic = await topicWith('retry-cap', 1);
    await publisher.publishRaw(topic, [
      { key: 'k', value: 'throw' },
      { key: 'k', value: 'ok1' },
    ]);
    const m = mappingFor(topic, 'retry-cap', { batchSize: 1, maxRetryAttempts: -1 });
    await runUntilCommitted(m, topic, 2);

    const [record, ...others] = await destinationRecords('mapping-retry-cap');
    expect(others).toHaveLength(0);
    expect(record?.requestContext).toMatchObject({
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: 11, // the first attempt + 10 retries
    });
    expect(record && payloadRecords(record)).toEqual([{ offset: 0, value: 'throw' }]);
    expect([...appliedOffsets(m.invocations)]).toEqual([1]);
  });

  it('without bisectBatchOnFunctionError, sends the whole crashing batch to the destination', async () => {
    const topic = await batchWithOneCrash('bisect-off');
    const m = mappingFor(topic, 'bisect-off', {
      batchSize: 8,
      batchingWindowMs: 300,
      maxRetryAttempts: 2,
    });
    await runUntilCommitted(m, topic, 8);

    const [record, ...others] = await destinationRecords('mapping-bisect-off');
    expect(others).toHaveLength(0);
    const discarded = record ? payloadRecords(record).map((r) => r.offset) : [];
    expect(discarded).toContain(5);
    expect(discarded.length).toBeGreaterThan(1); // its batch-mates went down with it
    const applied = appliedOffsets(m.invocations);
    expect(discarded.filter((o) => applied.has(o))).toEqual([]);
    expect(applied.size + discarded.length).toBe(8);
  });

  it('with maximumRecordAgeSeconds, sends older records to the destination as RecordAgeExceeded and applies the younger ones', async () => {
    const topic = await topicWith('age', 1);
    const producer = kafka.producer();
    await producer.connect();
    const now = Date.now();
    const twoHoursAgo = now - 2 * 3_600_000;
    try {
      await producer.send({
        topic,
        messages: [twoHoursAgo, now, twoHoursAgo, now, now].map((ts, i) => ({
          key: 'k',
          value: `v${i}`,
          timestamp: String(ts),
        })),
      });
    } finally {
      await producer.disconnect();
    }
    const m = mappingFor(topic, 'age', { maximumRecordAgeSeconds: 3_600 });
    await runUntilCommitted(m, topic, 5);

    const delivered = deliveries(m.log).flatMap((e) =>
      Object.values(e.records)
        .flat()
        .map((r) => r.offset),
    );
    expect([...new Set(delivered)].sort()).toEqual([1, 3, 4]);
    expect([...appliedOffsets(m.invocations)].sort()).toEqual([1, 3, 4]);
    const records = await destinationRecords('mapping-age');
    expect(records.length).toBeGreaterThan(0);
    for (const r of records) {
      expect(r.requestContext.condition).toBe('RecordAgeExceeded');
      expect(r.responseContext.functionError).toBeUndefined();
    }
    const expired = records.flatMap(payloadRecords).sort((a, b) => a.offset - b.offset);
    expect(expired).toEqual([
      { offset: 0, value: 'v0' },
      { offset: 2, value: 'v2' },
    ]);
    expect(m.mapping.stats.recordsExpired).toBe(2);
  });
});
