/**
 * The real sink-s3-archive handler (createHandler(env)) against the local stack's moto
 * S3 and DynamoDB, driven by MSK-shaped events.
 */
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeArchiveObject } from '../../../functions/core/archive/object.js';
import { DEFAULT_DECODE_LIMITS } from '../../../functions/core/limits.js';
import { decodeRecord } from '../../../functions/core/msk-decode.js';
import { dynamoDbClient, s3Client } from '../../../functions/runtime/aws-clients.js';
import { createHandler } from '../../../functions/sink-s3-archive/create-handler.js';
import { type FetchedRecord, toMskRecord } from '../../../local/esm/event-builder.js';
import { listAllKeys, uniqueName } from '../../support/aws.js';
import { countRequests } from '../../support/aws-request-counter.js';
import { loadStackEnv } from '../../support/stack-env.js';
import {
  archiveSinkEnv,
  createResources,
  expectExactlyOnce,
  failCommand,
  type Handler,
  injectS3Error,
  makeRecords,
  mskEvent,
  readArchive,
} from './support.js';

const stack = loadStackEnv();
const baseEnv = { ...stack.vars };
const s3 = s3Client(baseEnv);
const dynamo = dynamoDbClient(baseEnv);
let resources: Awaited<ReturnType<typeof createResources>>;

beforeAll(async () => {
  resources = await createResources(dynamo, s3);
});
afterAll(async () => {
  await resources?.drop();
});

/** A fresh topic and prefix for one test, and the env of its handler. */
function setup() {
  const topic = uniqueName('orders');
  const prefix = uniqueName('archive');
  const env = archiveSinkEnv(baseEnv, resources, prefix);
  const handler: Handler = createHandler(env);
  const read = () => readArchive(s3, resources.archive, prefix, topic);
  return { topic, prefix, env, handler, read };
}

const slice = (records: readonly FetchedRecord[], from: number, to: number) =>
  records.filter((r) => r.offset >= from && r.offset <= to);

