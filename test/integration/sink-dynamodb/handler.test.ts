import { randomUUID } from 'node:crypto';
import {
  type BatchGetItemCommandOutput,
  DeleteItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePipelineConfig } from '../../../functions/contract/pipeline.js';
import type { Change } from '../../../functions/core/change.js';
import { addDecimals } from '../../../functions/core/dynamodb/aggregates-decimal.js';
import { dynamoDbClient } from '../../../functions/runtime/aws-clients.js';
import { createHandler } from '../../../functions/sink-dynamodb/create-handler.js';
import { emptyAndDeleteBucket, localDynamoDb, localS3, uniqueName } from '../../support/aws.js';
import { countRequests, isDynamoWrite } from '../../support/aws-request-counter.js';
import { loadStackEnv } from '../../support/stack-env.js';
import { deliver, KafkaLog, prng, SimulatedCrash } from './msk-log.js';
import {
  aggregateItems,
  checkpointOf,
  createTables,
  oracle,
  ordersByCustomer,
  scanAll,
  sinkEnv,
  viewStates,
} from './support.js';

// The real sink-dynamodb handler (createHandler(env): engine + DynamoDB sink + DynamoDB
// ledger + S3 quarantine) driven with MSK-shaped events against Dynoxide (DynamoDB) and moto (S3).
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

const stack = loadStackEnv();
const admin = localDynamoDb(stack);
const s3 = localS3(stack);
const bucket = uniqueName('sinkddb-quarantine');
const drops: Array<() => Promise<void>> = [];

beforeAll(async () => {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
});
afterAll(async () => {
  for (const drop of drops) await drop();
  await emptyAndDeleteBucket(s3, bucket);
});

/** Fresh VIEW and LEDGER tables and the real handler over them. */
async function setup(opts: { aggregates?: boolean; preReadThreshold?: string } = {}) {
  const tables = await createTables(admin, 'sinkddb-h');
  drops.push(tables.drop);
  const pipelineJson = JSON.stringify({
    topics: {},
    ...(opts.aggregates ? { aggregates: [ordersByCustomer] } : {}),
  });
  const env = {
    ...sinkEnv(stack.vars, tables, bucket, pipelineJson),
    ...(opts.preReadThreshold === undefined
      ? {}
      : { VIEW_PREREAD_THRESHOLD: opts.preReadThreshold }),
  };
  return { tables, env, handler: createHandler(env), pipeline: parsePipelineConfig(pipelineJson) };
}

const topic = () => uniqueName('changes');

/** Exact totals the aggregate must hold: each distinct order event counted once. */
function aggregateOracle(
  changes: readonly Change[],
): Record<string, { orderCount: number; totalSpent: number }> {
  const seen = new Set<string>();
  const totals: Record<string, { count: number; sum: string }> = {};
  for (const c of changes) {
    if (c.entity !== 'order' || c.op !== 'upsert' || seen.has(c.eventId)) continue;
    seen.add(c.eventId);
    const group = `agg#orders-by-customer#${String(c.data?.customerId)}`;
    const t = totals[group] ?? { count: 0, sum: '0' };
    totals[group] = { count: t.count + 1, sum: addDecimals(t.sum, String(c.data?.amount ?? 0)) };
  }
  return Object.fromEntries(
    Object.entries(totals).map(([k, t]) => [k, { orderCount: t.count, totalSpent: Number(t.sum) }]),
  );
}

/**
 * A random history over a few keys of two entities on two partitions: upserts, patches,
 * deletes, Kafka tombstones, stale re-sends (older version, new id) and duplicates
 * (the very same envelope published twice).
 */
function randomHistory(seed: number, length: number): KafkaLog {
  const random = prng(seed);
  const log = new KafkaLog(topic());
  const keys = Array.from({ length: 8 }, (_, i) => ({
    entity: i % 2 === 0 ? 'customer' : 'order',
    key: `k${i}`,
    partition: i % 2 === 0 ? 0 : 1,
    version: 0,
    sent: [] as Array<{
      id: string;
      version: number;
      op: 'upsert' | 'patch' | 'delete';
      data?: Record<string, unknown>;
    }>,
  }));
  for (let n = 0; n < length; n++) {
    const k = keys[Math.floor(random() * keys.length)] as (typeof keys)[number];
    const roll = random();
    const data = () => randomData(k.entity, random);
    const previous = k.sent[Math.floor(random() * k.sent.length)];
    if (roll < 0.07 && previous !== undefined) {
      log.append(k.partition, { ...k, ...previous }); // duplicate: same id, same everything
    } else if (roll < 0.14 && previous !== undefined) {
      log.append(k.partition, { ...k, op: 'upsert', version: previous.version, data: data() }); // stale
    } else if (roll < 0.19) {
      log.tombstone(k.partition, k.entity, k.key);
    } else {
      const op = roll < 0.3 ? 'patch' : roll < 0.38 ? 'delete' : 'upsert';
      k.version += 1 + Math.floor(random() * 2);
      const sent = {
        id: randomUUID(),
        version: k.version,
        op,
        ...(op === 'delete' ? {} : { data: data() }),
      } as const;
      log.append(k.partition, { ...k, ...sent });
      k.sent.push(sent);
    }
  }
  // A late tail: older versions and duplicates arriving last, so that only the version
  // guard (not the order of the log) keeps each key at its newest state.
  for (const k of keys) {
    const oldest = k.sent[0];
    if (oldest === undefined || oldest.op === 'patch') continue;
    log.append(k.partition, { ...k, ...oldest });
    log.append(k.partition, {
      ...k,
      ...oldest,
      id: randomUUID(),
      data: randomData(k.entity, random),
    });
  }
  return log;
}

