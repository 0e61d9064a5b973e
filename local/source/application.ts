/**
 * An application whose system of record is DynamoDB, written the way staysync asks a team
 * to write one (docs/relay-dynamodb-streams.md):
 * - customers in a table relayed by **table CDC**: every write raises the item's version
 *   attribute `v` under optimistic locking (a conditional put on the version read), so
 *   concurrent writers serialise on the item and the relay can order its changes;
 * - orders in a table relayed through an **outbox**: each order change is written in one
 *   `TransactWriteItems` with an outbox item holding its native envelope (which expires by
 *   TTL; the relay ignores those removals).
 * Used by `npm start -- --source`, the dual-write demo and the relay's integration tests.
 */
import { randomUUID } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { createPkTable } from '../aws/resources.js';

/** The attribute every source item keeps its version in (the relay's `versionAttribute`). */
export const VERSION_ATTRIBUTE = 'v';
/** The outbox items' envelope attribute (the relay's `envelopeAttribute`). */
export const ENVELOPE_ATTRIBUTE = 'envelope';
/** Outbox items expire a day after they were written (TTL attribute `expiresAt`). */
const OUTBOX_TTL_SECONDS = 86_400;

/** Creates a source table keyed by `pk` with a `NEW_AND_OLD_IMAGES` stream and TTL. */
export async function createSourceTable(client: DynamoDBClient, table: string): Promise<void> {
  await createPkTable(client, table, 30, 'NEW_AND_OLD_IMAGES');
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: table,
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    }),
  );
}

export interface SourceWrite {
  /** the version the item holds after the write */
  readonly version: number;
  /** compare-and-set attempts the write took (1 when no other writer raced it) */
  readonly attempts: number;
}

/**
 * Writes `fields` as the item's new state under optimistic locking: reads the version,
 * writes version + 1 on condition that nobody wrote in between, and tries again if someone
 * did. A re-created item continues above the version it was deleted at (`floors`, kept by
 * `deleteVersioned`, as the relay requires), so its versions keep growing.
 */
export function putVersioned(
  client: DynamoDBClient,
  table: string,
  pk: string,
  fields: Readonly<Record<string, unknown>>,
  floors: Map<string, number> = new Map(),
): Promise<SourceWrite> {
  return compareAndSet(client, table, pk, (_current, stored) => ({
    next: (stored ?? floors.get(pk) ?? 0) + 1,
    state: fields,
  })) as Promise<SourceWrite>;
}

/**
 * Sets `fields` on the item under optimistic locking (read, merge, write version + 1 if
 * nobody wrote in between). Returns undefined when there is no item to patch.
 */
export function patchVersioned(
  client: DynamoDBClient,
  table: string,
  pk: string,
  fields: Readonly<Record<string, unknown>>,
): Promise<SourceWrite | undefined> {
  return compareAndSet(client, table, pk, (current, stored) =>
    current === undefined || stored === undefined
      ? undefined
      : { next: stored + 1, state: { ...current, ...fields } },
  );
}

/**
 * The optimistic-locking loop: read the item, let `plan` say what to write (or nothing),
 * write it on condition that the version read is still the stored one, retry on a lost race.
 */
