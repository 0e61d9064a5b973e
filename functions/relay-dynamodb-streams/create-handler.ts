import { S3RelayQuarantine } from '../adapters/relay-quarantine-s3.js';
import { s3Client } from '../runtime/aws-clients.js';
import { lazyProducer } from '../runtime/kafka-target.js';
import { powertoolsLogger } from '../runtime/observability.js';
import { readRelayConfig } from './config.js';
import { type LogProducer, relayBatch } from './relay.js';
import { parseStreamEvent, type StreamBatchResponse } from './stream-event.js';

export type RelayHandler = (event: unknown) => Promise<StreamBatchResponse>;

/**
 * The `relay-dynamodb-streams` Lambda: reads and validates its environment once (cold
 * start), then relays each DynamoDB Streams batch into Kafka and answers the partial batch
 * response (`ReportBatchItemFailures`). docs/relay-dynamodb-streams.md lists the variables.
 */
export function createHandler(env: NodeJS.ProcessEnv): RelayHandler {
  const config = readRelayConfig(env);
  const producer: LogProducer = lazyProducer(config.kafka, 'staysync-relay');
  const quarantine = new S3RelayQuarantine(
    s3Client(env),
    config.quarantineBucket,
    config.quarantinePrefix,
  );
  const logger = powertoolsLogger(config.name);
  return async (event) => {
    const outcome = await relayBatch(parseStreamEvent(event), {
      name: config.name,
      source: config.source,
      producer,
      quarantine,
    });
    logger.info('relayed', {
      published: outcome.published,
      skipped: outcome.skipped,
      quarantined: outcome.quarantined,
      ...(outcome.failure === undefined
        ? {}
        : {
            failedFrom: outcome.response.batchItemFailures[0]?.itemIdentifier,
            error: outcome.failure.message,
          }),
    });
    return outcome.response;
  };
}
