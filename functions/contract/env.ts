import { ConfigError } from '../core/errors.js';

/**
 * The name of every environment variable staysync's functions read (DESIGN §3.2), and of
 * the few its local tools read. Infra sets them (`infra/constructs/bindings.ts`), the
 * functions read them (`functions/<name>/config.ts`), `local/` and `bench/` set them to run
 * the same handlers: all import the names from here, so a name is written once.
 *
 * Not here: the SDK's own `AWS_ENDPOINT_URL(_*)`, `AWS_REGION`, `AWS_*` credentials,
 * Powertools' `POWERTOOLS_*`, and the local stack's `STAYSYNC_*_PORT` settings.
 *
 * @example
 * fn.addEnvironment(EnvVar.viewTable, table.tableName);   // infra
 * const viewTable = requireEnv(EnvVar.viewTable, env);    // the function's config.ts
 */
export const EnvVar = {
  // every sink
  /** names the sink's checkpoints and markers in the ledger (defaults to the sink kind) */
  sinkName: 'SINK_NAME',
  ledgerTable: 'LEDGER_TABLE',
  quarantineBucket: 'QUARANTINE_BUCKET',
  /** @default 'quarantine' */
  quarantinePrefix: 'QUARANTINE_PREFIX',
  /** per-topic settings and aggregates, JSON (./pipeline.ts) */
  pipeline: 'STAYSYNC_PIPELINE',

  // sink-dynamodb
  viewTable: 'VIEW_TABLE',
  viewWriteConcurrency: 'VIEW_WRITE_CONCURRENCY',
  viewPreReadThreshold: 'VIEW_PREREAD_THRESHOLD',
  viewTombstoneTtlSeconds: 'VIEW_TOMBSTONE_TTL_SECONDS',
  eventMarkerTtlSeconds: 'EVENT_MARKER_TTL_SECONDS',

  // sink-opensearch
  openSearchEndpoint: 'OPENSEARCH_ENDPOINT',
  indexPrefix: 'INDEX_PREFIX',
  openSearchAuth: 'OPENSEARCH_AUTH',
  openSearchService: 'OPENSEARCH_SERVICE',
  openSearchRequestTimeoutMs: 'OPENSEARCH_REQUEST_TIMEOUT_MS',
  openSearchIndexVersion: 'OPENSEARCH_INDEX_VERSION',
  openSearchNumberOfShards: 'OPENSEARCH_NUMBER_OF_SHARDS',
  openSearchNumberOfReplicas: 'OPENSEARCH_NUMBER_OF_REPLICAS',
  openSearchIndexSettings: 'OPENSEARCH_INDEX_SETTINGS',
  openSearchBulkMaxActions: 'OPENSEARCH_BULK_MAX_ACTIONS',
  openSearchBulkMaxBytes: 'OPENSEARCH_BULK_MAX_BYTES',

  // sink-s3-archive
  archiveBucket: 'ARCHIVE_BUCKET',
  archivePrefix: 'ARCHIVE_PREFIX',
  archiveScanLookbackDays: 'ARCHIVE_SCAN_LOOKBACK_DAYS',

  // relay-dynamodb-streams
  /** the relay's source (table, mode, entity, key and version attributes, topic), JSON */
  relaySource: 'STAYSYNC_RELAY_SOURCE',
  /** @default 'relay' */
  relayName: 'RELAY_NAME',
  /** the MSK cluster the relay produces to (IAM auth; brokers from GetBootstrapBrokers) */
  mskClusterArn: 'MSK_CLUSTER_ARN',

  // claims (uniqueness decisions) and transfers (per-partition steps)
  /** the claims function's table: holders and decisions (docs/claims.md) */
  claimsTable: 'CLAIMS_TABLE',
  /** the topic the claims function publishes its decisions to */
  claimDecisionsTopic: 'CLAIM_DECISIONS_TOPIC',
  /** the transfers function's table: balances */
  balancesTable: 'BALANCES_TABLE',

  // where the log is: the relay without MSK (plaintext, the local stack), and local tools
  // (reconcile, archive verify)
  kafkaBrokers: 'KAFKA_BROKERS',
  topics: 'STAYSYNC_TOPICS',
} as const;

export type EnvVarName = (typeof EnvVar)[keyof typeof EnvVar];

/** The SDK's standard variables a config may also read (the region for SigV4). */
export type StandardEnvVarName = 'AWS_REGION' | 'AWS_DEFAULT_REGION';

/**
 * Reads a required environment variable once (callers keep the result at module scope),
 * failing the cold start with a message naming the variable.
 */
export function requireEnv(
  name: EnvVarName | StandardEnvVarName,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new ConfigError(`staysync: environment variable ${name} is required but not set`);
  }
  return value;
}

export function optionalEnv(
  name: EnvVarName | StandardEnvVarName,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}
