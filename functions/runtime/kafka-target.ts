import { Kafka, logLevel } from 'kafkajs';
import { iamBootstrapBrokers, mskApiClient, mskIamKafka } from '../adapters/kafka-admin-msk.js';
import { KafkaLogProducer } from '../adapters/kafka-producer.js';
import { EnvVar, optionalEnv } from '../contract/env.js';
import { ConfigError } from '../core/errors.js';

/** Where a function produces: plaintext brokers (local stack) or MSK with IAM auth. */
export type KafkaTarget =
  | { readonly auth: 'none'; readonly brokers: readonly string[] }
  | { readonly auth: 'msk-iam'; readonly clusterArn: string; readonly region: string };

/**
 * Reads `MSK_CLUSTER_ARN` (IAM auth; brokers from GetBootstrapBrokers) or `KAFKA_BROKERS`
 * (plaintext, the local stack), failing the cold start when neither is set.
 */
export function readKafkaTarget(env: NodeJS.ProcessEnv): KafkaTarget {
  const clusterArn = optionalEnv(EnvVar.mskClusterArn, env);
  const brokers = optionalEnv(EnvVar.kafkaBrokers, env);
  if (clusterArn !== undefined) {
    return {
      auth: 'msk-iam',
      clusterArn,
      region: optionalEnv('AWS_REGION', env) ?? clusterArn.split(':')[3] ?? 'us-east-1',
    };
  }
  if (brokers !== undefined) {
    return {
      auth: 'none',
      brokers: brokers
        .split(',')
        .map((b) => b.trim())
        .filter(Boolean),
    };
  }
  throw new ConfigError(
    `staysync: ${EnvVar.mskClusterArn} (MSK with IAM auth) or ${EnvVar.kafkaBrokers} (plaintext) is required`,
  );
}

/** A producer for `target`: the client is made, and MSK's brokers looked up, at the first send. */
export function lazyProducer(target: KafkaTarget, clientId: string): KafkaLogProducer {
  return new KafkaLogProducer(async () => {
    if (target.auth === 'none') {
      return new Kafka({ clientId, brokers: [...target.brokers], logLevel: logLevel.WARN });
    }
    const brokers = await iamBootstrapBrokers(mskApiClient(target.region), target.clusterArn);
    return mskIamKafka(brokers, target.region, clientId);
  });
}
