import { DynamoLedger } from '../adapters/ledger-dynamodb.js';
import { DEFAULT_QUARANTINE_PREFIX, S3Quarantine } from '../adapters/quarantine-s3.js';
import {
  EnvVar,
  optionalEnv,
  type PipelineConfig,
  parsePipelineConfig,
  requireEnv,
} from '../contract/index.js';
import { dynamoDbClient, s3Client } from './aws-clients.js';

/** What every sink reads from its environment besides its own store's variables. */
export interface SinkCommonConfig {
  readonly sinkName: string;
  readonly ledgerTable: string;
  readonly quarantineBucket: string;
  readonly quarantinePrefix: string;
  readonly pipeline: PipelineConfig;
}

/**
 * Reads `SINK_NAME` (default `defaultSinkName`), `LEDGER_TABLE`, `QUARANTINE_BUCKET`,
 * `QUARANTINE_PREFIX` and `STAYSYNC_PIPELINE` once, failing with a ConfigError naming a
 * missing variable. Each sink's `config.ts` calls it beside its own variables.
 */
export function readSinkCommonConfig(
  env: NodeJS.ProcessEnv,
  defaultSinkName: string,
): SinkCommonConfig {
  return Object.freeze({
    sinkName: optionalEnv(EnvVar.sinkName, env) ?? defaultSinkName,
    pipeline: parsePipelineConfig(optionalEnv(EnvVar.pipeline, env)),
    ledgerTable: requireEnv(EnvVar.ledgerTable, env),
    quarantineBucket: requireEnv(EnvVar.quarantineBucket, env),
    quarantinePrefix: optionalEnv(EnvVar.quarantinePrefix, env) ?? DEFAULT_QUARANTINE_PREFIX,
  });
}

/** The ledger and quarantine every sink's engine uses, on the shared clients for `env`. */
export function sinkLedgerAndQuarantine(
  config: SinkCommonConfig,
  env: NodeJS.ProcessEnv,
): { readonly ledger: DynamoLedger; readonly quarantine: S3Quarantine } {
  return {
    ledger: new DynamoLedger(dynamoDbClient(env), config.ledgerTable),
    quarantine: new S3Quarantine(s3Client(env), config.quarantineBucket, config.quarantinePrefix),
  };
}
