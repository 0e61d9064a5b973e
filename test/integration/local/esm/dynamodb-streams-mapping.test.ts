import {
  DeleteItemCommand,
  DeleteTableCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryCheckpointStore } from '../../../../local/esm/dynamodb-streams/checkpoints.js';
import {
  S3StreamFailureDestination,
  type StreamInvocationRecord,
} from '../../../../local/esm/dynamodb-streams/on-failure-destination.js';
import {
  DynamoDbStreamsEventSourceMapping,
  type StreamMappingOptions,
} from '../../../../local/esm/dynamodb-streams/stream-event-source-mapping.js';
import { inProcessInvoker } from '../../../../local/esm/in-process-invoker.js';
import {
  createPkTable,
  emptyAndDeleteBucket,
  listAllKeys,
  localDynamoDb,
  localDynamoDbStreams,
  localS3,
  uniqueName,
} from '../../../support/aws.js';
import { loadStackEnv } from '../../../support/stack-env.js';

// The DynamoDB Streams event source mapping on the running Dynoxide, driving a scripted
// in-process handler: each item's `cmd` attribute says what the handler does with it.
const stack = loadStackEnv();
const ddb = localDynamoDb(stack);
const s3 = localS3(stack);
const streams = localDynamoDbStreams(stack);
const bucket = uniqueName('ddb-esm-failures');
const tables: string[] = [];
const mappings: DynamoDbStreamsEventSourceMapping[] = [];

beforeAll(async () => {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
});

afterEach(async () => {
  await Promise.all(mappings.splice(0).map((m) => m.stop()));
});

afterAll(async () => {
  for (const table of tables) await ddb.send(new DeleteTableCommand({ TableName: table }));
  await emptyAndDeleteBucket(s3, bucket);
  ddb.destroy();
  s3.destroy();
  streams.destroy();
});

async function streamedTable(): Promise<string> {
  const table = uniqueName('ddb-esm');
  await createPkTable(ddb, table, 30, 'NEW_AND_OLD_IMAGES');
  tables.push(table);
  return table;
}

const put = (table: string, pk: string, cmd = 'ok') =>
  ddb.send(new PutItemCommand({ TableName: table, Item: { pk: { S: pk }, cmd: { S: cmd } } }));

/** A handler that records every event and obeys each record's `cmd`:
 *  any `throw` fails the whole batch before applying anything; `fail-first` is reported failed the first time it is seen. */
function scriptedHandler() {
  const events: DynamoDBStreamEvent[] = [];
  const applied: string[] = [];
  const seen = new Set<string>();
  const handler = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    events.push(structuredClone(event));
    // All or nothing on a throw, like a transactional relay.
    if (event.Records.some((r) => r.dynamodb?.NewImage?.cmd?.S === 'throw')) {
      throw new Error('scripted failure');
    }
    for (const record of event.Records) {
      const seq = record.dynamodb?.SequenceNumber ?? '';
      const cmd = record.dynamodb?.NewImage?.cmd?.S;
      if (cmd === 'fail-first' && !seen.has(seq)) {
        seen.add(seq);
        return { batchItemFailures: [{ itemIdentifier: seq }] };
      }
      applied.push(record.dynamodb?.Keys?.pk?.S ?? '?');
    }
    return { batchItemFailures: [] };
  };
  return { handler, events, applied };
}

const pks = (event: DynamoDBStreamEvent | undefined): string[] =>
  (event?.Records ?? []).map((r: DynamoDBRecord) => r.dynamodb?.Keys?.pk?.S ?? '?');

function mapping(
  table: string,
  handler: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>,
  extra: Partial<StreamMappingOptions> = {},
): DynamoDbStreamsEventSourceMapping {
  const m = new DynamoDbStreamsEventSourceMapping({
    functionName: `relay-${table}`,
    client: streams,
    source: { tableName: table },
    invoker: inProcessInvoker(handler),
    ...extra,
    settings: { pollIntervalMs: 50, retryDelayMs: 10, maxRetryDelayMs: 50, ...extra.settings },
  });
  mappings.push(m);
  return m;
}

