import { DEFAULT_QUARANTINE_PREFIX } from '../adapters/quarantine-s3.js';
import { EnvVar, optionalEnv, requireEnv } from '../contract/env.js';
import { ConfigError } from '../core/errors.js';
import { parseRelaySource, type RelaySource } from './source.js';

/** Where the relay publishes: plaintext brokers (local stack) or MSK with IAM auth. */
export type KafkaTarget =
  | { readonly auth: 'none'; readonly brokers: readonly string[] }
  | { readonly auth: 'msk-iam'; readonly clusterArn: string; readonly region: string };

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
  const clusterArn = optionalEnv(EnvVar.mskClusterArn, env);
  const brokers = optionalEnv(EnvVar.kafkaBrokers, env);
  let kafka: KafkaTarget;
  if (clusterArn !== undefined) {
    kafka = {
      auth: 'msk-iam',
      clusterArn,
      region: optionalEnv('AWS_REGION', env) ?? clusterArn.split(':')[3] ?? 'us-east-1',
    };
  } else if (brokers !== undefined) {
    kafka = {
      auth: 'none',
      brokers: brokers
        .split(',')
        .map((b) => b.trim())
        .filter(Boolean),
    };
  } else {
    throw new ConfigError(
      `staysync: ${EnvVar.mskClusterArn} (MSK with IAM auth) or ${EnvVar.kafkaBrokers} (plaintext) is required`,
    );
  }
  return Object.freeze({
    name: optionalEnv(EnvVar.relayName, env) ?? DEFAULT_RELAY_NAME,
    source,
    kafka,
    quarantineBucket: requireEnv(EnvVar.quarantineBucket, env),
    quarantinePrefix: optionalEnv(EnvVar.quarantinePrefix, env) ?? DEFAULT_QUARANTINE_PREFIX,
  });
}
