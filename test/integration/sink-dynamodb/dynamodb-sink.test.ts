import {
  type BatchGetItemCommandOutput,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Change } from '../../../functions/core/change.js';
import { defineAggregate } from '../../../functions/core/dynamodb/aggregates.js';
import { defineProjection, projectChange } from '../../../functions/core/dynamodb/projection.js';
import type { RecordOutcome } from '../../../functions/core/sink.js';
import { DynamoDbSink } from '../../../functions/sink-dynamodb/dynamodb-sink.js';
import { countRequests } from '../../support/aws-request-counter.js';
import { loadStackEnv } from '../../support/stack-env.js';
import { change } from '../../unit/sink-dynamodb/changes.js';
import {
  aggregateItems,
  batchOf,
  checkpointOf,
  createTables,
  ctx,
  oracle,
  viewStates,
} from './support.js';

// The sink class on its own, against the local stack's DynamoDB (Dynoxide): what each write plan does to
// the table and which outcome every record gets. End-to-end behaviour through the handler
// is in handler.test.ts.
const stack = loadStackEnv();
const client = new DynamoDBClient({
  endpoint: stack.dynamodbEndpoint,
  region: stack.awsRegion,
  credentials: stack.credentials,
});
let tables: Awaited<ReturnType<typeof createTables>>;
let run = 0;

beforeAll(async () => {
  tables = await createTables(client, 'sinkddb');
});
afterAll(async () => {
  await tables.drop();
});

/** A fresh entity name per test keeps tests independent inside the shared tables. */
const entity = () => `e${++run}`;
const sinkFor = (extra: Partial<ConstructorParameters<typeof DynamoDbSink>[0]> = {}) =>
  new DynamoDbSink({
    name: 'view',
    client,
    viewTable: tables.view,
    ledgerTable: tables.ledger,
    ...extra,
  });
const statuses = (outcomes: readonly RecordOutcome[]) =>
  Object.fromEntries(outcomes.map((o) => [o.offset, o.status]));
const viewOf = async (ent: string) =>
  new Map([...(await viewStates(client, tables.view))].filter(([k]) => k.startsWith(`${ent}#`)));

