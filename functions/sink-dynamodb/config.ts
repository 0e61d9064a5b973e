import { EnvVar, type EnvVarName, optionalEnv, requireEnv } from '../contract/index.js';
import { parsePipelineProjections } from '../contract/pipeline.js';
import { type AggregateSpec, parseAggregateSpecs } from '../core/dynamodb/aggregates.js';
import { type Projection, projectionFromSpec } from '../core/dynamodb/projection.js';
import { ConfigError } from '../core/errors.js';
import { DEFAULT_EVENT_MARKER_TTL_SECONDS } from '../core/ledger.js';
import { readSinkCommonConfig, type SinkCommonConfig } from '../runtime/sink-config.js';
import { DEFAULT_TOMBSTONE_TTL_SECONDS, DEFAULT_VIEW_CONCURRENCY } from './dynamodb-sink.js';
import { PREREAD_BREAK_EVEN } from './preread-policy.js';

/** Everything the DynamoDB sink reads from its environment, once per cold start. */
export interface DynamoSinkConfig extends SinkCommonConfig {
  readonly viewTable: string;
  /** declarative aggregates of `STAYSYNC_PIPELINE.aggregates` */
  readonly aggregates: readonly AggregateSpec[];
  /** declarative projections of `STAYSYNC_PIPELINE.projections` */
  readonly projections: readonly Projection[];
  readonly tombstoneTtlSeconds: number;
  readonly markerTtlSeconds: number;
  readonly concurrency: number;
  /** stale share above which blind writes are preceded by a read (preread-policy.ts) */
  readonly preReadThreshold: number;
}

export const DEFAULT_SINK_NAME = 'dynamodb';

/**
 * Reads and validates the sink's variables (docs/sink-dynamodb.md lists them), failing
 * the cold start with a ConfigError naming the variable.
 */
export function readDynamoSinkConfig(env: NodeJS.ProcessEnv): DynamoSinkConfig {
  return Object.freeze({
    ...readSinkCommonConfig(env, DEFAULT_SINK_NAME),
    viewTable: requireEnv(EnvVar.viewTable, env),
    aggregates: parseAggregateSpecs(optionalEnv(EnvVar.pipeline, env)),
    projections: parsePipelineProjections(optionalEnv(EnvVar.pipeline, env)).map(
      projectionFromSpec,
    ),
    tombstoneTtlSeconds: positiveInt(
      env,
      EnvVar.viewTombstoneTtlSeconds,
      DEFAULT_TOMBSTONE_TTL_SECONDS,
    ),
    markerTtlSeconds: positiveInt(
      env,
      EnvVar.eventMarkerTtlSeconds,
      DEFAULT_EVENT_MARKER_TTL_SECONDS,
    ),
    concurrency: positiveInt(env, EnvVar.viewWriteConcurrency, DEFAULT_VIEW_CONCURRENCY),
    preReadThreshold: fraction(env, EnvVar.viewPreReadThreshold, PREREAD_BREAK_EVEN),
  });
}

function fraction(env: NodeJS.ProcessEnv, name: EnvVarName, fallback: number): number {
  const raw = optionalEnv(name, env);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    throw new ConfigError(
      `staysync: ${name} must be a number from 0 to 1, got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

function positiveInt(env: NodeJS.ProcessEnv, name: EnvVarName, fallback: number): number {
  const raw = optionalEnv(name, env);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new ConfigError(
      `staysync: ${name} must be a positive integer, got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}
