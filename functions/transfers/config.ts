import { EnvVar, optionalEnv, requireEnv } from '../contract/env.js';
import { ConfigError } from '../core/errors.js';
import { DEFAULT_EVENT_MARKER_TTL_SECONDS } from '../core/ledger.js';
import { type KafkaTarget, readKafkaTarget } from '../runtime/kafka-target.js';
import { readSinkCommonConfig, type SinkCommonConfig } from '../runtime/sink-config.js';

export const DEFAULT_TRANSFERS_NAME = 'transfers';

export interface TransfersConfig extends SinkCommonConfig {
  readonly balancesTable: string;
  readonly markerTtlSeconds: number;
  readonly kafka: KafkaTarget;
}

/**
 * The transfers function's variables (docs/claims.md): the common ones (`SINK_NAME`,
 * default `transfers`), `BALANCES_TABLE`, `EVENT_MARKER_TTL_SECONDS` and
 * `MSK_CLUSTER_ARN` or `KAFKA_BROKERS` (credit steps go back to the topic they came from).
 */
export function readTransfersConfig(env: NodeJS.ProcessEnv): TransfersConfig {
  const ttl = optionalEnv(EnvVar.eventMarkerTtlSeconds, env);
  const markerTtlSeconds = ttl === undefined ? DEFAULT_EVENT_MARKER_TTL_SECONDS : Number(ttl);
  if (!Number.isSafeInteger(markerTtlSeconds) || markerTtlSeconds <= 0) {
    throw new ConfigError(`staysync: ${EnvVar.eventMarkerTtlSeconds} must be a positive integer`);
  }
  return Object.freeze({
    ...readSinkCommonConfig(env, DEFAULT_TRANSFERS_NAME),
    balancesTable: requireEnv(EnvVar.balancesTable, env),
    markerTtlSeconds,
    kafka: readKafkaTarget(env),
  });
}
