/**
 * The state of a DynamoDB or S3 archive rebuild, one item per rebuild in the ledger table
 * beside the checkpoints (DESIGN §3.3 gains a third kind of key):
 * `rebuild#<namespace>` → `{ target, status, run? }`, written with plain puts (one
 * operator runs one rebuild of a store at a time).
 */
import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { MarkerStatuses, type RebuildMarker } from './versioned-plan.js';

export interface StoredMarker extends RebuildMarker {
  /** in-place rebuilds: which run (its namespace) */
  readonly run?: number;
}

export const markerKey = (namespace: string): string => `rebuild#${namespace}`;

export async function readMarker(
  client: DynamoDBClient,
  ledgerTable: string,
  namespace: string,
): Promise<StoredMarker | undefined> {
  const got = await client.send(
    new GetItemCommand({
      TableName: ledgerTable,
      Key: { pk: { S: markerKey(namespace) } },
      ConsistentRead: true,
    }),
  );
  const item = got.Item;
  if (item === undefined) return undefined;
  const status = item.status?.S;
  const target = item.target?.S;
  if (target === undefined || !(MarkerStatuses as readonly string[]).includes(status ?? '')) {
    throw new Error(`ledger item ${markerKey(namespace)} is not a rebuild marker`);
  }
  const run = item.run?.N;
  return {
    target,
    status: status as StoredMarker['status'],
    ...(run === undefined ? {} : { run: Number(run) }),
  };
}

export async function writeMarker(
  client: DynamoDBClient,
  ledgerTable: string,
  namespace: string,
  marker: StoredMarker,
): Promise<void> {
  await client.send(
    new PutItemCommand({
      TableName: ledgerTable,
      Item: {
        pk: { S: markerKey(namespace) },
        target: { S: marker.target },
        status: { S: marker.status },
        ...(marker.run === undefined ? {} : { run: { N: String(marker.run) } }),
        updatedAt: { S: new Date().toISOString() },
      },
    }),
  );
}
