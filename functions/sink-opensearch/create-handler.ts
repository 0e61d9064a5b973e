import { openSearchClient } from '../adapters/opensearch-client.js';
import { OpenSearchClientStore } from '../adapters/opensearch-store.js';
import type { IndexStage } from '../core/opensearch/index-naming.js';
import {
  engineOverrides,
  type SinkOverrides,
  sinkLedgerAndQuarantine,
} from '../runtime/sink-config.js';
import { createSinkHandler, type SinkHandler } from '../runtime/sink-handler.js';
import { readOpenSearchSinkConfig } from './config.js';
import { OpenSearchSink } from './opensearch-sink.js';

/**
 * The `sink-opensearch` Lambda: reads and validates its environment once (cold start) and
 * returns the shared engine handler over the OpenSearch sink, the DynamoDB ledger and the
 * S3 quarantine. docs/sink-opensearch.md lists the variables.
 */
export function createHandler(
  env: NodeJS.ProcessEnv,
  overrides: SinkOverrides & { readonly stage?: IndexStage } = {},
): SinkHandler {
  const config = readOpenSearchSinkConfig(env);
  const { stage, ...wiring } = overrides;
  const sink = new OpenSearchSink({
    name: config.sinkName,
    store: new OpenSearchClientStore(openSearchClient(config.client)),
    indexPrefix: config.indexPrefix,
    indexVersion: config.indexVersion,
    ...(stage === undefined ? {} : { stage }),
    layout: config.layout,
    bulkLimits: config.bulkLimits,
  });
  return createSinkHandler({
    ...engineOverrides(wiring),
    sink,
    ...sinkLedgerAndQuarantine(config, env, wiring),
    pipeline: config.pipeline,
  });
}