describe('DynamoDbSink view', () => {
  it('writes new keys as batched INSERTs, 25 a request, and no read', async () => {
    const ent = entity();
    const log = Array.from({ length: 30 }, (_, i) =>
      change({ entity: ent, key: `k${i}`, offset: i, version: 1 }),
    );
    const counter = countRequests(client);
    const result = await sinkFor().apply(batchOf('view', log), ctx);
    counter.detach();
    expect(new Set(result.outcomes.map((o) => o.status))).toEqual(new Set(['applied']));
    expect(result.outcomes).toHaveLength(30);
    expect(counter.counts).toEqual({ BatchExecuteStatementCommand: 2 });
    expect(await viewOf(ent)).toEqual(oracle(log));
  });

  it('sends keys already stored through the guarded put, then stops sending INSERTs, and resumes once new keys return', async () => {
    const ent = entity();
    const sink = sinkFor();
    const v1 = Array.from({ length: 20 }, (_, i) =>
      change({ entity: ent, key: `k${i}`, offset: i, version: 1 }),
    );
    await sinkFor({ insertFirstMaxExisting: 0 }).apply(batchOf('view', v1), ctx);
    const v2 = v1.map((c, i) => change({ entity: ent, key: c.key, offset: 20 + i, version: 2 }));
    const counter = countRequests(client);
    const second = await sink.apply(batchOf('view', v2), ctx);
    expect(counter.counts).toEqual({ BatchExecuteStatementCommand: 1, PutItemCommand: 20 });
    expect(new Set(second.outcomes.map((o) => o.status))).toEqual(new Set(['applied']));
    // every key was stored: INSERTs are off for this partition
    const v3 = v1.map((c, i) => change({ entity: ent, key: c.key, offset: 40 + i, version: 3 }));
    counter.reset();
    await sink.apply(batchOf('view', v3), ctx);
    expect(counter.counts).toEqual({ PutItemCommand: 20 });
    // the guarded puts tell new keys from stored ones (ALL_OLD): INSERTs come back
    let batches = 0;
    for (; batches < 20 && counter.counts.BatchExecuteStatementCommand === undefined; batches++) {
      counter.reset();
      const fresh = Array.from({ length: 20 }, (_, i) =>
        change({ entity: ent, key: `n${batches}-${i}`, offset: 60 + 20 * batches + i, version: 1 }),
      );
      await sink.apply(batchOf('view', fresh), ctx);
    }
    counter.detach();
    expect(counter.counts).toEqual({ BatchExecuteStatementCommand: 1 });
    expect(batches).toBeGreaterThan(1);
    const all = [...v1, ...v2, ...v3];
    const view = await viewOf(ent);
    for (const [k, state] of oracle(all)) expect(view.get(k)).toEqual(state);
  });

  it('falls back to the guarded put for every key of an INSERT request that failed', async () => {
    const ent = entity();
    const log = Array.from({ length: 10 }, (_, i) =>
      change({ entity: ent, key: `k${i}`, offset: i, version: 1 }),
    );
    const name = 'throttleInserts';
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'BatchExecuteStatementCommand') {
          throw Object.assign(new Error('Rate exceeded'), {
            name: 'ThrottlingException',
            $metadata: { httpStatusCode: 400 },
          });
        }
        return next(args);
      },
      { step: 'initialize', name },
    );
    const counter = countRequests(client);
    try {
      const result = await sinkFor().apply(batchOf('view', log), ctx);
      expect(new Set(result.outcomes.map((o) => o.status))).toEqual(new Set(['applied']));
    } finally {
      client.middlewareStack.remove(name);
      counter.detach();
    }
    expect(counter.counts.PutItemCommand).toBe(10);
    expect(await viewOf(ent)).toEqual(oracle(log));
  });

  it('writes one item per key with one conditional put and no read when INSERTs are off', async () => {
    const ent = entity();
    const log = Array.from({ length: 20 }, (_, i) =>
      change({ entity: ent, key: `k${i}`, offset: i, version: 1 }),
    );
    const counter = countRequests(client);
    const result = await sinkFor({ insertFirstMaxExisting: 0 }).apply(batchOf('view', log), ctx);
    counter.detach();
    expect(new Set(result.outcomes.map((o) => o.status))).toEqual(new Set(['applied']));
    expect(counter.counts).toEqual({ PutItemCommand: 20 });
    expect(await viewOf(ent)).toEqual(oracle(log));
  });

  it('tells a redelivered change (duplicate) from an older one (stale) and leaves the item alone', async () => {
    const ent = entity();
    const v2 = change({ entity: ent, key: 'a', offset: 1, version: 2 });
    const sink = sinkFor();
    await sink.apply(batchOf('view', [v2]), ctx);
    const again = await sink.apply(batchOf('view', [v2]), ctx);
    const older = await sink.apply(
      batchOf('view', [change({ entity: ent, key: 'a', offset: 2, version: 1, id: 'other' })]),
      ctx,
    );
    expect(statuses(again.outcomes)).toEqual({ 1: 'duplicate' });
    expect(statuses(older.outcomes)).toEqual({ 2: 'stale' });
    expect(await viewOf(ent)).toEqual(oracle([v2]));
  });

  it('collapses changes to one key into one write and answers for every record', async () => {
    const ent = entity();
    const log = [
      change({ entity: ent, key: 'a', offset: 1, version: 1 }),
      change({ entity: ent, key: 'a', offset: 2, version: 3 }),
      change({ entity: ent, key: 'a', offset: 3, version: 2 }),
      change({ entity: ent, key: 'a', offset: 4, version: 4 }),
    ];
    const counter = countRequests(client);
    const result = await sinkFor().apply(batchOf('view', log), ctx);
    counter.detach();
    expect(counter.counts).toEqual({ PutItemCommand: 1 });
    expect(statuses(result.outcomes)).toEqual({
      1: 'applied',
      2: 'applied',
      3: 'stale',
      4: 'applied',
    });
    expect(await viewOf(ent)).toEqual(oracle(log));
  });

  it('keeps a deleted key deleted when an older upsert arrives late', async () => {
    const ent = entity();
    const sink = sinkFor({ tombstoneTtlSeconds: 3600 });
    const del = change({ entity: ent, key: 'a', offset: 1, version: 5, op: 'delete' });
    await sink.apply(
      batchOf('view', [change({ entity: ent, key: 'a', offset: 0, version: 4 }), del]),
      ctx,
    );
    const late = await sink.apply(
      batchOf('view', [change({ entity: ent, key: 'a', offset: 2, version: 3 })]),
      ctx,
    );
    expect(statuses(late.outcomes)).toEqual({ 2: 'stale' });
    const item = await client.send(
      new GetItemCommand({
        TableName: tables.view,
        Key: { pk: { S: `${ent}#a` } },
        ConsistentRead: true,
      }),
    );
    expect(item.Item?._deleted).toEqual({ BOOL: true });
    expect(Number(item.Item?.expiresAt?.N)).toBeGreaterThan(Date.now() / 1000 + 3500);
    expect(item.Item?.name).toBeUndefined();
  });

  it('merges patches over the stored item, including after a delete and on a missing key', async () => {
    const ent = entity();
    const sink = sinkFor();
    const first = [
      change({ entity: ent, key: 'a', offset: 0, version: 1, data: { name: 'Ann', city: 'Oslo' } }),
      change({ entity: ent, key: 'b', offset: 1, version: 1, op: 'patch', data: { city: 'Rome' } }),
    ];
    const second = [
      change({
        entity: ent,
        key: 'a',
        offset: 2,
        version: 2,
        op: 'patch',
        data: { city: 'Bergen' },
      }),
      change({ entity: ent, key: 'a', offset: 3, version: 3, op: 'patch', data: { zip: '5003' } }),
      change({ entity: ent, key: 'b', offset: 4, version: 2, op: 'delete' }),
      change({ entity: ent, key: 'b', offset: 5, version: 3, op: 'patch', data: { name: 'Bo' } }),
      change({
        entity: ent,
        key: 'a',
        offset: 6,
        version: 2,
        op: 'patch',
        data: { city: 'stale' },
      }),
    ];
    await sink.apply(batchOf('view', first), ctx);
    const result = await sink.apply(batchOf('view', second), ctx);
    expect(statuses(result.outcomes)).toEqual({
      2: 'applied',
      3: 'applied',
      4: 'applied',
      5: 'applied',
      6: 'stale',
    });
    const view = await viewOf(ent);
    expect(view).toEqual(oracle([...first, ...second]));
    expect(view.get(`${ent}#a`)?.data).toEqual({ name: 'Ann', city: 'Bergen', zip: '5003' });
    expect(view.get(`${ent}#b`)?.data).toEqual({ name: 'Bo' });
  });

  it('applies a Kafka tombstone only over state its own partition wrote earlier, just above its version', async () => {
    const ent = entity();
    const sink = sinkFor();
    const log = [
      change({ entity: ent, key: 'a', offset: 10, version: 7 }),
      change({ entity: ent, key: 'b', offset: 11, version: 7, partition: 1 }),
    ];
    await sink.apply(batchOf('view', [log[0] as Change]), ctx);
    await sink.apply(batchOf('view', [log[1] as Change]), ctx);
    const tombstones = [
      change({ entity: ent, key: 'a', offset: 12, version: null }),
      change({ entity: ent, key: 'b', offset: 13, version: null }),
    ];
    const result = await sink.apply(batchOf('view', tombstones), ctx);
    expect(statuses(result.outcomes)).toEqual({ 12: 'applied', 13: 'stale' });
    const next = change({ entity: ent, key: 'a', offset: 14, version: 8 });
    await sink.apply(batchOf('view', [next]), ctx);
    const view = await viewOf(ent);
    expect(view.get(`${ent}#b`)?.deleted).toBe(false);
    expect(view.get(`${ent}#a`)).toMatchObject({ ev: 16, deleted: false });
    expect(view).toEqual(oracle([...log, ...tombstones, next]));
  });

  it('re-reads and folds again when another writer changes the item between read and write', async () => {
    const ent = entity();
    const sink = sinkFor();
    await sink.apply(
      batchOf('view', [change({ entity: ent, key: 'a', offset: 0, version: 1, data: { n: 1 } })]),
      ctx,
    );
    let raced = false;
    const name = 'raceInjector';
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (!raced && context.commandName === 'PutItemCommand') {
          raced = true; // a concurrent writer lands version 2 just before our compare-and-set
          await sinkFor().apply(
            batchOf('view', [
              change({
                entity: ent,
                key: 'a',
                offset: 1,
                version: 2,
                partition: 1,
                data: { n: 2 },
              }),
            ]),
            ctx,
          );
        }
        return next(args);
      },
      { step: 'initialize', name },
    );
    try {
      const patch = change({
        entity: ent,
        key: 'a',
        offset: 5,
        version: 3,
        op: 'patch',
        data: { extra: true },
      });
      const result = await sink.apply(batchOf('view', [patch]), ctx);
      expect(statuses(result.outcomes)).toEqual({ 5: 'applied' });
    } finally {
      client.middlewareStack.remove(name);
    }
    expect(raced).toBe(true);
    expect((await viewOf(ent)).get(`${ent}#a`)?.data).toEqual({ n: 2, extra: true });
  });

  it('quarantines an item DynamoDB refuses (over 400 KB) and keeps the key at its previous change', async () => {
    const ent = entity();
    const ok = change({ entity: ent, key: 'a', offset: 0, version: 1, data: { small: 'x' } });
    const huge = change({
      entity: ent,
      key: 'a',
      offset: 1,
      version: 2,
      data: { big: 'x'.repeat(410_000) },
    });
    const other = change({ entity: ent, key: 'b', offset: 2, version: 1 });
    const result = await sinkFor().apply(batchOf('view', [ok, huge, other]), ctx);
    expect(statuses(result.outcomes)).toEqual({ 0: 'applied', 1: 'poison', 2: 'applied' });
    const poison = result.outcomes.find((o) => o.offset === 1);
    expect(poison?.status === 'poison' && poison.error.reason).toBe('dynamodb-validation');
    expect(await viewOf(ent)).toEqual(oracle([ok, other]));
  });

  it('stores an older version that follows an unstorable newer one in the same batch', async () => {
    const ent = entity();
    const huge = change({
      entity: ent,
      key: 'k',
      offset: 0,
      version: 5,
      data: { blob: 'x'.repeat(500_000) },
    });
    const older = change({ entity: ent, key: 'k', offset: 1, version: 3 });
    const result = await sinkFor().apply(batchOf('view', [huge, older]), ctx);
    expect(statuses(result.outcomes)).toEqual({ 0: 'poison', 1: 'applied' });
    // the same as delivering them in two batches: the quarantined change is not in the view
    expect((await viewOf(ent)).get(`${ent}#k`)?.sourceVersion).toBe(3);
  });

  it('quarantines data that would overwrite the item bookkeeping', async () => {
    const ent = entity();
    const result = await sinkFor().apply(
      batchOf('view', [change({ entity: ent, key: 'a', offset: 0, version: 1, data: { _v: 99 } })]),
      ctx,
    );
    expect(result.outcomes).toEqual([
      expect.objectContaining({
        status: 'poison',
        error: expect.objectContaining({ reason: 'reserved-attribute' }),
      }),
    ]);
    expect((await viewOf(ent)).size).toBe(0);
  });

  it('stores what the projection returns and drops the entity from the view when it returns null', async () => {
    const ent = entity();
    const projection = defineProjection({
      entity: ent,
      project: ({ data }) =>
        data?.hidden === true ? null : { label: String(data?.name).toUpperCase() },
    });
    const log = [
      change({ entity: ent, key: 'a', offset: 0, version: 1, data: { name: 'ann', secret: 1 } }),
      change({ entity: ent, key: 'b', offset: 1, version: 1, data: { name: 'bo' } }),
      change({ entity: ent, key: 'b', offset: 2, version: 2, data: { name: 'bo', hidden: true } }),
    ];
    await sinkFor({ projections: [projection] }).apply(batchOf('view', log.slice(0, 2)), ctx);
    await sinkFor({ projections: [projection] }).apply(batchOf('view', log.slice(2)), ctx);
    const view = await viewOf(ent);
    expect(view.get(`${ent}#a`)?.data).toEqual({ label: 'ANN' });
    expect(view.get(`${ent}#b`)?.deleted).toBe(true);
    expect(view).toEqual(oracle(log.map((c) => projectChange(c, projection))));
  });
});

