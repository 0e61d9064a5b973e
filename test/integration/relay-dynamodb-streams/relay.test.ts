import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvVar } from '../../../functions/contract/env.js';
import { createHandler } from '../../../functions/relay-dynamodb-streams/create-handler.js';
import { createHandler as createViewHandler } from '../../../functions/sink-dynamodb/create-handler.js';
import { buildMskEvent } from '../../../local/esm/event-builder.js';
import { emptyAndDeleteBucket, localDynamoDb, localS3, uniqueName } from '../../support/aws.js';
import { readTopic as readKafkaTopic } from '../../support/kafka-topic.js';
import { loadStackEnv } from '../../support/stack-env.js';
import { streamRecord } from '../../unit/relay-dynamodb-streams/stream-records.js';
import { createTables, viewStates } from '../sink-dynamodb/support.js';

// The real relay handler (createHandler(env)) against the real Kafka broker and moto S3,
// with DynamoDB stream events as Lambda delivers them; what it publishes is then applied
// by the real DynamoDB sink handler (the view on Dynoxide), redeliveries included.
const stack = loadStackEnv();
const kafka = new Kafka({ brokers: [...stack.kafkaBrokers], logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const s3 = localS3(stack);
const ddb = localDynamoDb(stack);
const topic = uniqueName('relay-it');
const bucket = uniqueName('relay-quarantine');
let tables: Awaited<ReturnType<typeof createTables>>;

const source = {
  mode: 'cdc',
  table: 'Shop',
  topic,
  entity: 'customer',
  // not `pk`: the view item layout reserves that name (a source keyed by `pk` needs a
  // projection renaming it in the DynamoDB sink; docs/relay-dynamodb-streams.md)
  keyAttributes: ['id'],
  versionAttribute: 'v',
};
const env = {
  ...stack.vars,
  [EnvVar.relaySource]: JSON.stringify(source),
  [EnvVar.kafkaBrokers]: stack.kafkaBrokers.join(','),
  [EnvVar.quarantineBucket]: bucket,
  POWERTOOLS_LOG_LEVEL: 'ERROR',
};

beforeAll(async () => {
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  tables = await createTables(ddb, 'relay-view');
});

afterAll(async () => {
  await admin.deleteTopics({ topics: [topic] });
  await admin.disconnect();
  await emptyAndDeleteBucket(s3, bucket);
  await tables.drop();
  s3.destroy();
  ddb.destroy();
});

const item = (id: string, v: number, name = `n${v}`) => ({
  id: { S: id },
  v: { N: String(v) },
  name: { S: name },
});

/** Everything in the topic, from offset 0, per partition in offset order. */
const readTopic = (expected: number) => readKafkaTopic(kafka, topic, expected);

/** The DynamoDB sink's environment over this file's tables. */
const viewEnv = (): Record<string, string> => ({
  ...stack.vars,
  [EnvVar.ledgerTable]: tables.ledger,
  [EnvVar.viewTable]: tables.view,
  [EnvVar.quarantineBucket]: bucket,
  POWERTOOLS_LOG_LEVEL: 'ERROR',
  POWERTOOLS_METRICS_DISABLED: 'true',
});

describe('the relay on the real stack', () => {
  const history = [
    streamRecord('INSERT', { newImage: item('a', 1) }),
    streamRecord('MODIFY', { newImage: item('a', 2), oldImage: item('a', 1) }),
    streamRecord('INSERT', { newImage: item('b', 1) }),
    streamRecord('INSERT', { newImage: { id: { S: 'c' } } }), // no version: quarantined
    streamRecord('REMOVE', { oldImage: item('a', 2) }),
    streamRecord('INSERT', { newImage: item('a', 3, 'back') }), // re-created above the delete
  ];

  it('publishes every change keyed by entity and key, and quarantines what it cannot convert', async () => {
    const handler = createHandler(env);

    const response = await handler({ Records: history });

    expect(response).toEqual({ batchItemFailures: [] });
    const records = await readTopic(5);
    const byKey = (key: string) =>
      records
        .filter((r) => r.key?.toString() === key)
        .map((r) => JSON.parse(String(r.value)) as { op: string; version: number });
    expect(byKey('customer:a').map((e) => `${e.op}@${e.version}`)).toEqual([
      'upsert@2',
      'upsert@4',
      'delete@5',
      'upsert@6',
    ]);
    expect(byKey('customer:b').map((e) => `${e.op}@${e.version}`)).toEqual(['upsert@2']);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    const keys = (listed.Contents ?? []).map((o) => o.Key);
    expect(keys).toEqual([
      `quarantine/relay=relay/table=Shop/${history[3]?.dynamodb.SequenceNumber.padStart(40, '0')}.json`,
    ]);
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: keys[0] }));
    const entry = JSON.parse((await object.Body?.transformToString()) ?? 'null') as {
      reason: string;
      raw: unknown;
    };
    expect(entry.reason).toBe('missing-version');
    expect(entry.raw).toEqual(history[3]);
  });

  it('keeps the view exact when the relay crashed after producing and its whole batch was redelivered', async () => {
    // The first test produced the batch once; a crash before Lambda saw the answer means
    // the same batch again: every record is in Kafka twice.
    const response = await createHandler(env)({ Records: history });
    expect(response).toEqual({ batchItemFailures: [] });
    const records = await readTopic(10);
    expect(records).toHaveLength(10);
    const view = createViewHandler(viewEnv());

    const answer = await view(buildMskEvent({ bootstrapServers: 'local' }, records));

    expect(answer).toEqual({ batchItemFailures: [] });
    const states = await viewStates(ddb, tables.view);
    expect(states.get('customer#a')).toMatchObject({
      deleted: false,
      data: { name: 'back', v: 3 },
    });
    expect(states.get('customer#b')).toMatchObject({ deleted: false, data: { name: 'n1', v: 1 } });
    expect(states.has('customer#c')).toBe(false);
  });

  it('lands a single-table source keyed by pk in the view through a declarative projection', async () => {
    const pkTopic = uniqueName('relay-it-pk');
    await admin.createTopics({
      topics: [{ topic: pkTopic, numPartitions: 1 }],
      waitForLeaders: true,
    });
    const relay = createHandler({
      ...env,
      [EnvVar.relaySource]: JSON.stringify({
        ...source,
        topic: pkTopic,
        entity: 'account',
        keyAttributes: ['pk'],
      }),
    });
    const row = (v: number) => ({ pk: { S: 'acct-1' }, sk: { S: 'meta' }, v: { N: String(v) } });
    await relay({ Records: [streamRecord('INSERT', { newImage: row(1) })] });
    const fetched = await readKafkaTopic(kafka, pkTopic, 1);
    const base = viewEnv();
    const pipeline = (projections: unknown[]) =>
      JSON.stringify({ topics: { [pkTopic]: { versioning: 'source' } }, projections });
    const event = buildMskEvent({ bootstrapServers: 'local' }, fetched);

    // without a projection the source's `pk` collides with the view's own key: poison
    await createViewHandler({ ...base, [EnvVar.pipeline]: pipeline([]) })(event);
    expect((await viewStates(ddb, tables.view)).has('account#acct-1')).toBe(false);
    await createViewHandler({
      ...base,
      [EnvVar.sinkName]: 'view-projected',
      [EnvVar.pipeline]: pipeline([
        { entity: 'account', rename: { pk: 'accountId' }, omit: ['sk'] },
      ]),
    })(event);

    expect((await viewStates(ddb, tables.view)).get('account#acct-1')).toMatchObject({
      deleted: false,
      data: { accountId: 'acct-1', v: 1 },
    });
    await admin.deleteTopics({ topics: [pkTopic] });
  });

  it('reports the first record for redelivery when Kafka cannot be reached', async () => {
    const unreachable = createHandler({ ...env, [EnvVar.kafkaBrokers]: '127.0.0.1:9' });

    const response = await unreachable({ Records: history.slice(0, 2) });

    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: history[0]?.dynamodb.SequenceNumber }],
    });
  });
});
