/**
 * `npm start -- --source`: the workload is an **application** writing DynamoDB source
 * tables — customers through table CDC (optimistic-locked versions), orders through an
 * outbox in the same transaction — and two relays (the real `relay-dynamodb-streams`
 * handler, driven by the DynamoDB Streams mapping emulator over each table's stream) fill
 * Kafka. The sinks, the faults and the reconciliation against the log are the publisher
 * mode's; on top, every store is compared with the source tables themselves.
 */
import { DeleteTableCommand, type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { dynamoDbClient } from '../../functions/runtime/aws-clients.js';
import { dynamoDbStreamsClient, scanItems } from '../aws/resources.js';
import type { DynamoDbStreamsEventSourceMapping } from '../esm/dynamodb-streams/stream-event-source-mapping.js';
import type { ChangeInput } from '../publisher/envelope.js';
import { readDynamoView, readOpenSearch } from '../reconcile/stores.js';
import {
  createSourceTable,
  deleteVersioned,
  ENVELOPE_ATTRIBUTE,
  patchVersioned,
  putVersioned,
  VERSION_ATTRIBUTE,
  writeWithOutbox,
} from '../source/application.js';
import { relayMapping } from '../source/relay-mapping.js';
import type { RunNames } from './resources.js';
import type { Entity, Step } from './workload.js';

/** The view projection source mode needs: a source item's `pk` is a name the view reserves. */
export const SOURCE_PROJECTIONS = [{ entity: 'customer', rename: { pk: 'customerId' } }] as const;

export interface SourceTables {
  readonly customers: string;
  readonly orders: string;
}

export const sourceTables = (names: RunNames): SourceTables => ({
  customers: `${names.indexPrefix}-src-customers`,
  orders: `${names.indexPrefix}-src-orders`,
});

export class SourceApplication {
  readonly #ddb: DynamoDBClient;
  readonly #tables: SourceTables;
  readonly #floors = new Map<string, number>();
  readonly #mappings: DynamoDbStreamsEventSourceMapping[] = [];
  readonly #streams: DynamoDBStreamsClient;
  #poison = 0;

  constructor(
    private readonly names: RunNames,
    private readonly stack: Readonly<Record<string, string>>,
  ) {
    this.#ddb = dynamoDbClient({ ...process.env, ...stack });
    this.#tables = sourceTables(names);
    this.#streams = dynamoDbStreamsClient(stack);
  }

  get tables(): SourceTables {
    return this.#tables;
  }

  /** Creates both tables (streams on) and starts one relay per table. */
  async start(): Promise<void> {
    await createSourceTable(this.#ddb, this.#tables.customers);
    await createSourceTable(this.#ddb, this.#tables.orders);
    const relay = (table: string, source: Record<string, unknown>) =>
      relayMapping({
        client: this.#streams,
        table,
        source,
        stack: this.stack,
        quarantineBucket: this.names.quarantineBucket,
        settings: { batchSize: 100, pollIntervalMs: 100, bisectBatchOnFunctionError: true },
      });
    this.#mappings.push(
      relay(this.#tables.customers, {
        mode: 'cdc',
        topic: this.names.topics.customer,
        entity: 'customer',
        keyAttributes: ['pk'],
        versionAttribute: VERSION_ATTRIBUTE,
      }),
      relay(this.#tables.orders, {
        mode: 'outbox',
        topic: this.names.topics.order,
        envelopeAttribute: ENVELOPE_ATTRIBUTE,
      }),
    );
    for (const mapping of this.#mappings) await mapping.start();
  }

  /**
   * Makes one workload step as application writes; returns the changes it committed.
   * Re-sends are the publisher's business (a relay re-publishes only when it is retried).
   */
  async apply(step: Step): Promise<number> {
    switch (step.kind) {
      case 'resend':
        return 0;
      case 'poison':
        await this.#writePoison(step.entity);
        return 0;
      case 'race': {
        const done = await Promise.all(step.changes.map((c) => this.#change(step.entity, c)));
        return done.filter(Boolean).length;
      }
      case 'change':
        return (await this.#change(step.entity, step.change)) ? 1 : 0;
    }
  }

  /** Resolves once both relays have published everything written so far. */
  async caughtUp(timeoutMs: number): Promise<void> {
    await Promise.all(this.#mappings.map((m) => m.waitUntilCaughtUp(timeoutMs)));
  }

  async stop(): Promise<void> {
    await Promise.all(this.#mappings.map((m) => m.stop()));
    this.#streams.destroy();
  }

  /** Deletes both source tables (`--cleanup`). */
  async drop(): Promise<void> {
    for (const TableName of Object.values(this.#tables)) {
      await this.#ddb.send(new DeleteTableCommand({ TableName })).catch(() => undefined);
    }
  }

  /**
   * Every source item against the derived stores (the DynamoDB view and the OpenSearch
   * index): a customer at version `v` must be live there at source version `2v` (the
   * relay's versions), an order at `v` at `v` (the outbox carries the application's own);
   * an entity live in a store but gone from its table is a divergence too. Returns the
   * divergences, one line each, prefixed by the store.
   */
  async compareWithStores(
    env: NodeJS.ProcessEnv,
  ): Promise<{ checked: number; divergences: string[] }> {
    const expected = new Map<string, number>();
    for (const item of await scanItems(this.#ddb, this.#tables.customers)) {
      const v = Number(item[VERSION_ATTRIBUTE]);
      if (Number.isSafeInteger(v)) expected.set(`customer#${item.pk}`, 2 * v);
    }
    for (const item of await scanItems(this.#ddb, this.#tables.orders)) {
      const pk = String(item.pk);
      if (pk.startsWith('order#')) expected.set(pk, Number(item[VERSION_ATTRIBUTE]));
    }
    const stores = {
      dynamodb: (await readDynamoView(env)).views,
      opensearch: await readOpenSearch(env),
    };
    const divergences: string[] = [];
    for (const [store, states] of Object.entries(stores)) {
      for (const [key, version] of expected) {
        const state = states.get(key);
        if (state === undefined || state.deleted || state.sourceVersion !== version) {
          const held =
            state === undefined
              ? 'missing'
              : state.deleted
                ? 'deleted'
                : `at ${state.sourceVersion}`;
          divergences.push(`${store} ${key}: table at ${version}, store ${held}`);
        }
      }
      for (const [key, state] of states) {
        if (!state.deleted && !expected.has(key)) {
          divergences.push(`${store} ${key}: gone from its table, live in the store`);
        }
      }
    }
    return { checked: expected.size, divergences };
  }

  async #change(entity: Entity, change: ChangeInput): Promise<boolean> {
    if (entity === 'order') {
      return writeWithOutbox(this.#ddb, this.#tables.orders, {
        entity: 'order',
        key: change.key,
        op: change.op,
        version: change.version ?? 1,
        ...(change.data === undefined ? {} : { data: change.data }),
      });
    }
    const table = this.#tables.customers;
    if (change.op === 'delete') return deleteVersioned(this.#ddb, table, change.key, this.#floors);
    if (change.op === 'patch') {
      return (await patchVersioned(this.#ddb, table, change.key, change.data ?? {})) !== undefined;
    }
    await putVersioned(this.#ddb, table, change.key, change.data ?? {}, this.#floors);
    return true;
  }

  /** What a buggy writer leaves: a customer without a version, an outbox item that is not JSON. */
  async #writePoison(entity: Entity): Promise<void> {
    const n = ++this.#poison;
    await this.#ddb.send(
      new PutItemCommand({
        TableName: entity === 'order' ? this.#tables.orders : this.#tables.customers,
        Item:
          entity === 'order'
            ? { pk: { S: `outbox#poison-${n}` }, [ENVELOPE_ATTRIBUTE]: { S: '{"id": ' } }
            : { pk: { S: `poison-${n}` }, name: { S: 'no version' } },
      }),
    );
  }
}
