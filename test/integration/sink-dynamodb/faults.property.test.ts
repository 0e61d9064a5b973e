import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, expect } from 'vitest';
import { fromViewItem } from '../../../functions/core/dynamodb/view-item.js';
import type { MskEventRecord } from '../../../functions/core/msk-event.js';
import type { ViewState } from '../../../functions/core/view-state.js';
import { dynamoDbClient, s3Client } from '../../../functions/runtime/aws-clients.js';
import { createDynamoSinkHandler } from '../../../functions/sink-dynamodb/create-handler.js';
import { toMskRecord } from '../../../local/esm/event-builder.js';
import { describeUnderFaults, SDK_FAULTS, sdkFaultsIn } from '../../support/adapter-faults.js';
import { emptyAndDeleteBucket, localDynamoDb, localS3, uniqueName } from '../../support/aws.js';
import { modelRun } from '../../support/reference-model.js';
import { loadStackEnv } from '../../support/stack-env.js';
import { createTables, ordersByCustomer, sinkEnv } from './support.js';

/**
 * The real DynamoDB sink handler (view, aggregates, ledger; S3 quarantine) under faults
 * injected in the SDK middleware of its own clients, on Dynoxide and moto: throttling and
 * 5xx before a request, a timeout after the request committed, and crashes before or
 * after any request. Random histories (fast-check, seeded: FC_SEED replays); the view must
 * equal the reference model and the aggregates be exact.
 */
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

const stack = loadStackEnv();
const admin = localDynamoDb(stack);
const s3 = localS3(stack);
const bucket = uniqueName('ddb-faults-quarantine');
const pipelineJson = JSON.stringify({ topics: {}, aggregates: [ordersByCustomer] });
let tables: Awaited<ReturnType<typeof createTables>>;
let env: Record<string, string | undefined>;

beforeAll(async () => {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  tables = await createTables(admin, 'ddb-faults');
  env = sinkEnv(stack.vars, tables, bucket, pipelineJson);
});
afterAll(async () => {
  await tables?.drop();
  await emptyAndDeleteBucket(s3, bucket);
});

async function item(pk: string): Promise<Record<string, unknown> | undefined> {
  const res = await admin.send(
    new GetItemCommand({ TableName: tables.view, Key: { pk: { S: pk } }, ConsistentRead: true }),
  );
  return res.Item === undefined ? undefined : unmarshall(res.Item);
}

describeUnderFaults(
  'the DynamoDB sink handler under injected SDK faults',
  'ends with the view equal to the reference model and exact aggregates, whatever faults strike',
  {
    label: 'DynamoDB sink',
    runs: { env: 'FC_ADAPTER_RUNS', default: 1_000 },
    faults: { kinds: SDK_FAULTS, percent: [15, 30] },
    handler: (retry) => createDynamoSinkHandler(env, { retry }),
    inject: sdkFaultsIn(dynamoDbClient(stack.vars), s3Client(stack.vars)),
    check: async (log, run) => {
      const model = modelRun(
        log.records.map((r) => toMskRecord(r) as MskEventRecord),
        'source',
      );
      const view = new Map<string, ViewState>();
      for (const k of [0, 1, 2]) {
        const stored = await item(`customer#k${k}-${run}`);
        if (stored !== undefined) view.set(`customer#k${k}-${run}`, fromViewItem(stored));
      }
      const expectedView = new Map([...model.view].filter(([k]) => k.startsWith('customer#')));
      expect(view).toEqual(expectedView);
      for (const c of [0, 1]) {
        const orders = new Map(
          model.changes
            .filter((ch) => ch.entity === 'order' && ch.data?.customerId === `c${c}-${run}`)
            .map((ch) => [ch.eventId, Number(ch.data?.amount)]),
        );
        const agg = await item(`agg#orders-by-customer#c${c}-${run}`);
        if (orders.size === 0) expect(agg).toBeUndefined();
        else
          expect({ count: Number(agg?.orderCount), sum: Number(agg?.totalSpent) }).toEqual({
            count: orders.size,
            sum: [...orders.values()].reduce((a, b) => a + b, 0),
          });
      }
    },
  },
  900_000,
);
