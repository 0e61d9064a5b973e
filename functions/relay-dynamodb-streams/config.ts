import { DEFAULT_QUARANTINE_PREFIX } from '../adapters/quarantine-s3.js';
import { EnvVar, optionalEnv, requireEnv } from '../contract/env.js';
import { type KafkaTarget, readKafkaTarget } from '../runtime/kafka-target.js';
import { parseRelaySource, type RelaySource } from './source.js';

/** Everything the relay reads from its environment, once per cold start. */
export interface RelayConfig {
  readonly name: string;
  readonly source: RelaySource;
  readonly kafka: KafkaTarget;
  readonly quarantineBucket: string;
  readonly quarantinePrefix: string;
}

export const DEFAULT_RELAY_NAME = 'relay';

/**
 * Reads and validates the relay's variables (docs/relay-dynamodb-streams.md), failing the
 * cold start with a ConfigError naming the variable:
 * `STAYSYNC_RELAY_SOURCE` (JSON), `QUARANTINE_BUCKET`, and either `MSK_CLUSTER_ARN` (IAM
 * auth; brokers from GetBootstrapBrokers) or `KAFKA_BROKERS` (plaintext, local stack).
 */
export function readRelayConfig(env: NodeJS.ProcessEnv): RelayConfig {
  const source = parseRelaySource(optionalEnv(EnvVar.relaySource, env), EnvVar.relaySource);
  const kafka = readKafkaTarget(env);
  return Object.freeze({
    name: optionalEnv(EnvVar.relayName, env) ?? DEFAULT_RELAY_NAME,
    source,
    kafka,
    quarantineBucket: requireEnv(EnvVar.quarantineBucket, env),
    quarantinePrefix: optionalEnv(EnvVar.quarantinePrefix, env) ?? DEFAULT_QUARANTINE_PREFIX,
  });
}
