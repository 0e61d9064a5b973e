/**
 * Can the view batch its guarded writes? PartiQL `BatchExecuteStatement` (25 statements a
 * request, each with its own condition) against the view's conditional PutItem, on the
 * stack's Dynoxide, with the client's CPU per item (the pipeline is bound by the client's
 * per-request SDK cost, not by Dynoxide).
 *
 *   npx tsx bench/e2e/partiql-probe.ts [rounds]
 *
 * Statements tried, on ~1 KB items laid out as the view lays them out (data attributes at
 * the top level):
 * - `INSERT INTO t VALUE {...}` on new keys (its guard: the key must not exist, stronger than
 *   the view's `attribute_not_exists(pk) OR _v < :v`); on an existing key it answers
 *   `DuplicateItem`, so an existing key needs a second request;
 * - `UPDATE t SET … WHERE pk=? AND (_v IS MISSING OR _v < ?)`: on a missing key it answers
 *   `ConditionalCheckFailed` (PartiQL UPDATE never creates an item), and it cannot replace a
 *   flattened item whole (attributes the new state lacks would stay): it is timed on missing
 *   keys, where every statement is refused, to show the answer and what it costs.
 * Prints items/s and client CPU ms per item (median of `rounds`), and each error code seen.
 */
import { randomUUID } from 'node:crypto';
import {
  type AttributeValue,
  BatchExecuteStatementCommand,
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  PutItemCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mapBounded } from '../../functions/core/index.js';
import { loadStackEnv } from '../../test/support/stack-env.js';
import { median, round } from '../lib/stats.js';
import { batches, type Envelope, envelope, prng } from '../lib/workload.js';

const rounds = Number(process.argv[2] ?? 3);
const stack = loadStackEnv();
const ddb = new DynamoDBClient({
  endpoint: stack.dynamodbEndpoint,
  region: stack.awsRegion,
  credentials: stack.credentials,
});
const ITEMS = 1000;

const viewItem = (d: Envelope) =>
  marshall({ ...d.data, pk: `${d.entity}#${d.key}`, _v: 2 * d.version, _eventId: d.id });

/** `{'a': ?, 'b': ?}` with its parameters; single quotes in names doubled (PartiQL strings). */
function tuple(item: Record<string, AttributeValue>) {
  const names = Object.keys(item);
  return {
    text: `{${names.map((n) => `'${n.replaceAll("'", "''")}': ?`).join(', ')}}`,
    params: names.map((n) => item[n] as AttributeValue),
  };
}

async function timed(items: number, f: () => Promise<Map<string, number>>) {
  const cpu = process.cpuUsage();
  const began = performance.now();
  const errors = await f();
  const wall = (performance.now() - began) / 1000;
  const used = process.cpuUsage(cpu);
  return {
    perSecond: items / wall,
    cpuMsPerItem: (used.user + used.system) / 1000 / items,
    errors,
  };
}

async function main() {
  const table = `partiql-${randomUUID().slice(0, 8)}`;
  await ddb.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );
  await waitUntilTableExists({ client: ddb, maxWaitTime: 60 }, { TableName: table });
  const random = prng(11);
  let run = 0;
  const fresh = (version = 1) => {
    run++;
    return Array.from({ length: ITEMS }, (_, i) => envelope(`p${run}k${i}`, version, random, 1000));
  };
  const count = (errors: Map<string, number>, code: string) =>
    errors.set(code, (errors.get(code) ?? 0) + 1);

  const putItems = (docs: readonly Envelope[], concurrency: number) => async () => {
    const errors = new Map<string, number>();
    await mapBounded(docs, concurrency, async (d) => {
      try {
        await ddb.send(
          new PutItemCommand({
            TableName: table,
            Item: viewItem(d),
            ConditionExpression: 'attribute_not_exists(#pk) OR #v < :v',
            ExpressionAttributeNames: { '#pk': 'pk', '#v': '_v' },
            ExpressionAttributeValues: { ':v': { N: String(2 * d.version) } },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
      } catch (err) {
        count(errors, (err as Error).name);
      }
    });
    return errors;
  };
  const batchStatements =
    (
      docs: readonly Envelope[],
      concurrency: number,
      statement: (d: Envelope) => { Statement: string; Parameters: AttributeValue[] },
    ) =>
    async () => {
      const errors = new Map<string, number>();
      await mapBounded(batches(docs, 25), concurrency, async (chunk) => {
        const out = await ddb.send(
          new BatchExecuteStatementCommand({
            Statements: chunk.map((d) => ({
              ...statement(d),
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            })),
          }),
        );
        for (const r of out.Responses ?? []) if (r.Error) count(errors, String(r.Error.Code));
      });
      return errors;
    };
  const insert = (d: Envelope) => {
    const t = tuple(viewItem(d));
    return { Statement: `INSERT INTO "${table}" VALUE ${t.text}`, Parameters: t.params };
  };
  const update = (d: Envelope) => ({
    Statement: `UPDATE "${table}" SET "_v" = ?, "_eventId" = ? WHERE "pk" = ? AND ("_v" IS MISSING OR "_v" < ?)`,
    Parameters: [
      { N: String(2 * d.version) },
      { S: d.id },
      { S: `${d.entity}#${d.key}` },
      { N: String(2 * d.version) },
    ],
  });

  const scenarios: Array<[string, () => () => Promise<Map<string, number>>]> = [
    ['conditional PutItem, new keys, 64 in flight', () => putItems(fresh(), 64)],
    ['PartiQL INSERT ×25, new keys, 4 in flight', () => batchStatements(fresh(), 4, insert)],
    ['PartiQL INSERT ×25, new keys, 8 in flight', () => batchStatements(fresh(), 8, insert)],
    [
      'PartiQL UPDATE ×25 guarded, missing keys (ConditionalCheckFailed), 4 in flight',
      () => batchStatements(fresh(), 4, update),
    ],
  ];
  try {
    await putItems(fresh(), 16)(); // warm the pool and the server
    console.log(
      `PartiQL probe on ${stack.dynamodbEndpoint}: ${ITEMS} ~1 KB items a round, median of ${rounds}`,
    );
    for (const [label, make] of scenarios) {
      const samples = [];
      for (let i = 0; i < rounds; i++) samples.push(await timed(ITEMS, make()));
      report(label, samples);
    }
    // INSERT over keys a conditional PutItem wrote first: every statement is refused
    const refused = [];
    for (let i = 0; i < rounds; i++) {
      const docs = fresh();
      await putItems(docs, 64)();
      refused.push(await timed(ITEMS, batchStatements(docs, 4, insert)));
    }
    report('PartiQL INSERT ×25, existing keys (DuplicateItem), 4 in flight', refused);
  } finally {
    await ddb.send(new DeleteTableCommand({ TableName: table }));
  }
}

function report(
  label: string,
  samples: { perSecond: number; cpuMsPerItem: number; errors: Map<string, number> }[],
) {
  const errors = new Map<string, number>();
  for (const s of samples) for (const [k, v] of s.errors) errors.set(k, (errors.get(k) ?? 0) + v);
  console.log(
    `  ${label}: ${round(median(samples.map((s) => s.perSecond)), 0)} items/s (${samples.map((s) => round(s.perSecond, 0)).join(' / ')}), client CPU ${round(median(samples.map((s) => s.cpuMsPerItem)), 3)} ms/item${errors.size > 0 ? `; errors: ${[...errors].map(([k, v]) => `${k} ×${v}`).join(', ')}` : ''}`,
  );
}

await main();
