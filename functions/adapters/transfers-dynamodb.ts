import {
  type AttributeValue,
  type CancellationReason,
  type DynamoDBClient,
  GetItemCommand,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { PoisonError, RetriableError } from '../core/errors.js';
import { eventKey } from '../core/ledger.js';
import type { TransferStore } from '../core/transfers/ports.js';
import {
  type StepDecision,
  type StepOutcome,
  stepId,
  subjectOf,
  type TransferStep,
} from '../core/transfers/step.js';
import { errorName } from './aws-errors.js';
import { classifyDynamoError } from './dynamodb-errors.js';

export const balanceKey = (account: string): string => `bal#${account}`;

export interface DynamoTransferStoreOptions {
  readonly client: DynamoDBClient;
  /** `bal#<account>` → `{ balance }` */
  readonly balancesTable: string;
  /** the ledger: `evt#<sink>#<type>:<requestId>` markers, holding the step's outcome */
  readonly ledgerTable: string;
  readonly sink: string;
  readonly markerTtlSeconds: number;
  readonly now?: () => number;
}

/**
 * Balances as exact aggregates, the DynamoDB sink's rule (DESIGN §4, "DynamoDB
 * aggregates"): one `TransactWriteItems` holds the `ADD` on the balance and the step's
 * `evt#` marker (`attribute_not_exists`), so the effect and the proof it was applied move
 * together. The checkpoint is not in it: the credit must be published before the
 * checkpoint passes the debit. A debit's `ADD` carries `balance >= :amount`, a refusal's
 * marker `balance < :amount`: what was decided from the read still holds at the commit.
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html
 */
export class DynamoTransferStore implements TransferStore {
  readonly #o: Required<DynamoTransferStoreOptions>;

  constructor(opts: DynamoTransferStoreOptions) {
    this.#o = { now: Date.now, ...opts };
  }

  async readOutcome(step: TransferStep): Promise<StepOutcome | null> {
    const item = await this.#get(this.#o.ledgerTable, this.#marker(step));
    const outcome = item?.outcome?.S;
    return outcome === 'applied' || outcome === 'refused' ? outcome : null;
  }

  async readBalance(account: string): Promise<number> {
    const item = await this.#get(this.#o.balancesTable, balanceKey(account));
    return Number(item?.balance?.N ?? '0');
  }

  async commit(step: TransferStep, decision: StepDecision) {
    const { guard } = decision;
    const values: Record<string, AttributeValue> = { ':d': { N: String(decision.delta) } };
    let condition: string | undefined;
    if (guard !== undefined && 'atLeast' in guard) {
      condition = 'balance >= :g';
      values[':g'] = { N: String(guard.atLeast) };
    } else if (guard !== undefined) {
      condition = 'attribute_not_exists(balance) OR balance < :g';
      values[':g'] = { N: String(guard.below) };
    }
    const expiresAt = Math.floor(this.#o.now() / 1000) + this.#o.markerTtlSeconds;
    try {
      await this.#o.client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.#o.ledgerTable,
                Item: {
                  pk: { S: this.#marker(step) },
                  outcome: { S: decision.outcome },
                  expiresAt: { N: String(expiresAt) },
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Update: {
                TableName: this.#o.balancesTable,
                Key: { pk: { S: balanceKey(subjectOf(step)) } },
                UpdateExpression: 'ADD balance :d',
                ExpressionAttributeValues: values,
                ...(condition === undefined ? {} : { ConditionExpression: condition }),
              },
            },
          ],
        }),
      );
      return 'committed' as const;
    } catch (err) {
      if (errorName(err) !== 'TransactionCanceledException') {
        throw classifyDynamoError(err, 'transfer step', {});
      }
      const reasons = (err as { CancellationReasons?: CancellationReason[] }).CancellationReasons;
      const [marker, balance] = (reasons ?? []).map((r) => r.Code ?? 'None');
      if (marker === 'ConditionalCheckFailed') return 'duplicate' as const;
      if (balance === 'ConditionalCheckFailed') return 'conflict' as const;
      if (marker === 'ValidationError' || balance === 'ValidationError') {
        throw new PoisonError('dynamodb-validation', 'DynamoDB rejected the transfer step', {
          cause: err,
        });
      }
      throw new RetriableError(`transfers: step transaction cancelled (${marker}, ${balance})`, {
        cause: err,
      });
    }
  }

  #marker(step: TransferStep): string {
    return eventKey(this.#o.sink, stepId(step));
  }

  async #get(table: string, pk: string): Promise<Record<string, AttributeValue> | undefined> {
    try {
      const out = await this.#o.client.send(
        new GetItemCommand({ TableName: table, Key: { pk: { S: pk } }, ConsistentRead: true }),
      );
      return out.Item;
    } catch (err) {
      throw classifyDynamoError(err, `read of ${pk}`, {});
    }
  }
}