function randomData(entity: string, random: () => number): Record<string, unknown> {
  return entity === 'order'
    ? { customerId: `c${Math.floor(random() * 3)}`, amount: Math.round(random() * 10_000) / 100 }
    : { name: `n${Math.floor(random() * 1000)}`, tier: Math.floor(random() * 3) };
}

/** Makes a share of DynamoDB writes fail like a crash: before the request, or after it landed. */
function injectCrashes(client: DynamoDBClient, random: () => number, rate: number) {
  const name = `crash-${randomUUID()}`;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (!isDynamoWrite(context.commandName ?? '') || random() >= rate) return next(args);
      if (random() < 0.5) throw new SimulatedCrash('simulated crash before the write');
      await next(args);
      throw new SimulatedCrash('simulated crash after the write');
    },
    { step: 'initialize', name },
  );
  return () => client.middlewareStack.remove(name);
}

/** Makes a share of BatchGetItem answers lag behind the writes (items not visible yet), as an
 *  eventually consistent read may: the guarded writes alone must keep the view right. */
function injectLaggingReads(client: DynamoDBClient, random: () => number, rate: number) {
  const name = `lag-${randomUUID()}`;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName !== 'BatchGetItemCommand') return result;
      const output = result.output as BatchGetItemCommandOutput;
      const responses = Object.fromEntries(
        Object.entries(output.Responses ?? {}).map(([t, items]) => [
          t,
          items.filter(() => random() >= rate),
        ]),
      );
      return { ...result, output: { ...output, Responses: responses } };
    },
    { step: 'initialize', name },
  );
  return () => client.middlewareStack.remove(name);
}

async function wipeCheckpoints(ledger: string, log: KafkaLog) {
  for (const p of new Set(log.records.map((r) => r.partition))) {
    await admin.send(
      new DeleteItemCommand({
        TableName: ledger,
        Key: { pk: { S: `ckpt#ddb#${log.topic}#${p}` } },
      }),
    );
  }
}

