import { GetBootstrapBrokersCommand, KafkaClient } from '@aws-sdk/client-kafka';
import { generateAuthToken } from 'aws-msk-iam-sasl-signer-js';
import { Kafka, type KafkaConfig, logLevel } from 'kafkajs';

/**
 * The MSK control-plane client's settings: the dual-stack endpoint, the only one the
 * `aws.api.<region>.kafka-api` interface endpoint of a NAT-less VPC answers
 * (infra/constructs/network.ts; MSK developer guide, "Use Amazon MSK APIs with interface
 * VPC endpoints").
 */
export const MSK_API_CLIENT_CONFIG = { useDualstackEndpoint: true } as const;

/** An MSK control-plane client for `region` (or the SDK's default), dual-stack. */
export const mskApiClient = (region: string | undefined): KafkaClient =>
  new KafkaClient({ ...MSK_API_CLIENT_CONFIG, ...(region === undefined ? {} : { region }) });

/** Bootstrap brokers of the cluster's SASL/IAM listener (provisioned and Serverless alike). */
export async function iamBootstrapBrokers(
  client: KafkaClient,
  clusterArn: string,
): Promise<string[]> {
  const res = await client.send(new GetBootstrapBrokersCommand({ ClusterArn: clusterArn }));
  const brokers = res.BootstrapBrokerStringSaslIam ?? res.BootstrapBrokerStringPublicSaslIam;
  if (brokers === undefined || brokers.trim() === '') {
    throw new Error(
      `cluster ${clusterArn} has no SASL/IAM bootstrap brokers: enable IAM client authentication`,
    );
  }
  return brokers.split(',').map((b) => b.trim());
}

/**
 * kafkajs settings that authenticate to MSK with IAM: TLS, and SASL OAUTHBEARER carrying a
 * token the AWS MSK IAM signer makes from the caller's own credentials (the default
 * provider chain: a Lambda role, a profile, SSO...; no secret to store).
 */
export function mskIamKafkaConfig(region: string): Omit<KafkaConfig, 'brokers'> {
  return {
    ssl: true,
    sasl: {
      mechanism: 'oauthbearer',
      oauthBearerProvider: async () => {
        const { token } = await generateAuthToken({ region });
        return { value: token };
      },
    },
    connectionTimeout: 10_000,
    requestTimeout: 30_000,
    retry: { retries: 5 },
  };
}

/** A kafkajs client authenticating to MSK with IAM ({@link mskIamKafkaConfig}). */
export function mskIamKafka(brokers: readonly string[], region: string, clientId: string): Kafka {
  return new Kafka({
    ...mskIamKafkaConfig(region),
    clientId,
    brokers: [...brokers],
    logLevel: logLevel.WARN,
  });
}
