/**
 * DynamoDB request units from the requests a client actually sends, computed with the
 * documented sizing rules (bench/README.md "How units are counted"):
 * - write: 1 WRU per started KB of the item written (minimum 1); a write whose condition
 *   fails is still charged (sized like the item attempted); transactional items count 2×;
 * - read: 1 RRU per started 4 KB read with strong consistency, 0.5 eventually consistent
 *   (minimum one unit even when no item is found); transactional reads count 2×.
 *   A read is charged on the size of the whole stored item, not of the attributes a
 *   `ProjectionExpression` returns: the meter remembers the size of every item it saw
 *   put (by table and key attribute, see {@link KEY_ATTRIBUTES}) and charges the larger
 *   of that and what came back. BatchGetItem is charged per requested key like that many
 *   GetItems (each item rounded up to 4 KB; a key found absent still costs the minimum),
 *   with the consistency requested per table; keys returned in `UnprocessedKeys` were
 *   not read and cost nothing.
 * The middleware sits on the very client instance the handler uses (the runtime's
 * singleton), so nothing in the handler changes.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { MetadataBearer, MiddlewareStack, SerializeMiddleware } from '@smithy/types';

type Item = Readonly<Record<string, AttributeValue>>;

const utf8Bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/** Approximate stored size of a number: ~1 byte per two significant digits, plus 1. */
function numberSize(n: string): number {
  const significant = n
    .replace(/^[-+]/, '')
    .replace(/[eE].*$/, '')
    .replace('.', '')
    .replace(/^0+/, '');
  return Math.ceil(Math.max(1, significant.length) / 2) + 1;
}

/** Size of one attribute value by DynamoDB's item-size rules. */
export function attributeValueSize(v: AttributeValue): number {
  if (v.S !== undefined) return utf8Bytes(v.S);
  if (v.N !== undefined) return numberSize(v.N);
  if (v.B !== undefined) return v.B.length;
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.SS !== undefined) return v.SS.reduce((a, s) => a + utf8Bytes(s), 0);
  if (v.NS !== undefined) return v.NS.reduce((a, s) => a + numberSize(s), 0);
  if (v.BS !== undefined) return v.BS.reduce((a, b) => a + b.length, 0);
  if (v.L !== undefined) return 3 + v.L.reduce((a, e) => a + 1 + attributeValueSize(e), 0);
  if (v.M !== undefined) return 3 + itemSize(v.M) + Object.keys(v.M).length;
  return 0;
}

/** Size of an item: attribute names (UTF-8) plus values. */
export function itemSize(item: Item): number {
  let size = 0;
  for (const [name, value] of Object.entries(item))
    size += utf8Bytes(name) + attributeValueSize(value);
  return size;
}

export const writeUnits = (bytes: number): number => Math.max(1, Math.ceil(bytes / 1024));
export const readUnits = (bytes: number, consistent: boolean): number =>
  Math.max(1, Math.ceil(bytes / 4096)) * (consistent ? 1 : 0.5);

interface UpdateLike {
  readonly Key?: Item;
  readonly ExpressionAttributeValues?: Item;
}
/** An UpdateItem writes an item we do not see: key + the values it sets is the estimate. */
const updateSize = (u: UpdateLike): number =>
  itemSize(u.Key ?? {}) + itemSize(u.ExpressionAttributeValues ?? {});

interface Statement {
  readonly Statement?: string;
  readonly Parameters?: readonly AttributeValue[];
}

/** The item a PartiQL `INSERT INTO t VALUE {'a': ?, ...}` writes (names from the statement,
 *  values from its parameters, in order); undefined for any other statement. */
export function insertedItem(s: Statement): Item | undefined {
  const text = s.Statement ?? '';
  if (!/^\s*INSERT\s/i.test(text)) return undefined;
  const names = [...text.matchAll(/'((?:[^']|'')*)'\s*:\s*\?/g)].map((m) =>
    (m[1] as string).replaceAll("''", "'"),
  );
  const item: Record<string, AttributeValue> = {};
  names.forEach((n, i) => {
    const v = s.Parameters?.[i];
    if (v !== undefined) item[n] = v;
  });
  return item;
}

/** Write units of one request by command name and input (charged whether or not a
 *  condition failed; a refused PartiQL INSERT is counted like a failed conditional put,
 *  the least favourable reading: AWS documents no separate rule for it). */
