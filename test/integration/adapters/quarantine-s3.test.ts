import { randomUUID } from 'node:crypto';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quarantineKey, S3Quarantine } from '../../../functions/adapters/quarantine-s3.js';
import { silentLogger } from '../../../functions/core/engine/observability.js';
import { StaysyncError } from '../../../functions/core/errors.js';
import type { QuarantineEntry } from '../../../functions/core/quarantine.js';
import { dynamoDbClient, s3Client } from '../../../functions/runtime/aws-clients.js';
import * as sinkConfig from '../../../functions/runtime/sink-config.js';
import { createSinkHandler } from '../../../functions/runtime/sink-handler.js';
import { createPkTable, emptyAndDeleteBucket } from '../../support/aws.js';
import { countRequests } from '../../support/aws-request-counter.js';
import { loadStackEnv } from '../../support/stack-env.js';
import { envelope, mskEvent, mskRecord } from '../../unit/core/support/msk.js';
import { InMemoryStateSink } from '../../unit/core/support/sinks.js';

// The S3 quarantine adapter, and the runtime with both real adapters, against the local stack (moto S3, Dynoxide DynamoDB).
const stack = loadStackEnv();
const suffix = randomUUID().slice(0, 8);
const bucket = `quarantine-it-${suffix}`;
const table = `ledger-q-it-${suffix}`;
const env = { ...stack.vars, QUARANTINE_BUCKET: bucket, LEDGER_TABLE: table };
const s3 = s3Client(env);
const ddb = dynamoDbClient(env);

beforeAll(async () => {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await createPkTable(ddb, table);
});

afterAll(async () => {
  await emptyAndDeleteBucket(s3, bucket);
  await ddb.send(new DeleteTableCommand({ TableName: table }));
});

const entry = (offset: number, over: Partial<QuarantineEntry> = {}): QuarantineEntry => ({
  sink: 'view',
  topic: 'customers',
  partition: 2,
  offset,
  reason: 'invalid-json',
  error: { name: 'PoisonError', message: 'value: is not valid JSON', field: 'value' },
  raw: mskRecord({ partition: 2, offset, key: 'customer:1', value: '{oops' }),
  quarantinedAt: '2026-11-26T10:00:00.000Z',
  ...over,
});

async function keysUnder(prefix: string): Promise<string[]> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (listed.Contents ?? []).map((o) => o.Key as string).sort();
}

async function readJson(key: string): Promise<unknown> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return JSON.parse(
    await (object.Body as { transformToString(): Promise<string> }).transformToString(),
  );
}

describe('S3Quarantine', () => {
  it('writes one JSON object per record under sink/topic/partition/offset (20 digits)', async () => {
    const prefix = `q-${randomUUID().slice(0, 6)}`;
    await new S3Quarantine(s3, bucket, prefix).put([entry(7), entry(1234567)]);
    expect(await keysUnder(prefix)).toEqual([
      `${prefix}/sink=view/topic=customers/partition=2/00000000000000000007.json`,
      `${prefix}/sink=view/topic=customers/partition=2/00000000000001234567.json`,
    ]);
    expect(await readJson(quarantineKey(prefix, entry(7)))).toEqual(entry(7));
  });

  it('overwrites its own entry when a record is quarantined again: exactly one object', async () => {
    const prefix = `q-${randomUUID().slice(0, 6)}`;
    const quarantine = new S3Quarantine(s3, bucket, prefix);
    await quarantine.put([entry(9)]);
    await quarantine.put([entry(9, { quarantinedAt: '2026-11-27T00:00:00.000Z' })]);
    expect(await keysUnder(prefix)).toHaveLength(1);
    expect(await readJson(quarantineKey(prefix, entry(9)))).toMatchObject({
      quarantinedAt: '2026-11-27T00:00:00.000Z',
    });
  });

  it('defaults the prefix to "quarantine" and reads its bucket from QUARANTINE_BUCKET', async () => {
    const topic = `t-${randomUUID().slice(0, 6)}`;
    await fromEnv(env).quarantine.put([entry(1, { topic })]);
    expect(await keysUnder(`quarantine/sink=view/topic=${topic}/`)).toHaveLength(1);
    expect(() => fromEnv({ ...stack.vars, LEDGER_TABLE: table })).toThrow(/QUARANTINE_BUCKET/);
  });

  it('reports a missing bucket as a non-retriable error', async () => {
    const err = await new S3Quarantine(s3, `absent-${suffix}`)
      .put([entry(1)])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StaysyncError);
    expect((err as StaysyncError).retriable).toBe(false);
    expect((err as StaysyncError).message).toMatch(/NoSuchBucket/);
  });
});

describe('createSinkHandler with the DynamoDB ledger and the S3 quarantine', () => {
  it('quarantines poison in S3, checkpoints in DynamoDB, and skips it all on redelivery', async () => {
    const topic = `orders-${randomUUID().slice(0, 6)}`;
    const sink = new InMemoryStateSink();
    const handler = createSinkHandler({
      sink,
      ...fromEnv(env),
      pipeline: { topics: {} },
      logger: silentLogger,
      metrics: { publish: () => {} },
    });
    const event = mskEvent([
      mskRecord({ topic, offset: 10, key: 'customer:1', value: envelope({ key: '1' }) }),
      mskRecord({ topic, offset: 11, key: 'customer:2', value: '{"id":' }),
      mskRecord({ topic, offset: 12, key: 'customer:3', value: envelope({ key: '3' }) }),
    ]);

    expect(await handler(event, { getRemainingTimeInMillis: () => 60_000 })).toEqual({
      batchItemFailures: [],
    });
    const [key] = await keysUnder(`quarantine/sink=view/topic=${topic}/`);
    expect(key).toBe(`quarantine/sink=view/topic=${topic}/partition=0/00000000000000000011.json`);
    expect(await readJson(key as string)).toMatchObject({
      reason: 'invalid-json',
      offset: 11,
      raw: { value: Buffer.from('{"id":').toString('base64') },
    });
    expect(await fromEnv(env).ledger.readCheckpoint({ sink: 'view', topic, partition: 0 })).toBe(
      12,
    );

    // Redelivery: one checkpoint read, no write anywhere.
    const ddbCount = countRequests(ddb);
    const s3Count = countRequests(s3);
    try {
      expect(await handler(structuredClone(event))).toEqual({ batchItemFailures: [] });
      expect(ddbCount.counts).toEqual({ GetItemCommand: 1 });
      expect(s3Count.total()).toBe(0);
      expect(sink.writes).toBe(2);
    } finally {
      ddbCount.detach();
      s3Count.detach();
    }
  });
});

/** The ledger and quarantine a sink builds from its environment (runtime/sink-config.ts). */
const fromEnv = (vars: NodeJS.ProcessEnv) =>
  sinkConfig.sinkLedgerAndQuarantine(sinkConfig.readSinkCommonConfig(vars, 'view'), vars);