describe('sink-dynamodb handler', () => {
  it.each([
    { seed: 1, preRead: 'adaptive' },
    { seed: 2, preRead: 'adaptive' },
    { seed: 3, preRead: 'adaptive' },
    { seed: 4, preRead: 'always' },
    { seed: 5, preRead: 'always' },
  ] as const)(
    'ends equal to the oracle and with exact totals after crashes, redelivery and a replay with other batch boundaries (seed $seed, pre-read $preRead)',
    async ({ seed, preRead }) => {
      const always = preRead === 'always';
      const { tables, env, handler, pipeline } = await setup({
        aggregates: true,
        ...(always ? { preReadThreshold: '0' } : {}),
      });
      const log = randomHistory(seed, 80);
      const random = prng(seed * 7919);
      const client = dynamoDbClient(env);
      const reads = countRequests(client);
      const stopCrashing = injectCrashes(client, random, 0.08);
      // reading before every write, with a third of the items read not visible yet
      const stopLagging = always ? injectLaggingReads(client, random, 0.3) : () => {};
      let crashes: { failedInvocations: number };
      try {
        crashes = await deliver(handler, log.records, () => 1 + Math.floor(random() * 12));
      } finally {
        stopLagging();
        stopCrashing();
      }
      // a replay from offset 0 (checkpoints lost) with other batch boundaries changes nothing
      await wipeCheckpoints(tables.ledger, log);
      await deliver(handler, log.records, () => 1 + Math.floor(random() * 30));
      reads.detach();

      const changes = log.changes(pipeline);
      expect(crashes.failedInvocations).toBeGreaterThan(0);
      if (always) expect(reads.counts.BatchGetItemCommand ?? 0).toBeGreaterThan(0);
      expect(await viewStates(admin, tables.view)).toEqual(oracle(changes));
      expect(await aggregateItems(admin, tables.view)).toEqual(aggregateOracle(changes));
    },
  );

  it('keeps a deleted key deleted when an older upsert arrives later, in another batch', async () => {
    const { tables, handler, pipeline } = await setup();
    const log = new KafkaLog(topic());
    log.append(0, { entity: 'customer', key: '1', version: 1 });
    log.append(0, { entity: 'customer', key: '1', version: 3, op: 'delete' });
    log.append(0, { entity: 'customer', key: '1', version: 2, data: { name: 'late' } });
    await deliver(handler, log.records, () => 1);
    const view = await viewStates(admin, tables.view);
    expect(view.get('customer#1')).toMatchObject({ deleted: true, ev: 6 });
    expect(view).toEqual(oracle(log.changes(pipeline)));
  });

  it('quarantines a record whose data takes a reserved attribute name and applies the others', async () => {
    const { tables, handler } = await setup();
    const log = new KafkaLog(topic());
    log.append(0, { entity: 'customer', key: '1', version: 1, data: { _deleted: 'no' } });
    log.append(0, { entity: 'customer', key: '2', version: 1 });
    await deliver(handler, log.records, () => 10);
    const listed = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: `quarantine/sink=ddb/topic=${log.topic}/`,
      }),
    );
    expect(listed.Contents?.map((o) => o.Key?.split('/').pop())).toEqual([
      '00000000000000000000.json',
    ]);
    expect([...(await viewStates(admin, tables.view)).keys()]).toEqual(['customer#2']);
    expect(await checkpointOf(admin, tables.ledger, `ckpt#ddb#${log.topic}#0`)).toBe(1);
  });

  it('makes at most 1.05 write requests per event for 100 new keys, checkpoint included', async () => {
    const { tables, env, handler } = await setup();
    const log = new KafkaLog(topic());
    for (let i = 0; i < 100; i++) log.append(0, { entity: 'customer', key: `${i}`, version: 1 });
    const counter = countRequests(dynamoDbClient(env));
    try {
      await deliver(handler, log.records, () => 100);
    } finally {
      counter.detach();
    }
    const perEvent = counter.total(isDynamoWrite) / 100;
    console.log(`write requests per event, 100 distinct keys: ${perEvent}`, counter.counts);
    expect(perEvent).toBeLessThanOrEqual(1.05);
    expect((await scanAll(admin, tables.view)).length).toBe(100);
  });

  it('makes one batched INSERT request plus the checkpoint when 10 new keys change 10 times each', async () => {
    const { tables, env, handler, pipeline } = await setup();
    const log = new KafkaLog(topic());
    for (let v = 1; v <= 10; v++) {
      for (let k = 0; k < 10; k++) log.append(0, { entity: 'customer', key: `${k}`, version: v });
    }
    const counter = countRequests(dynamoDbClient(env));
    try {
      await deliver(handler, log.records, () => 100);
    } finally {
      counter.detach();
    }
    const perEvent = counter.total(isDynamoWrite) / 100;
    console.log(`write requests per event, 10 keys x 10 changes: ${perEvent}`, counter.counts);
    // the 10 collapsed keys go as 10 INSERT statements in one request
    expect(counter.counts.BatchExecuteStatementCommand).toBe(1);
    expect(counter.total(isDynamoWrite)).toBe(2);
    expect(counter.total()).toBe(3); // + the checkpoint read
    expect(await viewStates(admin, tables.view)).toEqual(oracle(log.changes(pipeline)));
  });

  it('reads once and writes once per key when 10 keys get 10 patches each', async () => {
    const { tables, env, handler, pipeline } = await setup();
    const log = new KafkaLog(topic());
    for (let v = 1; v <= 10; v++) {
      for (let k = 0; k < 10; k++) {
        log.append(0, {
          entity: 'customer',
          key: `${k}`,
          version: v,
          op: 'patch',
          data: { [`f${v}`]: v },
        });
      }
    }
    const counter = countRequests(dynamoDbClient(env));
    try {
      await deliver(handler, log.records, () => 100);
    } finally {
      counter.detach();
    }
    console.log(
      `requests, 10 keys x 10 patches: ${counter.total(isDynamoWrite) / 100} writes per event`,
      counter.counts,
    );
    expect(counter.counts).toEqual({
      GetItemCommand: 11,
      PutItemCommand: 10,
      UpdateItemCommand: 1,
    });
    expect(await viewStates(admin, tables.view)).toEqual(oracle(log.changes(pipeline)));
  });

  it('keeps the aggregate transactions near one write request per event for 100 orders', async () => {
    const { tables, env, handler, pipeline } = await setup({ aggregates: true });
    const log = new KafkaLog(topic());
    for (let i = 0; i < 100; i++) {
      log.append(0, {
        entity: 'order',
        key: `${i}`,
        version: 1,
        data: { customerId: `c${i % 10}`, amount: 1.1 },
      });
    }
    const counter = countRequests(dynamoDbClient(env));
    try {
      await deliver(handler, log.records, () => 100);
    } finally {
      counter.detach();
    }
    const perEvent = counter.total(isDynamoWrite) / 100;
    console.log(
      `write requests per event, 100 orders with one aggregate: ${perEvent}`,
      counter.counts,
    );
    expect(counter.counts.TransactWriteItemsCommand).toBe(2);
    expect(counter.counts.UpdateItemCommand).toBeUndefined(); // the checkpoint rode in the transaction
    expect(perEvent).toBeLessThanOrEqual(1.02);
    expect(await aggregateItems(admin, tables.view)).toEqual(
      aggregateOracle(log.changes(pipeline)),
    );
    expect(await checkpointOf(admin, tables.ledger, `ckpt#ddb#${log.topic}#0`)).toBe(99);
  });
});
