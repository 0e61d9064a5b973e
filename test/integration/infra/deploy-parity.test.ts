import { describe, expect, it } from 'vitest';
import { EnvVar } from '../../../functions/contract/index.js';
import { createHandler as relayHandler } from '../../../functions/relay-dynamodb-streams/create-handler.js';
import { createHandler as dynamodbHandler } from '../../../functions/sink-dynamodb/create-handler.js';
import { createHandler as opensearchHandler } from '../../../functions/sink-opensearch/create-handler.js';
import { createHandler as archiveHandler } from '../../../functions/sink-s3-archive/create-handler.js';
import {
  debeziumEvent,
  expectLanded,
  expectRelayed,
  localSdkVariables,
  SINKS,
  streamEvent,
  TOPIC,
  templateEnvironment,
  useDeployedStage,
} from './deployed-stage.js';

// Issue 16 item 8: what the construct deploys is what the handlers run. A stage declaring a
// Debezium topic with an entity, an aggregate, a projection and OpenSearch index settings is
// synthesized; each sink's handler then runs with exactly its template environment (only the
// table, bucket and endpoint references replaced by local stand-ins) on the local stack.
const createHandler = {
  dynamodb: dynamodbHandler,
  opensearch: opensearchHandler,
  's3-archive': archiveHandler,
} as const;

const { stores, synth } = useDeployedStage(false);

describe('a synthesized stage, run by the real handlers with its template environment', () => {
  it('passes the topic format and entity, the aggregate and the projection in STAYSYNC_PIPELINE', () => {
    const pipeline = JSON.parse(
      String(templateEnvironment(synth(), 'dynamodb')[EnvVar.pipeline]),
    ) as Record<string, unknown>;
    expect(pipeline).toMatchObject({
      topics: { [TOPIC]: { format: 'debezium', entity: 'order' } },
      aggregates: [{ name: 'orders-by-customer' }],
      projections: [{ entity: 'order' }],
    });
  });

  it.each(SINKS)('%s: applies a Debezium batch as configured', async (sink) => {
    const env = {
      ...localSdkVariables(),
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      ...stores.localize(synth(), templateEnvironment(synth(), sink)),
    };
    const response = await createHandler[sink](env)(debeziumEvent(), {
      getRemainingTimeInMillis: () => 60_000,
    });
    await expectLanded(sink, stores, response);
  });

  it('relay: publishes a stream record of its source table to its topic', async () => {
    const env = {
      ...localSdkVariables(),
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      ...stores.localize(synth(), templateEnvironment(synth(), 'relay')),
    };
    await expectRelayed(stores, await relayHandler(env)(streamEvent()));
  });
});