export function writeUnitsOf(command: string, input: Record<string, unknown>): number {
  switch (command) {
    case 'PutItemCommand':
      return writeUnits(itemSize((input.Item ?? {}) as Item));
    case 'UpdateItemCommand':
      return writeUnits(updateSize(input as UpdateLike));
    case 'DeleteItemCommand':
      return 1;
    case 'BatchWriteItemCommand': {
      let units = 0;
      const byTable = (input.RequestItems ?? {}) as Record<
        string,
        Array<{ PutRequest?: { Item?: Item }; DeleteRequest?: unknown }>
      >;
      for (const requests of Object.values(byTable))
        for (const r of requests)
          units += r.PutRequest ? writeUnits(itemSize(r.PutRequest.Item ?? {})) : 1;
      return units;
    }
    case 'TransactWriteItemsCommand': {
      let units = 0;
      const items = (input.TransactItems ?? []) as Array<{
        Put?: { Item?: Item };
        Update?: UpdateLike;
        Delete?: unknown;
        ConditionCheck?: unknown;
      }>;
      for (const t of items) {
        if (t.Put) units += writeUnits(itemSize(t.Put.Item ?? {}));
        else if (t.Update) units += writeUnits(updateSize(t.Update));
        else units += 1;
      }
      return 2 * units;
    }
    case 'BatchExecuteStatementCommand': {
      let units = 0;
      for (const st of (input.Statements ?? []) as Statement[]) {
        const item = insertedItem(st);
        if (item !== undefined) units += writeUnits(itemSize(item));
        else if (!/^\s*SELECT\s/i.test(st.Statement ?? '')) units += 1;
      }
      return units;
    }
    default:
      return 0;
  }
}

/** Key attributes of the tables the bench creates (`pk`; `id` for the Powertools
 *  idempotency table): how the meter recognises an item it saw put when it is read. */
export const KEY_ATTRIBUTES: readonly string[] = ['pk', 'id'];

/** Identity of an item within its table, from its key attribute(s). */
export function itemIdentity(item: Item): string | undefined {
  const key = KEY_ATTRIBUTES.filter((name) => item[name] !== undefined).map((name) => [
    name,
    item[name],
  ]);
  return key.length === 0 ? undefined : JSON.stringify(key);
}

/** The full stored size of an item, when known (undefined: size what was returned). */
export type StoredSize = (table: string, item: Item) => number | undefined;

const noStoredSize: StoredSize = () => undefined;

/** Read units of one request from its input and its output (what was read). */
export function readUnitsOf(
  command: string,
  input: Record<string, unknown>,
  output: Record<string, unknown> | undefined,
  storedSize: StoredSize = noStoredSize,
): number {
  const consistent = input.ConsistentRead === true;
  const table = typeof input.TableName === 'string' ? input.TableName : '';
  /** size charged for a returned (perhaps projected) item */
  const charged = (t: string, item: Item) => Math.max(itemSize(item), storedSize(t, item) ?? 0);
  switch (command) {
    case 'GetItemCommand': {
      const item = output?.Item as Item | undefined;
      return readUnits(item === undefined ? 0 : charged(table, item), consistent);
    }
    case 'BatchGetItemCommand': {
      let units = 0;
      const requested = (input.RequestItems ?? {}) as Record<
        string,
        { Keys?: readonly Item[]; ConsistentRead?: boolean }
      >;
      const responses = (output?.Responses ?? {}) as Record<string, readonly Item[]>;
      const unprocessed = (output?.UnprocessedKeys ?? {}) as Record<
        string,
        { Keys?: readonly Item[] }
      >;
      for (const [t, request] of Object.entries(requested)) {
        const strong = request.ConsistentRead === true;
        const found = responses[t] ?? [];
        const read = (request.Keys?.length ?? 0) - (unprocessed[t]?.Keys?.length ?? 0);
        for (const item of found) units += readUnits(charged(t, item), strong);
        units += Math.max(0, read - found.length) * readUnits(0, strong);
      }
      return units;
    }
    case 'QueryCommand':
    case 'ScanCommand': {
      const items = (output?.Items ?? []) as Item[];
      return readUnits(
        items.reduce((a, i) => a + charged(table, i), 0),
        consistent,
      );
    }
    case 'TransactGetItemsCommand': {
      const items = (output?.Responses ?? []) as Array<{ Item?: Item }>;
      return items.reduce((a, r) => a + 2 * readUnits(itemSize(r.Item ?? {}), true), 0);
    }
    default:
      return 0;
  }
}

/** Sizes of the items a client put, by table and key: the full size later reads are charged. */
export class StoredSizes {
  readonly #byTable = new Map<string, Map<string, number>>();

