import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  type GetItemCommandOutput,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { StaysyncError } from '../core/errors.js';
import { type CheckpointRef, checkpointKey, type Ledger } from '../core/ledger.js';
import { toStaysyncError } from './aws-errors.js';

/**
 * The ledger table of DESIGN §3.3 on DynamoDB: `ckpt#<sink>#<topic>#<partition>` items
 * holding `offset` (N). Reads are strongly consistent (a checkpoint written by the
 * previous invocation must be seen); advances are conditional, so a slower, older
 * invocation can never move a checkpoint backwards.
 */
export class DynamoLedger implements Ledger {
  readonly #client: DynamoDBClient;
  readonly #table: string;

  constructor(client: DynamoDBClient, table: string) {
    this.#client = client;
    this.#table = table;
  }

  async readCheckpoint(ref: CheckpointRef): Promise<number | null> {
    const pk = checkpointKey(ref);
    let item: GetItemCommandOutput;
    try {
      item = await this.#client.send(
        new GetItemCommand({
          TableName: this.#table,
          Key: { pk: { S: pk } },
          ConsistentRead: true,
          ProjectionExpression: '#o',
          ExpressionAttributeNames: { '#o': 'offset' },
        }),
      );
    } catch (err) {
      throw toStaysyncError(err, `ledger: reading ${pk} from ${this.#table} failed`, context(ref));
    }
    const stored = item.Item?.offset?.N;
    if (item.Item === undefined) return null;
    const offset = stored === undefined ? Number.NaN : Number(stored);
    if (!Number.isSafeInteger(offset) || offset < -1) {
      throw new StaysyncError(
        `ledger: ${pk} in ${this.#table} holds no valid offset (${JSON.stringify(item.Item)})`,
        {
          retriable: false,
          context: context(ref),
        },
      );
    }
    return offset;
  }

  async advanceCheckpoint(ref: CheckpointRef, offset: number): Promise<boolean> {
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new StaysyncError(
        `ledger: checkpoint offset must be a non-negative safe integer, got ${offset}`,
        {
          retriable: false,
          context: context(ref),
        },
      );
    }
    const pk = checkpointKey(ref);
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: { pk: { S: pk } },
          UpdateExpression: 'SET #o = :new, #u = :now',
          ConditionExpression: 'attribute_not_exists(pk) OR #o < :new',
          ExpressionAttributeNames: { '#o': 'offset', '#u': 'updatedAt' },
          ExpressionAttributeValues: {
            ':new': { N: String(offset) },
            ':now': { S: new Date().toISOString() },
          },
        }),
      );
      return true;
    } catch (err) {
      // Already at or past `offset`: another attempt got there first. Not an error.
      if (err instanceof ConditionalCheckFailedException) return false;
      throw toStaysyncError(
        err,
        `ledger: advancing ${pk} in ${this.#table} to ${offset} failed`,
        context(ref),
      );
    }
  }
}

const context = (ref: CheckpointRef) => ({
  sink: ref.sink,
  topic: ref.topic,
  partition: ref.partition,
});