async function compareAndSet(
  client: DynamoDBClient,
  table: string,
  pk: string,
  plan: (
    current: Record<string, unknown> | undefined,
    stored: number | undefined,
  ) => { readonly next: number; readonly state: Readonly<Record<string, unknown>> } | undefined,
): Promise<SourceWrite | undefined> {
  for (let attempts = 1; ; attempts++) {
    const current = await readItem(client, table, pk);
    const stored = current === undefined ? undefined : Number(current[VERSION_ATTRIBUTE]);
    const write = plan(current, stored);
    if (write === undefined) return undefined;
    try {
      await client.send(
        new PutItemCommand({
          TableName: table,
          Item: marshall(
            { ...write.state, pk, [VERSION_ATTRIBUTE]: write.next },
            { removeUndefinedValues: true },
          ),
          ConditionExpression: stored === undefined ? 'attribute_not_exists(pk)' : '#v = :expected',
          ...(stored === undefined
            ? {}
            : {
                ExpressionAttributeNames: { '#v': VERSION_ATTRIBUTE },
                ExpressionAttributeValues: { ':expected': { N: String(stored) } },
              }),
        }),
      );
      return { version: write.next, attempts };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}

/** Deletes the item if it still holds `version`; remembers the version in `floors`. */
export async function deleteVersioned(
  client: DynamoDBClient,
  table: string,
  pk: string,
  floors: Map<string, number> = new Map(),
): Promise<boolean> {
  const current = await readItem(client, table, pk);
  if (current === undefined) return false;
  const version = Number(current[VERSION_ATTRIBUTE]);
  try {
    await client.send(
      new DeleteItemCommand({
        TableName: table,
        Key: { pk: { S: pk } },
        ConditionExpression: '#v = :expected',
        ExpressionAttributeNames: { '#v': VERSION_ATTRIBUTE },
        ExpressionAttributeValues: { ':expected': { N: String(version) } },
      }),
    );
    floors.set(pk, version + 1);
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

export interface OutboxChange {
  readonly entity: string;
  readonly key: string;
  /** `patch`: `data` holds the fields set */
  readonly op: 'upsert' | 'patch' | 'delete';
  readonly version: number;
  readonly data?: Readonly<Record<string, unknown>>;
}

/**
 * Writes an entity's item and an outbox item holding its envelope in one transaction:
 * either both are committed or neither, so the log gets exactly the changes that happened.
 * The item write is guarded by the version (`v` below the change's), so an older change
 * that arrives late commits nothing at all: returns false then.
 */
export async function writeWithOutbox(
  client: DynamoDBClient,
  table: string,
  change: OutboxChange,
  now: Date = new Date(),
): Promise<boolean> {
  const id = `${change.entity}-${change.key}-v${change.version}`;
  const envelope = {
    id,
    entity: change.entity,
    key: change.key,
    op: change.op,
    version: change.version,
    ts: now.toISOString(),
    ...(change.op === 'delete' ? {} : { data: change.data ?? {} }),
  };
  const Key = { pk: { S: `${change.entity}#${change.key}` } };
  const guard = {
    ConditionExpression: 'attribute_not_exists(pk) OR #v < :v',
    ExpressionAttributeNames: { '#v': VERSION_ATTRIBUTE },
    ExpressionAttributeValues: { ':v': { N: String(change.version) } },
  };
  const fields = Object.entries(change.data ?? {});
  const itemWrite =
    change.op === 'delete'
      ? { Delete: { TableName: table, Key, ...guard } }
      : change.op === 'upsert'
        ? {
            Put: {
              TableName: table,
              Item: {
                ...marshall({ ...change.data, [VERSION_ATTRIBUTE]: change.version }),
                ...Key,
              },
              ...guard,
            },
          }
        : {
            Update: {
              TableName: table,
              Key,
              UpdateExpression: `SET ${[...fields.map((_, i) => `#f${i} = :f${i}`), '#v = :v'].join(', ')}`,
              ...guard,
              ExpressionAttributeNames: {
                ...guard.ExpressionAttributeNames,
                ...Object.fromEntries(fields.map(([name], i) => [`#f${i}`, name])),
              },
              ExpressionAttributeValues: {
                ...guard.ExpressionAttributeValues,
                ...Object.fromEntries(
                  fields.map(([, value], i) => [`:f${i}`, marshall({ value }).value as never]),
                ),
              },
            },
          };
  try {
    await client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          itemWrite,
          {
            Put: {
              TableName: table,
              Item: {
                pk: { S: `outbox#${randomUUID()}` },
                [ENVELOPE_ATTRIBUTE]: { S: JSON.stringify(envelope) },
                expiresAt: { N: String(Math.floor(now.getTime() / 1000) + OUTBOX_TTL_SECONDS) },
              },
            },
          },
        ],
      }),
    );
    return true;
  } catch (error) {
    if ((error as Error).name === 'TransactionCanceledException') return false;
    throw error;
  }
}

async function readItem(
  client: DynamoDBClient,
  table: string,
  pk: string,
): Promise<Record<string, unknown> | undefined> {
  const { Item } = await client.send(
    new GetItemCommand({ TableName: table, Key: { pk: { S: pk } }, ConsistentRead: true }),
  );
  return Item === undefined ? undefined : unmarshall(Item);
}
