import { DynamoTransferStore } from '../adapters/transfers-dynamodb.js';
import type { StepPublisher } from '../core/transfers/ports.js';
import { accountKey, stepId, subjectOf } from '../core/transfers/step.js';
import { dynamoDbClient } from '../runtime/aws-clients.js';
import { lazyProducer } from '../runtime/kafka-target.js';
import {
  engineOverrides,
  type SinkOverrides,
  sinkLedgerAndQuarantine,
} from '../runtime/sink-config.js';
import { createSinkHandler, type SinkHandler } from '../runtime/sink-handler.js';
import { readTransfersConfig } from './config.js';
import { TransferSink } from './transfer-sink.js';

/** Header naming a step (`credit:<requestId>`): its marker makes a duplicate a no-op. */
export const STEP_ID_HEADER = 'staysync-step-id';

/**
 * The `transfers` Lambda (docs/claims.md, "Transfers"): applies each partition's steps in
 * offset order through the engine and publishes the credit steps of accepted debits back
 * to the topic they came from (keyed by the account credited).
 */
export function createTransfersHandler(
  env: NodeJS.ProcessEnv,
  overrides: SinkOverrides = {},
): SinkHandler {
  const config = readTransfersConfig(env);
  const producer = lazyProducer(config.kafka, 'staysync-transfers');
  const publisher: StepPublisher = {
    publish: (topic, steps) =>
      producer.send(
        steps.map((step) => ({
          topic,
          key: accountKey(subjectOf(step)),
          value: JSON.stringify(step),
          headers: { [STEP_ID_HEADER]: stepId(step) },
        })),
      ),
  };
  const sink = new TransferSink({
    name: config.sinkName,
    store: new DynamoTransferStore({
      client: dynamoDbClient(env),
      balancesTable: config.balancesTable,
      ledgerTable: config.ledgerTable,
      sink: config.sinkName,
      markerTtlSeconds: config.markerTtlSeconds,
    }),
    publisher,
  });
  return createSinkHandler({
    ...engineOverrides(overrides),
    sink,
    ...sinkLedgerAndQuarantine(config, env, overrides),
    pipeline: config.pipeline,
  });
}
