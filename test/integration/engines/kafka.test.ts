import { randomUUID } from 'node:crypto';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStackEnv } from '../../support/stack-env.js';

// Proves the local Kafka is a real broker that kafkajs (the client the product uses)
// can drive: admin with topic configs, produce, consume in a group, commit, resume.
const stack = loadStackEnv();
const kafka = new Kafka({
  clientId: 'engine-test',
  brokers: [...stack.kafkaBrokers],
  logLevel: logLevel.NOTHING,
});
const suffix = randomUUID().slice(0, 8);
const topics: string[] = [];
const groups: string[] = [];
let admin: Admin;

function uniqueTopic(name: string): string {
  const topic = `engine-${name}-${suffix}`;
  topics.push(topic);
  return topic;
}

function uniqueGroup(name: string): string {
  const group = `engine-${name}-${suffix}`;
  groups.push(group);
  return group;
}

/** Consumes `count` messages in `groupId`, committing each one by hand. */
async function consumeAndCommit(topic: string, groupId: string, count: number): Promise<string[]> {
  const consumer = kafka.consumer({ groupId });
  const values: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            if (values.length >= count) return;
            values.push(message.value?.toString() ?? '');
            await consumer.commitOffsets([
              { topic, partition, offset: (BigInt(message.offset) + 1n).toString() },
            ]);
            if (values.length === count) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return values;
}

beforeAll(async () => {
  admin = kafka.admin();
  await admin.connect();
});

afterAll(async () => {
  await admin.deleteGroups(groups).catch(() => undefined);
  await admin.deleteTopics({ topics });
  await admin.disconnect();
});

describe('the local Kafka broker', () => {
  it('creates a compacted topic with the configs the admin client asked for', async () => {
    const topic = uniqueTopic('compact');

    const created = await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic,
          numPartitions: 3,
          configEntries: [
            { name: 'cleanup.policy', value: 'compact' },
            { name: 'min.compaction.lag.ms', value: '1000' },
          ],
        },
      ],
    });

    expect(created).toBe(true);
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        { type: 2, name: topic, configNames: ['cleanup.policy', 'min.compaction.lag.ms'] },
      ],
    });
    const entries = Object.fromEntries(
      (described.resources[0]?.configEntries ?? []).map((entry) => [
        entry.configName,
        entry.configValue,
      ]),
    );
    expect(entries).toEqual({ 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '1000' });
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0]?.partitions).toHaveLength(3);
  });

  it('delivers produced messages to a consumer group that commits them', async () => {
    const topic = uniqueTopic('roundtrip');
    const groupId = uniqueGroup('roundtrip');
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1 }] });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();

    await producer.send({
      topic,
      acks: -1,
      messages: [
        { key: 'k1', value: 'one' },
        { key: 'k2', value: 'two' },
      ],
    });
    const values = await consumeAndCommit(topic, groupId, 2);

    expect(values).toEqual(['one', 'two']);
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(committed[0]?.partitions).toEqual([{ partition: 0, offset: '2', metadata: null }]);

    // A new member of the same group resumes after the commit, not from the beginning.
    await producer.send({ topic, acks: -1, messages: [{ key: 'k3', value: 'three' }] });
    await producer.disconnect();
    expect(await consumeAndCommit(topic, groupId, 1)).toEqual(['three']);
  });

  it('refuses to produce to a topic nobody created, since automatic creation is off as on MSK', async () => {
    const producer = kafka.producer({ retry: { retries: 1, initialRetryTime: 100 } });
    await producer.connect();

    const sending = producer.send({
      topic: `engine-missing-${suffix}`,
      messages: [{ value: 'lost' }],
    });

    await expect(sending).rejects.toThrow(/does not host this topic-partition|UNKNOWN_TOPIC/i);
    await producer.disconnect();
    expect(await admin.listTopics()).not.toContain(`engine-missing-${suffix}`);
  });
});
