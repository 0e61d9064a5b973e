import { DynamoLedger } from '../adapters/ledger-dynamodb.js';
import { DEFAULT_QUARANTINE_PREFIX, S3Quarantine } from '../adapters/quarantine-s3.js';
import {
  EnvVar,
  optionalEnv,
  type PipelineConfig,
  parsePipelineConfig,
  requireEnv,
} from '../contract/index.js';
import type { Ledger } from '../core/ledger.js';
import type { Quarantine } from '../core/quarantine.js';
import { dynamoDbClient, s3Client } from './aws-clients.js';
import type { SinkHandlerDeps } from './sink-handler.js';

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

/**
 * What an operator tool (local/redrive, local/rebuild) changes about a sink's wiring while
 * keeping its own write path: quieter logs and metrics it can count, and a view of the
 * ledger or quarantine (redrive reads no checkpoint so old offsets reach the sink). Lambda
 * passes none.
 */
export interface SinkOverrides
  extends Partial<Pick<SinkHandlerDeps, 'logger' | 'metrics' | 'retry'>> {
  readonly ledger?: (ledger: Ledger) => Ledger;
  readonly quarantine?: (quarantine: Quarantine) => Quarantine;
}

/** The ledger and quarantine every sink's engine uses, on the shared clients for `env`. */
export function sinkLedgerAndQuarantine(
  config: SinkCommonConfig,
  env: NodeJS.ProcessEnv,
  overrides: SinkOverrides = {},
): { readonly ledger: Ledger; readonly quarantine: Quarantine } {
  const ledger = new DynamoLedger(dynamoDbClient(env), config.ledgerTable);
  const quarantine = new S3Quarantine(
    s3Client(env),
    config.quarantineBucket,
    config.quarantinePrefix,
  );
  return {
    ledger: overrides.ledger?.(ledger) ?? ledger,
    quarantine: overrides.quarantine?.(quarantine) ?? quarantine,
  };
}

/** The engine settings of `overrides` (logger, metrics, retry), for createSinkHandler. */
export const engineOverrides = ({ ledger, quarantine, ...engine }: SinkOverrides) => engine;
