import { randomUUID } from 'node:crypto';
import {
  DeleteTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  type ServiceInputTypes,
  type ServiceOutputTypes,
} from '@aws-sdk/client-dynamodb';
import type { InitializeMiddleware } from '@smithy/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoLedger } from '../../../functions/adapters/ledger-dynamodb.js';
import { StaysyncError } from '../../../functions/core/errors.js';
import { checkpointKey } from '../../../functions/core/ledger.js';
import { dynamoDbClient } from '../../../functions/runtime/aws-clients.js';
import * as sinkConfig from '../../../functions/runtime/sink-config.js';
import { createPkTable, uniqueName } from '../../support/aws.js';
import { countRequests } from '../../support/aws-request-counter.js';
import { loadStackEnv } from '../../support/stack-env.js';

// The DynamoDB ledger adapter against the real local DynamoDB (Dynoxide).
const stack = loadStackEnv();
const env = { ...stack.vars };
const client = dynamoDbClient(env);
const table = uniqueName('ledger-it');
const ledger = new DynamoLedger(client, table);
const ref = (partition = 0) => ({
  sink: 'view',
  topic: `t-${randomUUID().slice(0, 6)}`,
  partition,
});

beforeAll(async () => {
  await createPkTable(client, table);
});

afterAll(async () => {
  await client.send(new DeleteTableCommand({ TableName: table }));
});

describe('DynamoLedger', () => {
  it('reads null for a partition the sink never checkpointed', async () => {
    expect(await ledger.readCheckpoint(ref())).toBeNull();
  });

  it('stores an advance under ckpt#<sink>#<topic>#<partition> and reads it back', async () => {
    const r = ref(3);
    expect(await ledger.advanceCheckpoint(r, 41)).toBe(true);
    expect(await ledger.readCheckpoint(r)).toBe(41);
    const item = await client.send(
      new GetItemCommand({
        TableName: table,
        Key: { pk: { S: checkpointKey(r) } },
        ConsistentRead: true,
      }),
    );
    expect(item.Item?.offset).toEqual({ N: '41' });
  });

  it('never moves a checkpoint backwards: an equal or lower advance resolves false', async () => {
    const r = ref();
    await ledger.advanceCheckpoint(r, 10);
    expect(await ledger.advanceCheckpoint(r, 10)).toBe(false);
    expect(await ledger.advanceCheckpoint(r, 4)).toBe(false);
    expect(await ledger.readCheckpoint(r)).toBe(10);
  });

  it('keeps the highest of concurrent advances', async () => {
    const r = ref();
    const results = await Promise.all([7, 3, 12, 9, 12].map((o) => ledger.advanceCheckpoint(r, o)));
    expect(await ledger.readCheckpoint(r)).toBe(12);
    expect(results.filter(Boolean).length).toBeGreaterThanOrEqual(1);
  });

  it('reads with ConsistentRead, one GetItem per read, on the shared client', async () => {
    const inputs: Record<string, unknown>[] = [];
    const capture: InitializeMiddleware<ServiceInputTypes, ServiceOutputTypes> =
      (next) => async (args) => {
        inputs.push(args.input as Record<string, unknown>);
        return next(args);
      };
    const shared = dynamoDbClient({ ...env });
    expect(shared).toBe(client);
    shared.middlewareStack.add(capture, { step: 'initialize', name: 'captureLedgerInput' });
    const counter = countRequests(shared);
    try {
      await ledgerFromEnv({ ...env, LEDGER_TABLE: table }).readCheckpoint(ref());
      expect(counter.counts).toEqual({ GetItemCommand: 1 });
      expect(inputs[0]).toMatchObject({ TableName: table, ConsistentRead: true });
    } finally {
      counter.detach();
      shared.middlewareStack.remove('captureLedgerInput');
    }
  });

  it('refuses a stored checkpoint that is not a number instead of guessing', async () => {
    const r = ref();
    await client.send(
      new PutItemCommand({
        TableName: table,
        Item: { pk: { S: checkpointKey(r) }, offset: { S: 'x' } },
      }),
    );
    await expect(ledger.readCheckpoint(r)).rejects.toThrow(/holds no valid offset/);
  });

  it('reports a missing table as a non-retriable error', async () => {
    const missing = new DynamoLedger(client, uniqueName('absent'));
    const err = await missing.readCheckpoint(ref()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StaysyncError);
    expect((err as StaysyncError).retriable).toBe(false);
    expect((err as StaysyncError).message).toMatch(/ResourceNotFoundException/);
  });

  it('reports an unreachable endpoint as a retriable error', async () => {
    const dead = new DynamoDBClient({
      endpoint: 'http://127.0.0.1:9',
      region: stack.awsRegion,
      credentials: stack.credentials,
      maxAttempts: 1,
    });
    try {
      const err = await new DynamoLedger(dead, table)
        .advanceCheckpoint(ref(), 1)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StaysyncError);
      expect((err as StaysyncError).retriable).toBe(true);
    } finally {
      dead.destroy();
    }
  });

  it('requires LEDGER_TABLE, naming it', () => {
    expect(() => ledgerFromEnv({ ...env })).toThrow(/LEDGER_TABLE/);
  });
});

/** The ledger a sink builds from its environment (runtime/sink-config.ts). */
const ledgerFromEnv = (vars: NodeJS.ProcessEnv) =>
  sinkConfig.sinkLedgerAndQuarantine(
    sinkConfig.readSinkCommonConfig({ QUARANTINE_BUCKET: 'q', ...vars }, 'view'),
    vars,
  ).ledger;
