import {
  type AttributeValue,
  BatchExecuteStatementCommand,
  type BatchStatementResponse,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { Change } from '../core/change.js';
import { toViewItem } from '../core/dynamodb/view-item.js';
import { mapBounded } from '../core/engine/pool.js';
import { PoisonError } from '../core/errors.js';
import type { ViewState } from '../core/view-state.js';
import { classifyDynamoError, marshallPoison } from './dynamodb-errors.js';

/** DynamoDB's limit of statements per BatchExecuteStatement request. */
export const BATCH_STATEMENT_MAX = 25;

/** What one INSERT statement found: `inserted` (the key was absent: the item is written),
 *  `exists` (DuplicateItem: the key is there) or `other` (any other answer, or no answer). */
export type InsertAnswer = 'inserted' | 'exists' | 'other';

export interface ViewInsert {
  /** the item's `pk` */
  readonly pk: string;
  readonly item: Readonly<Record<string, AttributeValue>>;
}

/**
 * Writes new view items with PartiQL `INSERT` statements, 25 to a `BatchExecuteStatement`
 * request (`concurrency` requests at once), one answer per item.
 *
 * An `INSERT` writes only when no item has the key (AWS: "If the item already exists,
 * DynamoDB returns a DuplicateItem error"; https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ql-reference.insert.html).
 * That guard is stronger than the view's version guard `attribute_not_exists(pk) OR _v < :v`
 * (it passes only in the first case), so an item it writes is one the guarded put would
 * have written. Every other answer leaves the key untouched and is the caller's to send
 * through the guarded PutItem, which then decides stale, duplicate, poison or retry: a
 * statement refused for any reason other than DuplicateItem, and every statement of a
 * request that failed whole (throttling, a network failure, a request too large) answer
 * `other`; so does a key that appears twice in `inserts` (DynamoDB refuses a batch naming
 * an item twice), past its first occurrence.
 *
 * Billing: AWS prices writes per item (1 WRU per started KB) and documents that a
 * conditional write whose condition fails still consumes write capacity (1 WRU minimum;
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html).
 * It states no separate rule for BatchExecuteStatement, so the bench's meter counts each
 * INSERT like the PutItem of its item and a refused one like a failed conditional PutItem
 * (an assumption, the least favourable reading).
 * That is why the sink sends INSERTs only while almost every key it writes is new.
 */
export async function insertViewItems(
  client: DynamoDBClient,
  table: string,
  inserts: readonly ViewInsert[],
  concurrency: number,
): Promise<Map<string, InsertAnswer>> {
  const answers = new Map<string, InsertAnswer>();
  const unique: ViewInsert[] = [];
  for (const insert of inserts) {
    if (answers.has(insert.pk)) continue;
    answers.set(insert.pk, 'other');
    unique.push(insert);
  }
  const chunks: ViewInsert[][] = [];
  for (let i = 0; i < unique.length; i += BATCH_STATEMENT_MAX) {
    chunks.push(unique.slice(i, i + BATCH_STATEMENT_MAX));
  }
  const quoted = `"${table.replaceAll('"', '""')}"`;
  await mapBounded(chunks, concurrency, async (chunk) => {
    let responses: readonly BatchStatementResponse[];
    try {
      const out = await client.send(
        new BatchExecuteStatementCommand({
          Statements: chunk.map(({ item }) => {
            const names = Object.keys(item);
            return {
              Statement: `INSERT INTO ${quoted} VALUE {${names.map(literal).join(', ')}}`,
              Parameters: names.map((n) => item[n] as AttributeValue),
            };
          }),
        }),
      );
      responses = out.Responses ?? [];
    } catch (err) {
      const classified = classifyDynamoError(err, 'view insert batch', {});
      if (classified instanceof PoisonError || classified.retriable) return; // all 'other'
      throw classified;
    }
    // Responses come in the order of the statements
    // (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchExecuteStatement.html).
    chunk.forEach(({ pk }, i) => {
      const response = responses[i];
      if (response === undefined) return;
      const code = response.Error?.Code;
      answers.set(
        pk,
        code === undefined ? 'inserted' : code === 'DuplicateItem' ? 'exists' : 'other',
      );
    });
  });
  return answers;
}

/** `'name': ?` — a PartiQL string literal doubles its single quotes. */
const literal = (name: string) => `'${name.replaceAll("'", "''")}': ?`;

/** A blind plan's final change as the view item its guarded put would write; a value
 *  DynamoDB cannot hold is poison (the guarded put path reports it). */
export function marshallViewItem(
  change: Change,
  state: ViewState,
  opts: { readonly nowMs: number; readonly tombstoneTtlSeconds: number },
): { readonly item: Record<string, AttributeValue> } | { readonly error: PoisonError } {
  try {
    return {
      item: marshall(toViewItem(change.entity, change.key, state, opts), {
        removeUndefinedValues: true,
      }),
    };
  } catch (err) {
    return { error: marshallPoison(err, change.coords) };
  }
}
