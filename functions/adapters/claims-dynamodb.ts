import {
  type AttributeValue,
  type CancellationReason,
  type DynamoDBClient,
  GetItemCommand,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import type { Decision, Holder } from '../core/claims/decide.js';
import type { ClaimStore, StoredHolder } from '../core/claims/ports.js';
import { PoisonError, RetriableError, StaysyncError } from '../core/errors.js';
import { errorName } from './aws-errors.js';
import { classifyDynamoError } from './dynamodb-errors.js';

/** Item keys of the claims table (partition key `pk`). */
export const holderKey = (claimKey: string): string => `value#${claimKey}`;
export const decisionKey = (requestId: string): string => `req#${requestId}`;

/**
 * The claims table on DynamoDB:
 * - `value#<namespace>:<value>` → `{ _v, owner?, ownerRequestId? }`: the holder (no `owner`:
 *   free) as of the request at offset `_v`;
 * - `req#<requestId>` → `{ _v, decision }`: the decision (JSON, published as is).
 * Both are written in one `TransactWriteItems`, so a decision is never stored without the
 * holder it produced, nor the reverse.
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html
 */
export class DynamoClaimStore implements ClaimStore {
  readonly #client: DynamoDBClient;
  readonly #table: string;

  constructor(client: DynamoDBClient, table: string) {
    this.#client = client;
    this.#table = table;
  }

  async readDecision(requestId: string): Promise<Decision | null> {
    const item = await this.#get(decisionKey(requestId));
    const json = item?.decision?.S;
    if (item === undefined) return null;
    if (json === undefined) throw this.#corrupt(decisionKey(requestId), item);
    return JSON.parse(json) as Decision;
  }

  async readHolder(key: string): Promise<StoredHolder> {
    const item = await this.#get(holderKey(key));
    if (item === undefined) return { holder: null, version: null };
    const version = Number(item._v?.N);
    if (!Number.isSafeInteger(version)) throw this.#corrupt(holderKey(key), item);
    const owner = item.owner?.S;
    const requestId = item.ownerRequestId?.S;
    const holder: Holder | null =
      owner === undefined || requestId === undefined ? null : { owner, requestId };
    return { holder, version };
  }

  async commit(
    key: string,
    expected: number | null,
    holder: Holder | null,
    decision: Decision,
  ): Promise<'committed' | 'conflict'> {
    const version = { N: String(decision.decidedAt.offset) };
    const holderItem: Record<string, AttributeValue> = { pk: { S: holderKey(key) }, _v: version };
    if (holder !== null) {
      holderItem.owner = { S: holder.owner };
      holderItem.ownerRequestId = { S: holder.requestId };
    }
    try {
      await this.#client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.#table,
                Item: {
                  pk: { S: decisionKey(decision.requestId) },
                  _v: version,
                  decision: { S: JSON.stringify(decision) },
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Put: {
                TableName: this.#table,
                Item: holderItem,
                // compare-and-set on the version read: a zombie consumer of the same
                // partition (a rebalance) cannot overwrite a newer decision
                ...(expected === null
                  ? { ConditionExpression: 'attribute_not_exists(pk)' }
                  : {
                      ConditionExpression: '#v = :expected',
                      ExpressionAttributeNames: { '#v': '_v' },
                      ExpressionAttributeValues: { ':expected': { N: String(expected) } },
                    }),
              },
            },
          ],
        }),
      );
      return 'committed';
    } catch (err) {
      const reasons = (err as { CancellationReasons?: CancellationReason[] }).CancellationReasons;
      if (errorName(err) === 'TransactionCanceledException') {
        const codes = (reasons ?? []).map((r) => r.Code ?? 'None');
        if (codes.includes('ConditionalCheckFailed')) return 'conflict';
        if (codes.includes('ValidationError')) {
          throw new PoisonError('dynamodb-validation', `DynamoDB rejected the claim decision`, {
            context: decision.decidedAt,
            cause: err,
          });
        }
        // TransactionConflict (another transaction on the same items), throttling: retry
        throw new RetriableError(`claims: decision transaction cancelled (${codes.join(', ')})`, {
          context: decision.decidedAt,
          cause: err,
        });
      }
      throw classifyDynamoError(err, 'claim decision', decision.decidedAt);
    }
  }

  async #get(pk: string): Promise<Record<string, AttributeValue> | undefined> {
    try {
      const out = await this.#client.send(
        new GetItemCommand({
          TableName: this.#table,
          Key: { pk: { S: pk } },
          ConsistentRead: true,
        }),
      );
      return out.Item;
    } catch (err) {
      throw classifyDynamoError(err, `read of ${pk}`, {});
    }
  }

  #corrupt(pk: string, item: Record<string, AttributeValue>): StaysyncError {
    return new StaysyncError(
      `claims: ${pk} in ${this.#table} is malformed (${JSON.stringify(item)})`,
      {
        retriable: false,
      },
    );
  }
}