  /** Notes what a successful request did to stored items (PutItem, DeleteItem, the INSERT
   *  statements of a BatchExecuteStatement that answered without an error). */
  observe(command: string, input: Record<string, unknown>, output?: Record<string, unknown>): void {
    if (command === 'BatchExecuteStatementCommand') {
      const responses = (output?.Responses ?? []) as Array<{ Error?: unknown }>;
      ((input.Statements ?? []) as Statement[]).forEach((st, i) => {
        const item = insertedItem(st);
        const table = /^\s*INSERT\s+INTO\s+"((?:[^"]|"")*)"/i.exec(st.Statement ?? '')?.[1];
        if (item !== undefined && table !== undefined && responses[i]?.Error === undefined)
          this.#remember(table.replaceAll('""', '"'), item);
      });
      return;
    }
    const table = typeof input.TableName === 'string' ? input.TableName : undefined;
    if (table === undefined) return;
    if (command === 'PutItemCommand') {
      this.#remember(table, (input.Item ?? {}) as Item);
    } else if (command === 'DeleteItemCommand') {
      const id = itemIdentity((input.Key ?? {}) as Item);
      if (id !== undefined) this.#byTable.get(table)?.delete(id);
    }
  }

  #remember(table: string, item: Item): void {
    const id = itemIdentity(item);
    if (id === undefined) return;
    const sizes = this.#byTable.get(table) ?? new Map<string, number>();
    sizes.set(id, itemSize(item));
    this.#byTable.set(table, sizes);
  }

  readonly sizeOf: StoredSize = (table, item) => {
    const id = itemIdentity(item);
    return id === undefined ? undefined : this.#byTable.get(table)?.get(id);
  };

  clear(): void {
    this.#byTable.clear();
  }
}

const CHARGED_FAILURES = new Set([
  'ConditionalCheckFailedException',
  'TransactionCanceledException',
]);

export interface CapacityMeter {
  /** write request units by command */
  readonly wru: Readonly<Record<string, number>>;
  /** read request units by command */
  readonly rru: Readonly<Record<string, number>>;
  /** writes whose condition failed (charged, no effect) */
  conditionFailures: number;
  totalWru(): number;
  totalRru(): number;
  reset(): void;
  detach(): void;
}

let seq = 0;

/** Meters the request units a DynamoDB client consumes (see the module comment). */
export function meterCapacity<I extends object, O extends MetadataBearer>(client: {
  middlewareStack: MiddlewareStack<I, O>;
}): CapacityMeter {
  const wru: Record<string, number> = {};
  const rru: Record<string, number> = {};
  const sizes = new StoredSizes();
  const name = `staysyncBenchCapacity${++seq}`;
  const meter: CapacityMeter = {
    wru,
    rru,
    conditionFailures: 0,
    totalWru: () => Object.values(wru).reduce((a, b) => a + b, 0),
    totalRru: () => Object.values(rru).reduce((a, b) => a + b, 0),
    reset: () => {
      for (const k of Object.keys(wru)) delete wru[k];
      for (const k of Object.keys(rru)) delete rru[k];
      meter.conditionFailures = 0;
    },
    detach: () => {
      client.middlewareStack.remove(name);
    },
  };
  const middleware: SerializeMiddleware<I, O> = (next, context) => async (args) => {
    const command = context.commandName ?? 'unknown';
    const input = args.input as Record<string, unknown>;
    const add = (table: Record<string, number>, units: number) => {
      if (units > 0) table[command] = (table[command] ?? 0) + units;
    };
    try {
      const result = await next(args);
      add(wru, writeUnitsOf(command, input));
      add(rru, readUnitsOf(command, input, result.output as Record<string, unknown>, sizes.sizeOf));
      sizes.observe(command, input, result.output as Record<string, unknown>);
      if (command === 'BatchExecuteStatementCommand') {
        const responses = ((result.output as { Responses?: Array<{ Error?: unknown }> })
          ?.Responses ?? []) as Array<{ Error?: unknown }>;
        meter.conditionFailures += responses.filter((r) => r.Error !== undefined).length;
      }
      return result;
    } catch (err) {
      const errName = (err as { name?: string }).name ?? '';
      if (CHARGED_FAILURES.has(errName)) {
        meter.conditionFailures++;
        add(wru, writeUnitsOf(command, input));
      }
      throw err;
    }
  };
  client.middlewareStack.add(middleware, {
    step: 'serialize',
    priority: 'high',
    name,
    override: true,
  });
  return meter;
}
