import { randomUUID } from 'node:crypto';
import {
  DeleteItemCommand,
  DeleteTableCommand,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvVar } from '../../../functions/contract/env.js';
import { createHandler as createRelay } from '../../../functions/relay-dynamodb-streams/create-handler.js';
import { createHandler as createViewSink } from '../../../functions/sink-dynamodb/create-handler.js';
import { createHandler as createSearchSink } from '../../../functions/sink-opensearch/create-handler.js';
import { createHandler as createArchiveSink } from '../../../functions/sink-s3-archive/create-handler.js';
import {
  createResources,
  deleteResources,
  runNames,
  type SinkName,
  sinkEnv,
} from '../../../local/demo/resources.js';
import { DynamoDbStreamsEventSourceMapping } from '../../../local/esm/dynamodb-streams/stream-event-source-mapping.js';
import {
  buildMskEvent,
  type FetchedRecord,
  fromKafkaJsMessage,
} from '../../../local/esm/event-builder.js';
import { inProcessInvoker } from '../../../local/esm/in-process-invoker.js';
import { readArchive, readDynamoView, readOpenSearch } from '../../../local/reconcile/stores.js';
import {
  createSourceTable,
  deleteVersioned,
  ENVELOPE_ATTRIBUTE,
  putVersioned,
  VERSION_ATTRIBUTE,
  writeWithOutbox,
} from '../../../local/source/application.js';
import { localDynamoDb, localDynamoDbStreams, localS3, uniqueName } from '../../support/aws.js';
import { loadStackEnv } from '../../support/stack-env.js';

// The loop the relay closes, on the real stack: an application writes its DynamoDB tables
// (customers by table CDC, orders through an outbox); Dynoxide's streams drive the real
// relay through the DynamoDB Streams mapping emulator; the relay fills Kafka; the three real
// sinks derive the view, the index and the archive from the log.
const stack = loadStackEnv();
const ddb = localDynamoDb(stack);
const streams = localDynamoDbStreams(stack);
const s3 = localS3(stack);
const kafka = new Kafka({ brokers: [...stack.kafkaBrokers], logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const names = runNames(`r${randomUUID().slice(0, 8)}`);
const customers = `${names.runId}-src-customers`;
const orders = `${names.runId}-src-orders`;
const awsEnv = { ...process.env, ...stack.vars };
const pipeline = JSON.stringify({
  topics: Object.fromEntries(Object.values(names.topics).map((t) => [t, { versioning: 'source' }])),
  // the customers table is keyed by `pk`, a name the view item layout keeps for itself
  projections: [{ entity: 'customer', rename: { pk: 'customerId' } }],
});
const mappings: DynamoDbStreamsEventSourceMapping[] = [];

beforeAll(async () => {
  await admin.connect();
  await createResources(names, admin, 2, awsEnv);
  await createSourceTable(ddb, customers);
  await createSourceTable(ddb, orders);
});

afterAll(async () => {
  await Promise.all(mappings.map((m) => m.stop()));
  await deleteResources(names, admin, awsEnv, stack.opensearchEndpoint);
  for (const TableName of [customers, orders])
    await ddb.send(new DeleteTableCommand({ TableName }));
  await admin.disconnect();
  ddb.destroy();
  streams.destroy();
  s3.destroy();
});

function relayEnv(source: Record<string, unknown>): Record<string, string> {
  return {
    ...stack.vars,
    [EnvVar.relaySource]: JSON.stringify(source),
    [EnvVar.kafkaBrokers]: stack.kafkaBrokers.join(','),
    [EnvVar.quarantineBucket]: names.quarantineBucket,
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  };
}

/** Starts a stream mapping from `table` to a relay; `crashAfterProduce` fails invocations
 *  after the relay published (a crash before Lambda saw the answer): they are retried. */
async function relayFrom(
  table: string,
  source: Record<string, unknown>,
  crashAfterProduce = 0,
): Promise<DynamoDbStreamsEventSourceMapping> {
  const relay = createRelay(relayEnv(source));
  let crashes = crashAfterProduce;
  const mapping = new DynamoDbStreamsEventSourceMapping({
    functionName: `relay-${table}`,
    client: streams,
    source: { tableName: table },
    invoker: inProcessInvoker(async (event: DynamoDBStreamEvent) => {
      const answer = await relay(event);
      if (crashes > 0 && event.Records.length > 0) {
        crashes--;
        throw new Error('the relay crashed after producing, before it answered');
      }
      return answer;
    }),
    settings: { batchSize: 50, pollIntervalMs: 50, retryDelayMs: 10, maxRetryDelayMs: 50 },
  });
  mappings.push(mapping);
  await mapping.start();
  return mapping;
}

async function readTopic(topic: string): Promise<FetchedRecord[]> {
  const offsets = await admin.fetchTopicOffsets(topic);
  const expected = offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  const consumer = kafka.consumer({ groupId: uniqueName('src-reader') });
  const records: FetchedRecord[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve) => {
    if (expected === 0) resolve();
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        records.push(fromKafkaJsMessage(topic, partition, 'CREATE_TIME', message));
        if (records.length >= expected) resolve();
      },
    });
  });
  await consumer.disconnect();
  return records.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

const SINKS = {
  dynamodb: createViewSink,
  opensearch: createSearchSink,
  's3-archive': createArchiveSink,
};

