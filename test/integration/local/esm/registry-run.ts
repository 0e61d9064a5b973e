/**
 * What the schema registry integration tests share: the stack, the registry client, a
 * producer, the failure and quarantine buckets, and the run's names; every topic of the
 * run is deleted once at the end (deleting while others are created churns the broker's
 * metadata under a producer).
 */
import { randomUUID } from 'node:crypto';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll } from 'vitest';
import { confluentRegistryClient } from '../../../../local/schema-registry/registry-client.js';
import { emptyAndDeleteBucket, localDynamoDb, localS3 } from '../../../support/aws.js';
import { loadStackEnv } from '../../../support/stack-env.js';

export function registryRun() {
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  const stack = loadStackEnv();
  const run = randomUUID().slice(0, 8);
  const registryUrl = stack.schemaRegistryUrl;
  const kafka = new Kafka({ brokers: [...stack.kafkaBrokers], logLevel: logLevel.NOTHING });
  const ctx = {
    stack,
    run,
    registryUrl,
    registry: confluentRegistryClient(registryUrl),
    admin: kafka.admin(),
    producer: kafka.producer({ idempotent: true, maxInFlightRequests: 1 }),
    s3: localS3(stack),
    dynamodb: localDynamoDb(stack),
    failureBucket: `sr-failures-${run}`,
    quarantineBucket: `sr-quarantine-${run}`,
    drops: [] as Array<() => Promise<void>>,
    /** a topic of this run with `partitions` partitions */
    topic: async (name: string, partitions = 1): Promise<string> => {
      const topic = `${name}-${run}`;
      await ctx.admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic, numPartitions: partitions }],
      });
      return topic;
    },
  };
  beforeAll(async () => {
    await ctx.admin.connect();
    await ctx.producer.connect();
    for (const Bucket of [ctx.failureBucket, ctx.quarantineBucket]) {
      await ctx.s3.send(new CreateBucketCommand({ Bucket }));
    }
  });
  afterAll(async () => {
    await ctx.producer.disconnect();
    const topics = (await ctx.admin.listTopics()).filter((t) => t.includes(run));
    await ctx.admin.deleteTopics({ topics }).catch(() => undefined);
    await ctx.admin.disconnect();
    for (const drop of ctx.drops) await drop();
    for (const Bucket of [ctx.failureBucket, ctx.quarantineBucket]) {
      await emptyAndDeleteBucket(ctx.s3, Bucket);
    }
  });
  return ctx;
}

export async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
