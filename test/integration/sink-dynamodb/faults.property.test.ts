import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromViewItem } from '../../../functions/core/dynamodb/view-item.js';
import type { MskEventRecord } from '../../../functions/core/msk-event.js';
import type { ViewState } from '../../../functions/core/view-state.js';
import { dynamoDbClient, s3Client } from '../../../functions/runtime/aws-clients.js';
import { createDynamoSinkHandler } from '../../../functions/sink-dynamodb/create-handler.js';
import { toMskRecord } from '../../../local/esm/event-builder.js';
import { emptyAndDeleteBucket, localDynamoDb, localS3, uniqueName } from '../../support/aws.js';
import { modelRun } from '../../support/reference-model.js';
import { loadStackEnv } from '../../support/stack-env.js';
import { deliver, KafkaLog, prng, SimulatedCrash } from './msk-log.js';
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

const SEED = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31));
const RUNS = Number(process.env.FC_ADAPTER_RUNS ?? 1_000);
console.info(`DynamoDB adapters under faults: FC_SEED=${SEED} FC_ADAPTER_RUNS=${RUNS}`);

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

const FAULTS = ['throttled', '5xx', 'timeout-after-commit', 'crash-before', 'crash-after'] as const;
type Fault = (typeof FAULTS)[number];

const awsError = (name: string, status: number) =>
  Object.assign(new Error(`${name} (injected)`), { name, $metadata: { httpStatusCode: status } });

interface Client {
  middlewareStack: {
    add(mw: unknown, opts: { step: 'initialize'; name: string }): void;
    remove(name: string): boolean;
  };
}

/** Injects faults into every request of `client` until the returned function is called. */
function injectFaults(client: Client, pick: () => Fault | undefined, fired: string[]) {
  const name = uniqueName('faults');
  client.middlewareStack.add(
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) =>
      async (args: unknown) => {
        const fault = pick();
        if (fault === undefined) return next(args);
        fired.push(`${context.commandName ?? '?'}:${fault}`);
        if (fault === 'throttled') throw awsError('ThrottlingException', 400);
        if (fault === '5xx') throw awsError('InternalServerError', 500);
        if (fault === 'crash-before') throw new SimulatedCrash('crash before the request');
        await next(args);
        if (fault === 'crash-after') throw new SimulatedCrash('crash after the request');
        throw awsError('TimeoutError', 0); // the write committed, the answer was lost
      },
    { step: 'initialize', name },
  );
  return () => client.middlewareStack.remove(name);
}

/** A short history: customers (upsert, patch, delete, tombstone), orders, duplicates, poison. */
const stepArb = fc.oneof(
  fc.record({
    kind: fc.constantFrom('upsert', 'patch', 'delete', 'tombstone'),
    key: fc.nat({ max: 2 }),
    bump: fc.nat({ max: 2 }),
    n: fc.nat({ max: 99 }),
  }),
  fc.record({
    kind: fc.constant('order'),
    customer: fc.nat({ max: 1 }),
    amount: fc.nat({ max: 500 }),
  }),
  fc.record({ kind: fc.constant('dup'), of: fc.nat({ max: 20 }) }),
  fc.record({ kind: fc.constant('poison') }),
);
type Step = typeof stepArb extends fc.Arbitrary<infer T> ? T : never;

function buildLog(steps: readonly Step[], run: string): KafkaLog {
  const log = new KafkaLog(uniqueName('faults'));
  const versions = new Map<number, number>();
  const sent: { partition: number; spec: Parameters<KafkaLog['append']>[1] }[] = [];
  for (const step of steps) {
    if (step.kind === 'dup') {
      const original = sent[step.of % Math.max(1, sent.length)];
      if (original !== undefined) log.append(original.partition, original.spec);
    } else if (step.kind === 'poison') {
      log.appendRaw(1, 'order:x', Buffer.from('{"id":'));
    } else if (step.kind === 'order') {
      const spec = {
        entity: 'order',
        key: `o${sent.length}-${run}`,
        version: 1,
        id: uniqueName('o'),
        data: { customerId: `c${step.customer}-${run}`, amount: step.amount },
      };
      log.append(1, spec);
      sent.push({ partition: 1, spec });
    } else if (step.kind === 'tombstone') {
      log.tombstone(0, 'customer', `k${step.key}-${run}`);
    } else {
      const version = (versions.get(step.key) ?? 0) + step.bump;
      versions.set(step.key, version);
      const spec = {
        entity: 'customer',
        key: `k${step.key}-${run}`,
        version,
        op: step.kind,
        id: uniqueName('c'),
        ...(step.kind === 'delete' ? {} : { data: { n: step.n, [`f${step.n % 3}`]: true } }),
      };
      log.append(0, spec);
      sent.push({ partition: 0, spec });
    }
  }
  return log;
}

async function item(pk: string): Promise<Record<string, unknown> | undefined> {
  const res = await admin.send(
    new GetItemCommand({ TableName: tables.view, Key: { pk: { S: pk } }, ConsistentRead: true }),
  );
  return res.Item === undefined ? undefined : unmarshall(res.Item);
}

describe('the DynamoDB sink handler under injected SDK faults', () => {
  it('ends with the view equal to the reference model and exact aggregates, whatever faults strike', async () => {
    const byPoint = new Map<string, number>();
    let fired = 0;
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(stepArb, { minLength: 5, maxLength: 14 }),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.integer({ min: 15, max: 30 }),
        async (steps, faultSeed, ratePercent) => {
          const run = uniqueName('r').slice(2);
          const log = buildLog(steps, run);
          const random = prng(faultSeed);
          const pick = (): Fault | undefined =>
            random() * 100 < ratePercent ? FAULTS[Math.floor(random() * FAULTS.length)] : undefined;
          const handler = createDynamoSinkHandler(env, {
            retry: { baseDelayMs: 1, maxDelayMs: 4, maxAttempts: 3 },
          });
          const points: string[] = [];
          const stops = [
            injectFaults(dynamoDbClient(env) as unknown as Client, pick, points),
            injectFaults(s3Client(env) as unknown as Client, pick, points),
          ];
          try {
            await deliver(handler, log.records, () => 1 + Math.floor(random() * 6), {
              maxInvocations: 2_000,
            });
          } finally {
            for (const stop of stops) stop();
          }
          runs++;
          if (points.length > 0) fired++;
          for (const p of points)
            byPoint.set(
              p.split(':')[0] as string,
              (byPoint.get(p.split(':')[0] as string) ?? 0) + 1,
            );

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
      ),
      { seed: SEED, numRuns: RUNS },
    );
    const points = [...byPoint].sort((a, b) => b[1] - a[1]).map(([p, n]) => `${p} ${n}`);
    console.info(
      `adapter fault schedules: ${runs} run, ${fired} fired, by request: ${points.join(', ')}`,
    );
    expect(fired / runs).toBeGreaterThanOrEqual(0.9);
  }, 900_000);
});
