import { randomUUID } from 'node:crypto';
import { DeleteTableCommand, type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { Change } from '../../../functions/core/change.js';
import { fromViewItem } from '../../../functions/core/dynamodb/view-item.js';
import type { KafkaRecord } from '../../../functions/core/record.js';
import type { SinkBatch } from '../../../functions/core/sink.js';
import type { ViewState } from '../../../functions/core/view-state.js';
import { scanItems } from '../../../local/aws/resources.js';
import { createPkTable } from '../../support/aws.js';
import { modelFold } from '../../support/reference-model.js';

/** The aggregate the handler tests declare: orders counted and summed per customer. */
export const ordersByCustomer = {
  name: 'orders-by-customer',
  entity: 'order',
  groupBy: 'customerId',
  measures: { orderCount: { count: true }, totalSpent: { sum: 'amount' } },
} as const;

/** The sink-dynamodb handler's environment over `tables`, quarantining to `bucket`. */
export const sinkEnv = (
  vars: Readonly<Record<string, string>>,
  tables: { readonly view: string; readonly ledger: string },
  bucket: string,
  pipelineJson: string,
): Record<string, string> => ({
  ...vars,
  SINK_NAME: 'ddb',
  VIEW_TABLE: tables.view,
  LEDGER_TABLE: tables.ledger,
  QUARANTINE_BUCKET: bucket,
  STAYSYNC_PIPELINE: pipelineJson,
});

/** A VIEW and a LEDGER table with names unique to one test file; `drop()` deletes both. */
export async function createTables(client: DynamoDBClient, prefix: string) {
  const suffix = randomUUID().slice(0, 8);
  const view = `${prefix}-view-${suffix}`;
  const ledger = `${prefix}-ledger-${suffix}`;
  for (const table of [view, ledger]) await createPkTable(client, table);
  return {
    view,
    ledger,
    drop: async () => {
      for (const TableName of [view, ledger])
        await client.send(new DeleteTableCommand({ TableName }));
    },
  };
}

/** Every item of a table, unmarshalled (strongly consistent). */
export const scanAll = scanItems;

/** Stored view states by `<entity>#<key>` (aggregate items left out). */
export async function viewStates(
  client: DynamoDBClient,
  table: string,
): Promise<Map<string, ViewState>> {
  const items = await scanAll(client, table);
  return new Map(
    items
      .filter((i) => !String(i.pk).startsWith('agg#'))
      .map((i) => [String(i.pk), fromViewItem(i)]),
  );
}

/** Aggregate items by pk, measures only (as numbers). */
export async function aggregateItems(
  client: DynamoDBClient,
  table: string,
): Promise<Record<string, Record<string, number>>> {
  const out: Record<string, Record<string, number>> = {};
  for (const item of await scanAll(client, table)) {
    if (!String(item.pk).startsWith('agg#')) continue;
    const { pk, _aggregate, _group, ...measures } = item;
    out[String(pk)] = Object.fromEntries(Object.entries(measures).map(([k, v]) => [k, Number(v)]));
  }
  return out;
}

/** The oracle: the reference model (test/support/reference-model.ts) over the log. */
export const oracle = (log: readonly Change[]): Map<string, ViewState> => modelFold(log);

export async function checkpointOf(
  client: DynamoDBClient,
  ledger: string,
  pk: string,
): Promise<number | null> {
  const res = await client.send(
    new GetItemCommand({ TableName: ledger, Key: { pk: { S: pk } }, ConsistentRead: true }),
  );
  return res.Item?.offset?.N === undefined ? null : Number(res.Item.offset.N);
}

/** A sink batch of decoded changes (one topic-partition, ascending offsets). */
export function batchOf(
  sink: string,
  changes: readonly Change[],
  checkpoint: number | null = null,
): SinkBatch {
  const first = changes[0];
  return {
    sink,
    topic: first?.coords.topic ?? 'changes',
    partition: first?.coords.partition ?? 0,
    checkpoint,
    entries: changes.map((change) => ({ record: recordOf(change), change })),
  };
}

function recordOf(change: Change): KafkaRecord {
  const { topic, partition, offset } = change.coords;
  const key = Buffer.from(`${change.entity}:${change.key}`);
  const value = change.tombstone ? null : Buffer.from(JSON.stringify({ id: change.eventId }));
  return {
    topic,
    partition,
    offset,
    timestamp: 0,
    timestampType: 'CREATE_TIME',
    key,
    value,
    headers: [],
    raw: {
      topic,
      partition,
      offset,
      timestamp: 0,
      timestampType: 'CREATE_TIME',
      key: key.toString('base64'),
      value: value?.toString('base64') ?? null,
    },
  };
}

export const ctx = { remainingTimeMs: () => 60_000 };
