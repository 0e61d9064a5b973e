import { describe, expect, it } from 'vitest';
import { createClaimsHandler } from '../../../functions/claims/create-handler.js';
import { EnvVar } from '../../../functions/contract/index.js';
import { createHandler as relayHandler } from '../../../functions/relay-dynamodb-streams/create-handler.js';
import { createHandler as dynamodbHandler } from '../../../functions/sink-dynamodb/create-handler.js';
import { createHandler as opensearchHandler } from '../../../functions/sink-opensearch/create-handler.js';
import { createHandler as archiveHandler } from '../../../functions/sink-s3-archive/create-handler.js';
import { createTransfersHandler } from '../../../functions/transfers/create-handler.js';
import {
  debeziumEvent,
  expectLanded,
  expectRelayed,
  type FunctionName,
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

/** The function's template environment on the local stack, with the SDK's local endpoints. */
const environment = (fn: FunctionName) => ({
  ...localSdkVariables(),
  POWERTOOLS_METRICS_DISABLED: 'true',
  POWERTOOLS_LOG_LEVEL: 'ERROR',
  ...stores.localize(synth(), templateEnvironment(synth(), fn)),
});
const context = { getRemainingTimeInMillis: () => 60_000 };

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
    const response = await createHandler[sink](environment(sink))(debeziumEvent(), context);
    await expectLanded(sink, stores, response);
  });

  it('claims: decides two claims of one value first come, first served, and publishes the decisions', async () => {
    const handler = createClaimsHandler(environment('claims'));
    await stores.processors.expectClaimsDecided(
      await handler(stores.processors.claimsEvent(), context),
    );
  });

  it('transfers: debits, refuses an overdraft, emits the credit step to its topic, then applies it', async () => {
    const handler = createTransfersHandler(environment('transfers'));
    const debits = await stores.processors.transfersEvent();
    const credit = await stores.processors.expectDebited(await handler(debits, context));
    await stores.processors.expectCredited(await handler(credit, context));
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
