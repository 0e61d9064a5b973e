import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { DeleteItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DeleteObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { marshall } from '@aws-sdk/util-dynamodb';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { dynamoDbClient, s3Client } from '../../../../functions/runtime/aws-clients.js';
import { deleteResources, runNames } from '../../../../local/demo/resources.js';
import { reconcile } from '../../../../local/reconcile/reconcile.js';
import { readDynamoView } from '../../../../local/reconcile/stores.js';
import { readEnvFile } from '../../../../local/stack/env-file.js';
import { ownerOf } from '../../../../local/stack/pid-records.js';
import { services } from '../../../../local/stack/services/index.js';
import { stackPaths } from '../../../../local/stack/support/paths.js';
import { loadStackEnv } from '../../../support/stack-env.js';
import { npmStart } from './npm-start-child.js';

const stack = loadStackEnv();
const runId = `it${randomUUID().slice(0, 8)}`;
const names = runNames(runId);

afterAll(async () => {
  const admin = new Kafka({ brokers: [...stack.kafkaBrokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await deleteResources(names, admin, stack.vars, stack.opensearchEndpoint);
  await admin.disconnect();
});

describe('npm start', () => {
  it('runs the workload through all three sinks with faults injected and converges', async () => {
    const owners = () => services.map((service) => ownerOf(stackPaths(), service.name));
    const ownersBefore = owners();
    const { code, output } = await npmStart([
      '--events',
      '600',
      '--faults',
      // the suite's stack is shared: engines are killed on a stack of its own
      // (npm-start-engine-kills.test.ts)
      '--no-engine-kills',
      '--seed',
      '7',
      '--rate',
      '0',
      '--run-id',
      runId,
      '--batch-size',
      '50',
    ]);
    expect(output).toContain('CONVERGED: every store equals the log');
    expect(code).toBe(0);
    expect(output).toMatch(/OK +dynamodb +\d+ entities checked.*aggregate items with exact totals/);
    expect(output).toMatch(/OK +opensearch +\d+ entities checked/);
    expect(output).toMatch(/OK +archive +\d+ offsets archived exactly once/);
    const faults = Number(/(\d+) faults injected/.exec(output)?.[1] ?? 0);
    expect(faults).toBeGreaterThanOrEqual(1);
    expect(output).not.toContain('engine killed');
    // Non-TTY: periodic progress lines, no cursor movement.
    expect(output).toMatch(/staysync demo — .* published \d+\/600/);
    expect(output).not.toContain('\x1b[');
    // npm start reuses the stack without taking it over: what the test run started, the
    // test run still stops.
    expect(owners()).toEqual(ownersBefore);
  }, 240_000);

  it('in source mode, relays an application’s tables into the log and every store matches them', async () => {
    const { code, output } = await npmStart([
      '--source',
      '--events',
      '300',
      '--faults',
      // the suite's stack is shared: engines are killed on a stack of its own
      // (npm-start-engine-kills.test.ts)
      '--no-engine-kills',
      '--seed',
      '5',
      '--rate',
      '0',
      '--run-id',
      `${runId}s`,
      '--cleanup',
    ]);

    expect(output).toContain('source mode: the application writes');
    expect(output).toContain('CONVERGED: every store equals the log');
    expect(output).toMatch(
      /OK +source tables: \d+ customers and orders, each live in the view and the index at its table version/,
    );
    expect(code).toBe(0);
  }, 240_000);

  it('with --avro, carries Confluent-framed Avro through the mappings’ schema registry step and converges', async () => {
    const { code, output } = await npmStart([
      '--avro',
      '--events',
      '300',
      '--seed',
      '3',
      '--rate',
      '0',
      '--run-id',
      `${runId}a`,
      '--cleanup',
    ]);
    expect(output).toContain('CONVERGED: every store equals the log');
    // No --faults: an engine kill during publishing fails the publisher (kafkajs gives up on a
    // refused connection), a race of the demo that has nothing to do with Avro.
    // The workload's raw poison is not framed: the mappings hand it to the on-failure
    // destination (DESERIALIZATION_ERROR) and it never reaches a sink nor the oracle.
    expect(output).toMatch(/records in \d+ partitions, 0 poison/);
    expect(code).toBe(0);
  }, 240_000);

  it('lists every divergence with its key once a store is tampered with', async () => {
    const env = readEnvFile(path.join(stackPaths().root, 'runs', `${runId}.env`));
    const topics = Object.values(names.topics);
    const ddb = dynamoDbClient(env);
    // A view item lost, a ghost item added, an archive object removed.
    const before = await reconcile({ env, brokers: stack.kafkaBrokers, topics });
    expect(before.converged).toBe(true);
    const live =
      [...(await readDynamoView(env)).views].find(([, state]) => !state.deleted)?.[0] ?? '';
    await ddb.send(
      new DeleteItemCommand({ TableName: names.viewTable, Key: marshall({ pk: live }) }),
    );
    await ddb.send(
      new PutItemCommand({
        TableName: names.viewTable,
        Item: marshall({
          pk: 'customer#ghost',
          _v: 2,
          _sv: 1,
          _deleted: false,
          _entity: 'customer',
          _key: 'ghost',
          _topic: topics[0],
          _partition: 0,
          _offset: 0,
          _eventId: 'x',
          _ts: 'x',
          name: 'ghost',
        }),
      }),
    );
    const s3 = s3Client(env);
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: names.archiveBucket, Prefix: 'archive/' }),
    );
    const victim = listed.Contents?.[0]?.Key ?? '';
    await s3.send(new DeleteObjectCommand({ Bucket: names.archiveBucket, Key: victim }));

    const after = await reconcile({ env, brokers: stack.kafkaBrokers, topics });
    expect(after.converged).toBe(false);
    const byStore = Object.fromEntries(after.stores.map((s) => [s.store, s.divergences]));
    expect(byStore.dynamodb).toContainEqual(
      expect.objectContaining({ kind: 'unexpected', key: 'customer#ghost' }),
    );
    expect(byStore.dynamodb).toContainEqual(
      expect.objectContaining({ kind: 'missing', key: live }),
    );
    expect(byStore.opensearch).toEqual([]);
    expect(byStore.archive?.length).toBeGreaterThan(0);
    expect(byStore.archive?.every((d) => d.kind === 'archive-gap')).toBe(true);
  }, 120_000);
});