describe('DynamoDbSink pre-read of stored versions', () => {
  const fresh = (ent: string, from: number, n: number, version = 1) =>
    Array.from({ length: n }, (_, i) =>
      change({ entity: ent, key: `k${from + i}`, offset: from + i, version }),
    );
  /** Applies one batch and returns the requests it sent, by command. */
  const requestsOf = async (sink: DynamoDbSink, changes: readonly Change[]) => {
    const counter = countRequests(client);
    try {
      const result = await sink.apply(batchOf('view', changes), ctx);
      return { counts: { ...counter.counts }, result };
    } finally {
      counter.detach();
    }
  };
  /** Rewrites the answer of every BatchGetItem the client sends, for one test. */
  const tamperBatchGets = async <T>(
    tamper: (output: BatchGetItemCommandOutput) => BatchGetItemCommandOutput,
    body: () => Promise<T>,
  ): Promise<T> => {
    const name = `tamper-${++run}`;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (context.commandName !== 'BatchGetItemCommand') return result;
        return { ...result, output: tamper(result.output as BatchGetItemCommandOutput) };
      },
      { step: 'initialize', name },
    );
    try {
      return await body();
    } finally {
      client.middlewareStack.remove(name);
    }
  };

  it('starts reading once a partition keeps re-sending what the view holds, and stops once the stream runs fresh', async () => {
    const ent = entity();
    const sink = sinkFor({ insertFirstMaxExisting: 0 }); // the put path's policy alone
    const seen = fresh(ent, 0, 20);
    const first = await requestsOf(sink, seen);
    expect(first.counts).toEqual({ PutItemCommand: 20 });
    // redelivered once: 20 failed guards, and the partition's stale share jumps to 0.5
    const again = await requestsOf(sink, seen);
    expect(again.counts).toEqual({ PutItemCommand: 20 });
    // redelivered twice: one read and no write at all
    const third = await requestsOf(sink, seen);
    expect(third.counts).toEqual({ BatchGetItemCommand: 1 });
    expect(new Set(third.result.outcomes.map((o) => o.status))).toEqual(new Set(['duplicate']));

    // fresh keys from now on: the read finds nothing, the share decays under the break-even
    const reads: number[] = [];
    for (let b = 1; b <= 10; b++) {
      const { counts } = await requestsOf(sink, fresh(ent, 100 * b, 20));
      expect(counts.PutItemCommand).toBe(20);
      reads.push(counts.BatchGetItemCommand ?? 0);
    }
    const stopped = reads.indexOf(0);
    expect(stopped).toBeGreaterThan(0);
    expect(reads.slice(stopped)).toEqual(reads.slice(stopped).map(() => 0));
    const all = [seen, ...Array.from({ length: 10 }, (_, b) => fresh(ent, 100 * (b + 1), 20))];
    expect(await viewOf(ent)).toEqual(oracle(all.flat()));
  });

  it('never skips a key whose stored version is older than the one it would write', async () => {
    const ent = entity();
    const setup = [
      change({ entity: ent, key: 'a', offset: 0, version: 5 }),
      change({ entity: ent, key: 'b', offset: 1, version: 3 }),
      change({ entity: ent, key: 'c', offset: 2, version: 7 }),
      change({ entity: ent, key: 'e', offset: 3, version: 1, data: { x: 1 } }),
    ];
    await sinkFor().apply(batchOf('view', setup), ctx);
    // a Kafka tombstone stores a at ev 2×5+1 = 11, one below version 6 (ev 12)
    const tombstone = change({ entity: ent, key: 'a', offset: 4, version: null });
    await sinkFor().apply(batchOf('view', [tombstone]), ctx);
    const batch = [
      change({ entity: ent, key: 'a', offset: 5, version: 6 }), // stored 11 < 12: write
      change({ entity: ent, key: 'b', offset: 6, version: 4 }), // stored 6 < 8: write
      change({ entity: ent, key: 'c', offset: 7, version: 7 }), // the same event: skip
      change({ entity: ent, key: 'c', offset: 8, version: 6, id: 'older' }), // dropped: stale
      change({ entity: ent, key: 'd', offset: 9, version: 1 }), // absent: write
      change({ entity: ent, key: 'e', offset: 10, version: 2, op: 'patch', data: { y: 2 } }),
    ];
    const readKeys: string[] = [];
    const { counts, result } = await tamperBatchGets(
      (output) => {
        for (const items of Object.values(output.Responses ?? {}))
          for (const item of items) readKeys.push(String(item.pk?.S));
        return output;
      },
      () => requestsOf(sinkFor({ preReadThreshold: 0 }), batch),
    );
    expect(statuses(result.outcomes)).toEqual({
      5: 'applied',
      6: 'applied',
      7: 'duplicate',
      8: 'stale',
      9: 'applied',
      10: 'applied',
    });
    // one read for the blind keys; the patch reads strongly consistent state on its own
    expect(counts).toEqual({ BatchGetItemCommand: 1, GetItemCommand: 1, PutItemCommand: 4 });
    expect(readKeys.sort()).toEqual([`${ent}#a`, `${ent}#b`, `${ent}#c`]);
    expect(await viewOf(ent)).toEqual(oracle([...setup, tombstone, ...batch]));
  });

  it('leaves correctness to the guarded write when the read lags, leaves keys unprocessed or is throttled', async () => {
    const ent = entity();
    const seen = fresh(ent, 0, 10, 2);
    await sinkFor().apply(batchOf('view', seen), ctx);
    const older = fresh(ent, 0, 10, 1).map((c, i) => ({
      ...c,
      eventId: `older-${i}`,
      coords: { ...c.coords, offset: 50 + i },
    }));
    const sink = () => sinkFor({ preReadThreshold: 0, insertFirstMaxExisting: 0 });

    // an eventually consistent read that has not seen the writes yet
    const lagging = await tamperBatchGets(
      (output) => ({ ...output, Responses: {} }),
      () => requestsOf(sink(), seen),
    );
    expect(lagging.counts).toEqual({ BatchGetItemCommand: 1, PutItemCommand: 10 });
    expect(new Set(lagging.result.outcomes.map((o) => o.status))).toEqual(new Set(['duplicate']));

    // every key left unprocessed (the 16 MB response limit, throttling)
    const unprocessed = await tamperBatchGets(
      (output) => ({
        ...output,
        Responses: {},
        UnprocessedKeys: {
          [tables.view]: { Keys: seen.map((c) => ({ pk: { S: `${ent}#${c.key}` } })) },
        },
      }),
      () => requestsOf(sink(), seen),
    );
    expect(unprocessed.counts).toEqual({ BatchGetItemCommand: 1, PutItemCommand: 10 });
    expect(new Set(unprocessed.result.outcomes.map((o) => o.status))).toEqual(
      new Set(['duplicate']),
    );

    // the read throttled past the SDK's retries: write instead, no retry outcome
    const name = `throttle-${++run}`;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'BatchGetItemCommand') {
          throw Object.assign(new Error('Rate exceeded'), {
            name: 'ThrottlingException',
            $metadata: { httpStatusCode: 400 },
          });
        }
        return next(args);
      },
      { step: 'initialize', name },
    );
    let throttled: Awaited<ReturnType<typeof requestsOf>>;
    try {
      throttled = await requestsOf(sink(), older);
    } finally {
      client.middlewareStack.remove(name);
    }
    expect(throttled.counts.PutItemCommand).toBe(10);
    expect(new Set(throttled.result.outcomes.map((o) => o.status))).toEqual(new Set(['stale']));
    expect(await viewOf(ent)).toEqual(oracle(seen));
  });

  it('reads at most 100 keys per request and skips every key already at that version', async () => {
    const ent = entity();
    const seen = fresh(ent, 0, 150);
    await sinkFor().apply(batchOf('view', seen), ctx);
    const { counts, result } = await requestsOf(sinkFor({ preReadThreshold: 0 }), seen);
    expect(counts).toEqual({ BatchGetItemCommand: 2 });
    expect(result.outcomes).toHaveLength(150);
    expect(new Set(result.outcomes.map((o) => o.status))).toEqual(new Set(['duplicate']));
  });
});