describe('sink-s3-archive handler', () => {
  it('writes one gzip JSON Lines object per partition batch, with exactly one PutObject each', async () => {
    const { topic, prefix, handler, read } = setup();
    const p0 = makeRecords(topic, 0, 0, 120);
    const p1 = makeRecords(topic, 1, 500, 80);
    const counter = countRequests(s3);
    try {
      // first batch of each partition (no checkpoint yet: one listing of the empty topic folder)
      expect(await handler(mskEvent([...slice(p0, 0, 59), ...slice(p1, 500, 539)]))).toEqual({
        batchItemFailures: [],
      });
      expect(counter.counts).toEqual({ PutObjectCommand: 2, ListObjectsV2Command: 2 });
      counter.reset();
      // the normal path: a batch that follows the checkpoint costs one S3 request
      expect(await handler(mskEvent([...slice(p0, 60, 119), ...slice(p1, 540, 579)]))).toEqual({
        batchItemFailures: [],
      });
      expect(counter.counts).toEqual({ PutObjectCommand: 2 });
    } finally {
      counter.detach();
    }
    expectExactlyOnce(await read(), [...p0, ...p1]);

    const keys = (await listAllKeys(s3, resources.archive, `${prefix}/`)).sort();
    expect(keys).toEqual([
      `${prefix}/topic=${topic}/dt=2026-11-26/partition=0/${topic}+0+00000000000000000000.jsonl.gz`,
      `${prefix}/topic=${topic}/dt=2026-11-26/partition=0/${topic}+0+00000000000000000060.jsonl.gz`,
      `${prefix}/topic=${topic}/dt=2026-11-26/partition=1/${topic}+1+00000000000000000500.jsonl.gz`,
      `${prefix}/topic=${topic}/dt=2026-11-26/partition=1/${topic}+1+00000000000000000540.jsonl.gz`,
    ]);
    const head = await s3.send(new HeadObjectCommand({ Bucket: resources.archive, Key: keys[1] }));
    expect(head.ContentType).toBe('application/x-ndjson');
    expect(head.ContentEncoding).toBe('gzip');
    expect(head.Metadata).toMatchObject({
      'start-offset': '60',
      'end-offset': '119',
      'record-count': '60',
    });
    const got = await s3.send(new GetObjectCommand({ Bucket: resources.archive, Key: keys[1] }));
    const lines = gunzipSync(
      await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    )
      .toString('utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(60);
    // offset 79: a tombstone, archived with value null
    expect(lines[19]).toMatchObject({
      topic,
      partition: 0,
      offset: 79,
      value: null,
      key: 'customer:4',
    });
    expect(lines[19]).not.toHaveProperty('valueEncoding');
    // offset 66: a key that is not UTF-8, kept as base64 with a flag
    expect(lines[6]).toMatchObject({
      offset: 66,
      keyEncoding: 'base64',
      key: Buffer.from([0xc3, 0x28, 0xff]).toString('base64'),
    });
    // offset 95: a value other sinks find poison (not JSON), archived as sent
    expect(lines[35]).toMatchObject({
      offset: 95,
      valueEncoding: 'base64',
      value: Buffer.from('not json {').toString('base64'),
    });
    // offset 60: JSON value parsed; repeated header keys, one not UTF-8
    expect(lines[0]).toMatchObject({
      offset: 60,
      timestampType: 'CREATE_TIME',
      value: { id: 'e-0-60', data: { n: 60, name: 'Zoë' } },
      headers: [
        { key: 'trace', value: 't60' },
        {
          key: 'trace',
          value: Buffer.from([0xc3, 0x28, 0xff]).toString('base64'),
          valueEncoding: 'base64',
        },
      ],
    });
  });

  it('after a crash between PutObject and the checkpoint, a redelivery with another boundary archives every offset exactly once', async () => {
    const { topic, env, handler, read } = setup();
    const log = makeRecords(topic, 0, 0, 120);
    expect(await handler(mskEvent(slice(log, 0, 19)))).toEqual({ batchItemFailures: [] });

    // attempt 1 of 20..69: the object is written, then the invocation dies before its checkpoint
    const crash = failCommand(dynamo, 'UpdateItemCommand');
    try {
      await expect(handler(mskEvent(slice(log, 20, 69)))).rejects.toThrow();
    } finally {
      crash();
    }

    // the mapping redelivers from 20 with a larger batch, to a new execution environment
    // (the crashed one is gone): 20..69 are duplicates, 70..119 new
    const fresh: Handler = createHandler(env);
    const counter = countRequests(s3);
    try {
      expect(await fresh(mskEvent(slice(log, 20, 119)))).toEqual({ batchItemFailures: [] });
      // it knows nothing of the partition: one listing from 20 on finds the object, one HEAD
      // reads its end
      expect(counter.counts).toEqual({
        ListObjectsV2Command: 1,
        HeadObjectCommand: 1,
        PutObjectCommand: 1,
      });
      counter.reset();
      // and a redelivery from before the checkpoint (consumer offsets lagging) writes nothing
      expect(await fresh(mskEvent(slice(log, 0, 119)))).toEqual({ batchItemFailures: [] });
      expect(counter.total()).toBe(0);
    } finally {
      counter.detach();
    }
    expectExactlyOnce(await read(), log);
  });

  it('a redelivery that starts inside the crashed attempt’s object finds that object and continues after it', async () => {
    const { topic, handler, read } = setup();
    const log = makeRecords(topic, 0, 100, 101); // offsets 100..200
    expect(await handler(mskEvent(slice(log, 100, 119)))).toEqual({ batchItemFailures: [] });
    const crash = failCommand(dynamo, 'UpdateItemCommand');
    try {
      await expect(handler(mskEvent(slice(log, 120, 149)))).rejects.toThrow();
    } finally {
      crash();
    }
    // checkpoint 119, object 120..149 exists; this delivery starts at 135 (the mapping
    // moved on): the sink must neither rewrite 135..149 nor leave 150.. unarchived
    expect(await handler(mskEvent(slice(log, 135, 200)))).toEqual({ batchItemFailures: [] });
    expectExactlyOnce(await read(), log);
  });

  it('two concurrent invocations for one partition (a rebalance) leave no duplicate', async () => {
    const { topic, env, read } = setup();
    const log = makeRecords(topic, 0, 0, 400);
    // two execution environments: each its own sink instance, sharing the endpoint's clients
    const a: Handler = createHandler(env);
    const b: Handler = createHandler(env);
    const boundaries = [
      [0, 30, 75],
      [76, 140, 100],
      [101, 260, 180],
      [181, 200, 300],
      [261, 399, 399],
    ] as const;
    for (const [from, endA, endB] of boundaries) {
      const results = await Promise.allSettled([
        a(mskEvent(slice(log, from, endA))),
        b(mskEvent(slice(log, from, endB))),
      ]);
      for (const r of results)
        expect(r).toMatchObject({ status: 'fulfilled', value: { batchItemFailures: [] } });
    }
    expectExactlyOnce(await read(), log);
  });

  it('when an existing object covers the batch and more, checkpoints at that object’s end', async () => {
    const { topic, prefix, handler, read } = setup();
    const log = makeRecords(topic, 0, 0, 60);
    // an earlier attempt (that never checkpointed) archived 0..59 in one object
    const records = log.map((r) => decodeRecord(toMskRecord(r), DEFAULT_DECODE_LIMITS).record);
    const encoded = await encodeArchiveObject(records);
    await s3.send(
      new PutObjectCommand({
        Bucket: resources.archive,
        Key: `${prefix}/topic=${topic}/dt=2026-11-26/partition=0/${topic}+0+00000000000000000000.jsonl.gz`,
        Body: encoded.body,
        Metadata: { ...encoded.metadata },
      }),
    );
    expect(await handler(mskEvent(slice(log, 0, 9)))).toEqual({ batchItemFailures: [] });
    // the next batch starts at 10: had the checkpoint stopped at 9, 10..59 would be written twice
    const counter = countRequests(s3);
    try {
      expect(await handler(mskEvent(slice(log, 10, 59)))).toEqual({ batchItemFailures: [] });
      expect(counter.total()).toBe(0);
    } finally {
      counter.detach();
    }
    expectExactlyOnce(await read(), log);
  });

  it('S3 throttling that outlasts the retries reports the partition at its first offset; the next delivery archives it once', async () => {
    const { topic, handler, read } = setup();
    const log = makeRecords(topic, 0, 0, 40);
    expect(await handler(mskEvent(slice(log, 0, 9)))).toEqual({ batchItemFailures: [] });
    const counter = countRequests(s3);
    const slowDown = injectS3Error(s3, 'PutObjectCommand', {
      status: 503,
      code: 'SlowDown',
      message: 'Please reduce your request rate.',
    });
    let response: Awaited<ReturnType<Handler>>;
    try {
      // 3.5 s left: the engine keeps its 3 s safety margin and gives up within the rest
      const deadline = Date.now() + 3_500;
      response = await handler(mskEvent(slice(log, 10, 39)), {
        getRemainingTimeInMillis: () => deadline - Date.now(),
      });
    } finally {
      slowDown();
      counter.detach();
    }
    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: { partition: `${topic}-0`, offset: 10 } }],
    });
    // the SDK retried the throttled PutObject (3 attempts per call) before the engine did
    expect(counter.counts.PutObjectCommand ?? 0).toBeGreaterThanOrEqual(3);
    expect(await handler(mskEvent(slice(log, 10, 39)))).toEqual({ batchItemFailures: [] });
    expectExactlyOnce(await read(), log);
  });

  it('S3 rejecting an object (a 4xx) quarantines its records with the reason and moves on', async () => {
    const { topic, prefix, handler, read } = setup();
    const log = makeRecords(topic, 0, 0, 20);
    const reject = injectS3Error(
      s3,
      'PutObjectCommand',
      { status: 400, code: 'InvalidArgument', message: 'rejected' },
      (input) => input.Bucket === resources.archive,
    );
    try {
      expect(await handler(mskEvent(slice(log, 0, 4)))).toEqual({ batchItemFailures: [] });
    } finally {
      reject();
    }
    const quarantined = await listAllKeys(
      s3,
      resources.quarantine,
      `${prefix}/sink=s3-archive/topic=${topic}/`,
    );
    expect(quarantined).toHaveLength(5);
    const entry = JSON.parse(
      (await (
        await s3.send(
          new GetObjectCommand({ Bucket: resources.quarantine, Key: quarantined.sort()[0] }),
        )
      ).Body?.transformToString()) ?? 'null',
    );
    expect(entry).toMatchObject({
      sink: 's3-archive',
      topic,
      partition: 0,
      offset: 0,
      reason: 's3-write-rejected',
    });
    expect(entry.error.message).toMatch(/InvalidArgument/);
    // the partition goes on after the quarantined records
    expect(await handler(mskEvent(slice(log, 5, 19)))).toEqual({ batchItemFailures: [] });
    expectExactlyOnce(await read(), slice(log, 5, 19));
  });

  it('access denied fails the invocation instead of quarantining the records', async () => {
    const { topic, prefix, handler, read } = setup();
    const log = makeRecords(topic, 0, 0, 5);
    const deny = injectS3Error(s3, 'PutObjectCommand', {
      status: 403,
      code: 'AccessDenied',
      message: 'Access Denied',
    });
    try {
      await expect(handler(mskEvent(log))).rejects.toThrow(/AccessDenied/);
    } finally {
      deny();
    }
    expect(await listAllKeys(s3, resources.quarantine, `${prefix}/`)).toEqual([]);
    expect(await handler(mskEvent(log))).toEqual({ batchItemFailures: [] });
    expectExactlyOnce(await read(), log);
  });
});
