import { GetBootstrapBrokersCommand, type KafkaClient } from '@aws-sdk/client-kafka';
import { generateAuthToken } from 'aws-msk-iam-sasl-signer-js';
import { Kafka, logLevel } from 'kafkajs';

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
 * A kafkajs client authenticating to MSK with IAM: SASL OAUTHBEARER carrying a token the
 * AWS MSK IAM signer makes from the function's own credentials (no secret to store).
 */
export function mskIamKafka(brokers: readonly string[], region: string, clientId: string): Kafka {
  return new Kafka({
    clientId,
    brokers: [...brokers],
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
    logLevel: logLevel.WARN,
  });
}
