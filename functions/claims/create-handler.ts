import { DynamoClaimStore } from '../adapters/claims-dynamodb.js';
import { dynamoDbClient } from '../runtime/aws-clients.js';
import { lazyProducer } from '../runtime/kafka-target.js';
import {
  engineOverrides,
  type SinkOverrides,
  sinkLedgerAndQuarantine,
} from '../runtime/sink-config.js';
import { createSinkHandler, type SinkHandler } from '../runtime/sink-handler.js';
import { ClaimsSink } from './claims-sink.js';
import { readClaimsConfig } from './config.js';
import { decisionPublisher } from './publisher.js';

/**
 * The `claims` Lambda (docs/claims.md): reads its environment once (cold start), then
 * decides each partition's claim and release requests in offset order through the engine
 * (ledger checkpoints, quarantine for poison) and publishes the decisions.
 */
export function createClaimsHandler(
  env: NodeJS.ProcessEnv,
  overrides: SinkOverrides = {},
): SinkHandler {
  const config = readClaimsConfig(env);
  const sink = new ClaimsSink({
    name: config.sinkName,
    store: new DynamoClaimStore(dynamoDbClient(env), config.claimsTable),
    publisher: decisionPublisher(
      lazyProducer(config.kafka, 'staysync-claims'),
      config.decisionsTopic,
    ),
  });
  return createSinkHandler({
    ...engineOverrides(overrides),
    sink,
    ...sinkLedgerAndQuarantine(config, env, overrides),
    pipeline: config.pipeline,
  });
}
