import { openSearchClient } from '../adapters/opensearch-client.js';
import { OpenSearchClientStore } from '../adapters/opensearch-store.js';
import { sinkLedgerAndQuarantine } from '../runtime/sink-config.js';
import { createSinkHandler, type SinkHandler } from '../runtime/sink-handler.js';
import { readOpenSearchSinkConfig } from './config.js';
import { OpenSearchSink } from './opensearch-sink.js';

/**
 * The `sink-opensearch` Lambda: reads and validates its environment once (cold start) and
 * returns the shared engine handler over the OpenSearch sink, the DynamoDB ledger and the
 * S3 quarantine. docs/sink-opensearch.md lists the variables.
 */
export function createHandler(env: NodeJS.ProcessEnv): SinkHandler {
  const config = readOpenSearchSinkConfig(env);
  const sink = new OpenSearchSink({
    name: config.sinkName,
    store: new OpenSearchClientStore(openSearchClient(config.client)),
    indexPrefix: config.indexPrefix,
    indexVersion: config.indexVersion,
    layout: config.layout,
    bulkLimits: config.bulkLimits,
  });
  return createSinkHandler({
    sink,
    ...sinkLedgerAndQuarantine(config, env),
    pipeline: config.pipeline,
  });
}