describe('DynamoDbSink aggregates', () => {
  const declare = (ent: string) =>
    defineAggregate({
      name: `${ent}-by-customer`,
      entity: ent,
      groupBy: 'customerId',
      measures: { orderCount: { count: true }, totalSpent: { sum: 'amount' } },
    });
  // ids and topic unique to the test: markers and checkpoints share the ledger table
  const order = (
    ent: string,
    offset: number,
    customer: string,
    amount: number,
    id = `o${offset}`,
  ) =>
    change({
      entity: ent,
      key: id,
      offset,
      version: 1,
      id: `${ent}-${id}`,
      topic: ent,
      data: { customerId: customer, amount },
    });

  it('adds each event once, checkpoints with the totals, and ignores the same events redelivered', async () => {
    const ent = entity();
    const sink = sinkFor({ aggregates: [declare(ent)] });
    const log = [
      order(ent, 0, 'c1', 10.1),
      order(ent, 1, 'c2', 5),
      order(ent, 2, 'c1', 0.2),
      order(ent, 3, 'c1', 10.1, 'o0'), // the same event published twice
    ];
    const first = await sink.apply(batchOf('view', log), ctx);
    expect(first.checkpointedThrough).toBe(3);
    expect(statuses(first.outcomes)).toEqual({
      0: 'applied',
      1: 'applied',
      2: 'applied',
      3: 'duplicate',
    });
    const again = await sink.apply(batchOf('view', log.slice(1)), ctx);
    expect(new Set(again.outcomes.map((o) => o.status))).toEqual(new Set(['duplicate']));
    expect(await aggregateItems(client, tables.view)).toMatchObject({
      [`agg#${ent}-by-customer#c1`]: { orderCount: 2, totalSpent: 10.3 },
      [`agg#${ent}-by-customer#c2`]: { orderCount: 1, totalSpent: 5 },
    });
    expect(await checkpointOf(client, tables.ledger, `ckpt#view#${ent}#0`)).toBeGreaterThanOrEqual(
      3,
    );
  });

  it('splits a large batch into transactions within the 100-item limit and stays exact', async () => {
    const ent = entity();
    const sink = sinkFor({ aggregates: [declare(ent)] });
    const log = Array.from({ length: 150 }, (_, i) =>
      change({
        entity: ent,
        key: `o${i}`,
        offset: i,
        version: 1,
        id: `${ent}-${i}`,
        topic: ent,
        data: { customerId: `c${i}`, amount: 1 },
      }),
    );
    const counter = countRequests(client);
    const result = await sink.apply(batchOf('view', log), ctx);
    counter.detach();
    expect(result.checkpointedThrough).toBe(149);
    expect(counter.counts.TransactWriteItemsCommand).toBe(4);
    const totals = await aggregateItems(client, tables.view);
    expect(Object.keys(totals).filter((k) => k.startsWith(`agg#${ent}-`))).toHaveLength(150);
    expect(await checkpointOf(client, tables.ledger, `ckpt#view#${ent}#0`)).toBe(149);
  });

  it('does not checkpoint past a record whose view write must be retried', async () => {
    const ent = entity();
    // the put path, where the fault is injected
    const sink = sinkFor({ aggregates: [declare(ent)], insertFirstMaxExisting: 0 });
    const log = [order(ent, 0, 'c1', 1), order(ent, 1, 'c1', 2), order(ent, 2, 'c1', 4)];
    const name = 'throttleOne';
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = (args as { input?: { Item?: { pk?: { S?: string } } } }).input;
        if (context.commandName === 'PutItemCommand' && input?.Item?.pk?.S === `${ent}#o1`) {
          throw Object.assign(new Error('Rate exceeded'), {
            name: 'ThrottlingException',
            $metadata: { httpStatusCode: 400 },
          });
        }
        return next(args);
      },
      { step: 'initialize', name },
    );
    let result: Awaited<ReturnType<DynamoDbSink['apply']>>;
    try {
      result = await sink.apply(batchOf('view', log, null), ctx);
    } finally {
      client.middlewareStack.remove(name);
    }
    expect(statuses(result.outcomes)).toEqual({ 0: 'applied', 1: 'retry', 2: 'retry' });
    expect(result.checkpointedThrough).toBe(0);
    expect((await aggregateItems(client, tables.view))[`agg#${ent}-by-customer#c1`]).toEqual({
      orderCount: 1,
      totalSpent: 1,
    });
    const retried = await sink.apply(batchOf('view', log.slice(1), 0), ctx);
    expect(statuses(retried.outcomes)).toEqual({ 1: 'applied', 2: 'applied' });
    expect((await aggregateItems(client, tables.view))[`agg#${ent}-by-customer#c1`]).toEqual({
      orderCount: 3,
      totalSpent: 7,
    });
  });

  // Dynoxide serialises transactions and never reports a conflict; AWS does (a concurrent
  // write to an item in the transaction), either as a cancellation reason or as its own
  // exception. Both are injected here, ahead of the real commit, and must be retried.
  it('retries a transaction that lost a conflict and stays exact', async () => {
    const ent = entity();
    const sink = sinkFor({ aggregates: [declare(ent)] });
    const log = [order(ent, 0, 'c1', 1), order(ent, 1, 'c1', 2), order(ent, 2, 'c2', 4)];
    const conflicts = [
      Object.assign(new Error('Transaction cancelled'), {
        name: 'TransactionCanceledException',
        $metadata: { httpStatusCode: 400 },
        // one reason per item: 3 events x (marker + counter) + the checkpoint, at most
        CancellationReasons: Array.from({ length: 7 }, (_, i) => ({
          Code: i === 0 ? 'TransactionConflict' : 'None',
        })),
      }),
      Object.assign(new Error('Transaction is ongoing for the item'), {
        name: 'TransactionConflictException',
        $metadata: { httpStatusCode: 400 },
      }),
    ];
    let injected = 0;
    const name = 'conflictTwice';
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'TransactWriteItemsCommand' && injected < conflicts.length) {
          const error = conflicts[injected++] as Error & { CancellationReasons?: unknown[] };
          const items = (args as { input?: { TransactItems?: unknown[] } }).input?.TransactItems;
          if (error.CancellationReasons !== undefined && items !== undefined) {
            error.CancellationReasons = error.CancellationReasons.slice(0, items.length);
          }
          throw error;
        }
        return next(args);
      },
      { step: 'initialize', name },
    );
    let result: Awaited<ReturnType<DynamoDbSink['apply']>>;
    try {
      result = await sink.apply(batchOf('view', log), ctx);
    } finally {
      client.middlewareStack.remove(name);
    }
    expect(injected).toBe(2);
    expect(statuses(result.outcomes)).toEqual({ 0: 'applied', 1: 'applied', 2: 'applied' });
    expect(result.checkpointedThrough).toBe(2);
    const totals = await aggregateItems(client, tables.view);
    expect(totals[`agg#${ent}-by-customer#c1`]).toEqual({ orderCount: 2, totalSpent: 3 });
    expect(totals[`agg#${ent}-by-customer#c2`]).toEqual({ orderCount: 1, totalSpent: 4 });
  });

  it('never checkpoints past a poison record it found, not even in a later call of the invocation', async () => {
    const ent = entity();
    const sink = sinkFor({ aggregates: [declare(ent)] });
    const poisoned = { ...order(ent, 1, 'c1', 1), data: { customerId: 'c1', amount: 1, _v: 'x' } };
    const first = await sink.apply(
      batchOf('view', [order(ent, 0, 'c1', 1), poisoned, order(ent, 2, 'c1', 1)]),
      ctx,
    );
    expect(statuses(first.outcomes)).toEqual({ 0: 'applied', 1: 'poison', 2: 'applied' });
    expect(first.checkpointedThrough).toBe(0);
    // the engine retries other records before it quarantines offset 1
    const later = await sink.apply(batchOf('view', [order(ent, 3, 'c1', 1)], null), ctx);
    expect(later.checkpointedThrough).toBeUndefined();
    expect(await checkpointOf(client, tables.ledger, `ckpt#view#${ent}#0`)).toBe(0);
    // once the ledger checkpoint read by the engine is past it, the floor is forgotten
    const next = await sink.apply(batchOf('view', [order(ent, 4, 'c1', 1)], 3), ctx);
    expect(next.checkpointedThrough).toBe(4);
    expect(await checkpointOf(client, tables.ledger, `ckpt#view#${ent}#0`)).toBe(4);
  });

  it('never checkpoints past a record whose aggregate update DynamoDB rejected as poison', async () => {
    const ent = entity();
    const sink = sinkFor({ aggregates: [declare(ent)] });
    // a measure stored as a string: DynamoDB refuses to ADD a number to it
    await client.send(
      new PutItemCommand({
        TableName: tables.view,
        Item: { pk: { S: `agg#${ent}-by-customer#bad` }, orderCount: { S: 'x' } },
      }),
    );
    const result = await sink.apply(
      batchOf('view', [order(ent, 0, 'c1', 1), order(ent, 1, 'bad', 1), order(ent, 2, 'c1', 1)]),
      ctx,
    );
    expect(statuses(result.outcomes)).toEqual({ 0: 'applied', 1: 'poison', 2: 'applied' });
    // the engine quarantines offset 1 after the sink returns: the checkpoint stays below it
    expect(result.checkpointedThrough ?? -1).toBeLessThan(1);
    expect((await checkpointOf(client, tables.ledger, `ckpt#view#${ent}#0`)) ?? -1).toBeLessThan(1);
  });

  it('stays exact when the invocation dies right after a transaction committed', async () => {
    const ent = entity();
    const sink = sinkFor({ aggregates: [declare(ent)] });
    const log = [order(ent, 0, 'c1', 1), order(ent, 1, 'c2', 2)];
    const name = 'crashAfterCommit';
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const out = await next(args);
        if (context.commandName === 'TransactWriteItemsCommand') throw new Error('simulated crash');
        return out;
      },
      { step: 'initialize', name },
    );
    try {
      await expect(sink.apply(batchOf('view', log), ctx)).rejects.toThrow('simulated crash');
    } finally {
      client.middlewareStack.remove(name);
    }
    await client.send(
      new PutItemCommand({ TableName: tables.ledger, Item: { pk: { S: 'noop' } } }),
    );
    const redelivered = await sink.apply(batchOf('view', log), ctx);
    expect(new Set(redelivered.outcomes.map((o) => o.status))).toEqual(new Set(['duplicate']));
    const totals = await aggregateItems(client, tables.view);
    expect(totals[`agg#${ent}-by-customer#c1`]).toEqual({ orderCount: 1, totalSpent: 1 });
    expect(totals[`agg#${ent}-by-customer#c2`]).toEqual({ orderCount: 1, totalSpent: 2 });
  });
});
