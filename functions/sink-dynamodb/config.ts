import {
  optionalEnv,
  PIPELINE_ENV,
  type PipelineConfig,
  parsePipelineConfig,
  requireEnv,
} from '../core/config.js';
import { type AggregateSpec, parseAggregateSpecs } from '../core/dynamodb/aggregates.js';
import { ConfigError } from '../core/errors.js';
import { DEFAULT_EVENT_MARKER_TTL_SECONDS } from '../core/ledger.js';
import { DEFAULT_TOMBSTONE_TTL_SECONDS, DEFAULT_VIEW_CONCURRENCY } from './dynamodb-sink.js';
import { PREREAD_BREAK_EVEN } from './preread-policy.js';

/** Everything the DynamoDB sink reads from its environment, once per cold start. */
export interface DynamoSinkConfig {
  readonly sinkName: string;
  readonly viewTable: string;
  readonly ledgerTable: string;
  readonly pipeline: PipelineConfig;
  /** declarative aggregates of `STAYSYNC_PIPELINE.aggregates` */
  readonly aggregates: readonly AggregateSpec[];
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
  const pipelineJson = optionalEnv(PIPELINE_ENV, env);
  requireEnv('QUARANTINE_BUCKET', env);
  return Object.freeze({
    sinkName: optionalEnv('SINK_NAME', env) ?? DEFAULT_SINK_NAME,
    viewTable: requireEnv('VIEW_TABLE', env),
    ledgerTable: requireEnv('LEDGER_TABLE', env),
    pipeline: parsePipelineConfig(pipelineJson),
    aggregates: parseAggregateSpecs(pipelineJson),
    tombstoneTtlSeconds: positiveInt(
      env,
      'VIEW_TOMBSTONE_TTL_SECONDS',
      DEFAULT_TOMBSTONE_TTL_SECONDS,
    ),
    markerTtlSeconds: positiveInt(
      env,
      'EVENT_MARKER_TTL_SECONDS',
      DEFAULT_EVENT_MARKER_TTL_SECONDS,
    ),
    concurrency: positiveInt(env, 'VIEW_WRITE_CONCURRENCY', DEFAULT_VIEW_CONCURRENCY),
    preReadThreshold: fraction(env, 'VIEW_PREREAD_THRESHOLD', PREREAD_BREAK_EVEN),
  });
}

function fraction(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
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

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
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