describe('DynamoDB Streams event source mapping on Dynoxide', () => {
  it('delivers INSERT, MODIFY and REMOVE in stream order, shaped as Lambda sends them', async () => {
    const table = await streamedTable();
    const Key = { pk: { S: 'customer#42' } };
    const v1 = { ...Key, name: { S: 'Ada' }, v: { N: '1' } };
    const v2 = { ...v1, v: { N: '2' } };
    await ddb.send(new PutItemCommand({ TableName: table, Item: v1 }));
    const bump = { ':v': { N: '2' } };
    await ddb.send(
      new UpdateItemCommand({
        TableName: table,
        Key,
        UpdateExpression: 'SET v = :v',
        ExpressionAttributeValues: bump,
      }),
    );
    await ddb.send(new DeleteItemCommand({ TableName: table, Key }));
    const script = scriptedHandler();
    const m = mapping(table, script.handler);

    await m.start();
    await m.waitUntilCaughtUp();

    const records = script.events.flatMap((e) => e.Records);
    expect(records.map((r) => r.eventName)).toEqual(['INSERT', 'MODIFY', 'REMOVE']);
    const [insert] = records;
    expect(insert).toMatchObject({
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: stack.awsRegion,
      eventSourceARN: m.streamArn,
      dynamodb: {
        Keys: Key,
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    });
    // [OldImage, NewImage] of each: absent where the change has no such side
    expect(records.map((r) => [r.dynamodb?.OldImage, r.dynamodb?.NewImage])).toEqual([
      [undefined, v1],
      [v1, v2],
      [v2, undefined],
    ]);
    for (const r of records) {
      expect(typeof r.eventID).toBe('string');
      expect(r.userIdentity).toBeUndefined();
      // epoch seconds, a number: within a minute of now
      expect(r.dynamodb?.ApproximateCreationDateTime).toBeTypeOf('number');
      expect(
        Math.abs((r.dynamodb?.ApproximateCreationDateTime ?? 0) - Date.now() / 1000),
      ).toBeLessThan(60);
      expect(r.dynamodb?.SizeBytes).toBeGreaterThan(0);
    }
    const sequence = records.map((r) => BigInt(r.dynamodb?.SequenceNumber ?? '-1'));
    expect(sequence).toEqual([...sequence].sort((a, b) => (a < b ? -1 : 1)));
    expect(new Set(sequence).size).toBe(3);
  });

  it('resumes at the record a partial batch response names, without redelivering those before it', async () => {
    const table = await streamedTable();
    for (const [pk, cmd] of [
      ['a', 'ok'],
      ['b', 'ok'],
      ['c', 'fail-first'],
      ['d', 'ok'],
      ['e', 'ok'],
    ] as const) {
      await put(table, pk, cmd);
    }
    const script = scriptedHandler();
    const checkpoints = new MemoryCheckpointStore();
    const m = mapping(table, script.handler, { checkpoints });

    await m.start();
    await m.waitUntilCaughtUp();

    expect(script.events.map(pks)).toEqual([
      ['a', 'b', 'c', 'd', 'e'],
      ['c', 'd', 'e'],
    ]);
    expect(script.applied).toEqual(['a', 'b', 'c', 'd', 'e']);
    const last = script.events[1]?.Records.at(-1)?.dynamodb?.SequenceNumber;
    expect([...checkpoints.checkpoints.values()]).toEqual([last]);
  });

  it('retries a throwing batch, bisects it, and sends the bad record alone to the on-failure destination', async () => {
    const table = await streamedTable();
    const keys = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8'];
    for (const pk of keys) await put(table, pk, pk === 'r5' ? 'throw' : 'ok');
    await put(table, 'after', 'ok');
    const script = scriptedHandler();
    const uuid = uniqueName('mapping');
    const m = mapping(table, script.handler, {
      uuid,
      destination: new S3StreamFailureDestination(s3, bucket, uuid),
      settings: { batchSize: 8, maxRetryAttempts: 2, bisectBatchOnFunctionError: true },
    });

    await m.start();
    await m.waitUntilCaughtUp();

    // 8 → 4+4 → (r5..r6) → r5 alone, tried 1 + 2 retries; everything else applied once.
    expect(script.events.map(pks)).toEqual([
      keys,
      ['r1', 'r2', 'r3', 'r4'],
      ['r5', 'r6', 'r7', 'r8'],
      ['r5', 'r6'],
      ['r5'],
      ['r5'],
      ['r5'],
      ['r6'],
      ['r7', 'r8'],
      ['after'],
    ]);
    expect(script.applied.sort()).toEqual(['after', ...keys.filter((k) => k !== 'r5')].sort());
    const objects = await listAllKeys(s3, bucket, `aws/lambda/${uuid}/`);
    expect(objects).toHaveLength(1);
    const body = await (
      await s3.send(new GetObjectCommand({ Bucket: bucket, Key: objects[0] }))
    ).Body?.transformToString();
    const record = JSON.parse(body ?? '{}') as StreamInvocationRecord;
    const r5 = script.events[4]?.Records[0];
    expect(record.requestContext).toMatchObject({
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: 3,
    });
    expect(record.responseContext.functionError).toBe('Unhandled');
    expect(record.DDBStreamBatchInfo).toMatchObject({
      startSequenceNumber: r5?.dynamodb?.SequenceNumber,
      endSequenceNumber: r5?.dynamodb?.SequenceNumber,
      batchSize: 1,
      streamArn: m.streamArn,
    });
    expect(objects[0]).toContain(`/${record.DDBStreamBatchInfo.shardId}/`);
    expect(pks(JSON.parse(record.payload) as DynamoDBStreamEvent)).toEqual(['r5']);
  });

  it('resumes after its checkpoint when started again, delivering only newer records', async () => {
    const table = await streamedTable();
    await put(table, 'old-1');
    await put(table, 'old-2');
    const checkpoints = new MemoryCheckpointStore();
    const first = scriptedHandler();
    const m1 = mapping(table, first.handler, { checkpoints });
    await m1.start();
    await m1.waitUntilCaughtUp();
    await m1.stop();
    await put(table, 'new-1');

    const second = scriptedHandler();
    const m2 = mapping(table, second.handler, { checkpoints });
    await m2.start();
    await m2.waitUntilCaughtUp();

    expect(first.applied).toEqual(['old-1', 'old-2']);
    expect(second.applied).toEqual(['new-1']);
  });
});
