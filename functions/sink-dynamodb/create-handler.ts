import type { AggregateDeclaration } from '../core/dynamodb/aggregates.js';
import type { Projection } from '../core/dynamodb/projection.js';
import { dynamoDbClient } from '../runtime/aws-clients.js';
import { type SinkOverrides, sinkLedgerAndQuarantine } from '../runtime/sink-config.js';
import {
  createSinkHandler,
  type SinkHandler,
  type SinkHandlerDeps,
} from '../runtime/sink-handler.js';
import { readDynamoSinkConfig } from './config.js';
import { DynamoDbSink } from './dynamodb-sink.js';

/** What a team's own handler file adds to the generic DynamoDB sink. */
export interface DynamoSinkCustomization
  extends Partial<Pick<SinkHandlerDeps, 'concurrency'>>,
    SinkOverrides {
  /** what the view stores per entity, added to those of `STAYSYNC_PIPELINE.projections`
   *  (two for one entity is a ConfigError). @default the envelope's `data` */
  readonly projections?: readonly Projection[];
  /** aggregates declared in code (added to those of `STAYSYNC_PIPELINE.aggregates`;
   *  a name declared in both places is a ConfigError) */
  readonly aggregates?: readonly AggregateDeclaration[];
}

/**
 * The DynamoDB sink Lambda with a team's projections and aggregates. The stock
 * `handler.ts` calls it with none; a team deploys a handler file of its own instead:
 *
 * @example
 * // functions/sink-dynamodb-orders/handler.ts
 * import { createDynamoSinkHandler } from '../sink-dynamodb/create-handler.js';
 * import { defineProjection } from '../core/dynamodb/projection.js';
 * import { defineAggregate } from '../core/dynamodb/aggregates.js';
 *
 * export const handler = createDynamoSinkHandler(process.env, {
 *   projections: [defineProjection({ entity: 'customer', project: ({ data }) => ({ name: data?.name }) })],
 *   aggregates: [defineAggregate({
 *     name: 'orders-by-customer', entity: 'order', groupBy: 'customerId',
 *     measures: { orderCount: { count: true }, totalSpent: { sum: 'amount' } },
 *   })],
 * });
 */
export function createDynamoSinkHandler(
  env: NodeJS.ProcessEnv,
  custom: DynamoSinkCustomization = {},
): SinkHandler {
  const config = readDynamoSinkConfig(env);
  // ledger and quarantine go to sinkLedgerAndQuarantine, the rest to the engine
  const { projections, aggregates, ledger: _ledger, quarantine: _quarantine, ...engine } = custom;
  const sink = new DynamoDbSink({
    name: config.sinkName,
    client: dynamoDbClient(env),
    viewTable: config.viewTable,
    ledgerTable: config.ledgerTable,
    // DynamoDbSink rejects two projections for one entity
    projections: [...config.projections, ...(projections ?? [])],
    // DynamoDbSink rejects a name declared twice
    aggregates: [...config.aggregates, ...(aggregates ?? [])],
    tombstoneTtlSeconds: config.tombstoneTtlSeconds,
    markerTtlSeconds: config.markerTtlSeconds,
    concurrency: config.concurrency,
    preReadThreshold: config.preReadThreshold,
  });
  return createSinkHandler({
    ...engine,
    sink,
    ...sinkLedgerAndQuarantine(config, env, custom),
    pipeline: config.pipeline,
  });
}

/** The stock `sink-dynamodb` Lambda: the envelope's data as the view, aggregates from
 *  `STAYSYNC_PIPELINE`. Reads and validates its environment once (cold start). */
export function createHandler(env: NodeJS.ProcessEnv, overrides: SinkOverrides = {}): SinkHandler {
  return createDynamoSinkHandler(env, overrides);
}