/** Applies everything in `topic` to the three sinks (a redelivery of what they saw is a no-op). */
async function deriveStores(topic: string): Promise<FetchedRecord[]> {
  const records = await readTopic(topic);
  const event = buildMskEvent({ bootstrapServers: 'local' }, records);
  for (const [sink, create] of Object.entries(SINKS) as [
    SinkName,
    (env: NodeJS.ProcessEnv) => (e: unknown) => Promise<unknown>,
  ][]) {
    const env = {
      ...sinkEnv(sink, names, stack.vars, pipeline),
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    };
    expect(await create(env)(event)).toEqual({ batchItemFailures: [] });
  }
  return records;
}

const storesEnv = (sink: SinkName) => sinkEnv(sink, names, stack.vars, pipeline);

describe('source table → relay → log → stores', () => {
  it('converges every store to the source after concurrent writers, a delete and a relay crash', async () => {
    const mapping = await relayFrom(
      customers,
      {
        mode: 'cdc',
        table: customers,
        topic: names.topics.customer,
        entity: 'customer',
        keyAttributes: ['pk'],
        versionAttribute: VERSION_ATTRIBUTE,
      },
      2,
    );
    // 8 writers race on one item: optimistic locking serialises them into 100 versions.
    let writes = 0;
    let conflicts = 0;
    await Promise.all(
      Array.from({ length: 8 }, async (_, writer) => {
        while (writes < 100) {
          writes++;
          const out = await putVersioned(ddb, customers, 'hot', {
            name: `by writer ${writer}`,
            n: writes,
          });
          conflicts += out.attempts - 1;
        }
      }),
    );
    await putVersioned(ddb, customers, 'gone', { name: 'to delete' });
    expect(await deleteVersioned(ddb, customers, 'gone')).toBe(true);

    await mapping.waitUntilCaughtUp(60_000);
    const records = await deriveStores(names.topics.customer);

    const hot = await readVersion('hot');
    expect(hot).toBeGreaterThanOrEqual(100);
    expect(conflicts).toBeGreaterThan(0); // the writers did race
    // the two crashes after producing left duplicates in the log
    const ids = records.map((r) => JSON.parse(String(r.value)).id as string);
    expect(new Set(ids).size).toBeLessThan(ids.length);
    const view = (await readDynamoView(storesEnv('dynamodb'))).views;
    const index = await readOpenSearch(storesEnv('opensearch'));
    for (const store of [view, index]) {
      expect(store.get('customer#hot')).toMatchObject({ deleted: false, sourceVersion: 2 * hot });
      expect(store.get('customer#gone')?.deleted ?? true).toBe(true);
    }
    expect(view.get('customer#hot')?.data).toMatchObject({
      customerId: 'hot',
      [VERSION_ATTRIBUTE]: hot,
    });
    // the archive keeps the log itself, duplicates included, each offset once
    const archived = [
      ...(await readArchive(storesEnv('s3-archive'), [names.topics.customer])).values(),
    ].flat();
    expect(archived.map((r) => `${r.partition}@${r.offset}`).sort()).toEqual(
      records.map((r) => `${r.partition}@${r.offset}`).sort(),
    );
  });

  it('relays an outbox, quarantines a malformed outbox item, ignores outbox expiry, and moves on', async () => {
    const mapping = await relayFrom(orders, {
      mode: 'outbox',
      table: orders,
      topic: names.topics.order,
      envelopeAttribute: ENVELOPE_ATTRIBUTE,
    });
    await order('1', 'upsert', 1, { amount: 10 });
    const bad = `outbox#${randomUUID()}`;
    await ddb.send(
      new PutItemCommand({
        TableName: orders,
        Item: { pk: { S: bad }, [ENVELOPE_ATTRIBUTE]: { S: '{"id":' } },
      }),
    );
    await order('1', 'upsert', 2, { amount: 12 });
    await order('2', 'upsert', 1, { amount: 5 });
    await order('2', 'delete', 2);
    // an outbox item removed (as TTL would): not a change of any entity
    await ddb.send(new DeleteItemCommand({ TableName: orders, Key: { pk: { S: bad } } }));

    await mapping.waitUntilCaughtUp(60_000);
    const records = await deriveStores(names.topics.order);

    expect(records.map((r) => `${String(r.key)}@${JSON.parse(String(r.value)).version}`)).toEqual(
      expect.arrayContaining(['order:1@1', 'order:1@2', 'order:2@1', 'order:2@2']),
    );
    expect(records).toHaveLength(4);
    const quarantined = await s3.send(
      new ListObjectsV2Command({
        Bucket: names.quarantineBucket,
        Prefix: `quarantine/relay=relay/table=${orders}/`,
      }),
    );
    expect(quarantined.KeyCount).toBe(1);
    const view = (await readDynamoView(storesEnv('dynamodb'))).views;
    const index = await readOpenSearch(storesEnv('opensearch'));
    for (const store of [view, index]) {
      expect(store.get('order#1')).toMatchObject({ deleted: false, data: { amount: 12 } });
      expect(store.get('order#2')?.deleted ?? true).toBe(true);
    }
  });
});

/** The application changes order `key` (order item + outbox item, one transaction). */
const order = (
  key: string,
  op: 'upsert' | 'delete',
  version: number,
  data?: Record<string, unknown>,
) =>
  writeWithOutbox(ddb, orders, {
    entity: 'order',
    key,
    op,
    version,
    ...(data === undefined ? {} : { data }),
  });

async function readVersion(pk: string): Promise<number> {
  const { Item } = await ddb.send(
    new GetItemCommand({ TableName: customers, Key: { pk: { S: pk } }, ConsistentRead: true }),
  );
  return Number(Item?.[VERSION_ATTRIBUTE]?.N ?? -1);
}
