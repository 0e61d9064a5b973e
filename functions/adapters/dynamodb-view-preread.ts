import {
  type AttributeValue,
  BatchGetItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { ViewAttr } from '../core/dynamodb/view-item.js';
import { mapBounded } from '../core/engine/pool.js';
import { PoisonError } from '../core/errors.js';
import { classifyDynamoError } from './dynamodb-errors.js';

/** What the pre-read learns of a stored view item: enough to decide "already there". */
export interface StoredVersion {
  /** the stored effective version `_v` */
  readonly ev: number;
  /** `_eventId`: tells a duplicate (same event) from a stale change (an older one) */
  readonly eventId: string;
}

/** DynamoDB's limit of keys per BatchGetItem request. */
export const BATCH_GET_MAX_KEYS = 100;

/**
 * Reads the stored `_v` and `_eventId` of view items with eventually consistent
 * BatchGetItem requests (chunks of {@link BATCH_GET_MAX_KEYS}, `concurrency` at once).
 *
 * The answer is advisory: the caller may skip writing a key whose stored version is at
 * least the one it would write, and must still guard every write it does send. That is
 * what makes an eventually consistent read safe: it can only return a state the item
 * held before (versions only grow), so "stored ≥ planned" read now was true of the item
 * then, and a conditional put sent then would have failed.
 *
 * Keys the read did not answer for are simply absent from the result, and the caller
 * writes them as if it had not read: `UnprocessedKeys` (the 16 MB response limit,
 * throttling) are not retried (the guarded write is as good and costs no extra round
 * trip), nor are requests that failed transiently or that DynamoDB refused as invalid
 * (a key over the size limit fails the whole request; the write then makes the right
 * record poison). Other failures (a missing table, no permission) are thrown, like the
 * writes' (see classifyDynamoError).
 *
 * Cost: the projection does not reduce it (reads are charged on the full item size):
 * 0.5 RRU per started 4 KB of each item, and 0.5 RRU per key found absent.
 */
export async function readStoredVersions(
  client: DynamoDBClient,
  table: string,
  pks: readonly string[],
  concurrency: number,
): Promise<Map<string, StoredVersion>> {
  const unique = [...new Set(pks)];
  const chunks: string[][] = [];
  for (let i = 0; i < unique.length; i += BATCH_GET_MAX_KEYS) {
    chunks.push(unique.slice(i, i + BATCH_GET_MAX_KEYS));
  }
  const found = new Map<string, StoredVersion>();
  await mapBounded(chunks, concurrency, async (chunk) => {
    for (const [pk, stored] of await readChunk(client, table, chunk)) found.set(pk, stored);
  });
  return found;
}

async function readChunk(
  client: DynamoDBClient,
  table: string,
  pks: readonly string[],
): Promise<Array<[string, StoredVersion]>> {
  let items: ReadonlyArray<Record<string, AttributeValue>>;
  try {
    const res = await client.send(
      new BatchGetItemCommand({
        RequestItems: {
          [table]: {
            Keys: pks.map((pk) => ({ [ViewAttr.pk]: { S: pk } })),
            ProjectionExpression: '#pk, #v, #e',
            ExpressionAttributeNames: {
              '#pk': ViewAttr.pk,
              '#v': ViewAttr.version,
              '#e': ViewAttr.eventId,
            },
            ConsistentRead: false,
          },
        },
      }),
    );
    items = res.Responses?.[table] ?? [];
  } catch (err) {
    const classified = classifyDynamoError(err, 'view pre-read', {});
    if (classified instanceof PoisonError || classified.retriable) return []; // write instead
    throw classified;
  }
  const out: Array<[string, StoredVersion]> = [];
  for (const item of items) {
    const pk = item[ViewAttr.pk]?.S;
    const ev = Number(item[ViewAttr.version]?.N);
    // an item without a numeric _v (written by something else) is left to the guarded write
    if (pk === undefined || !Number.isFinite(ev)) continue;
    out.push([pk, { ev, eventId: item[ViewAttr.eventId]?.S ?? '' }]);
  }
  return out;
}

/** Whether a key whose stored state is `stored` needs no write of a change at `plannedEv`:
 *  exactly when the guard `attribute_not_exists(pk) OR _v < :v` would fail. */
export const alreadyHolds = (stored: StoredVersion | undefined, plannedEv: number): boolean =>
  stored !== undefined && stored.ev >= plannedEv;
