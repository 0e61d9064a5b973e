import { GetBootstrapBrokersCommand, KafkaClient } from '@aws-sdk/client-kafka';
import { mockClient } from 'aws-sdk-client-mock';
import type { SASLOptions } from 'kafkajs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { kafkaAccess } from '../../../../local/reconcile/kafka-access.js';

// Only the MSK control plane (GetBootstrapBrokers) is mocked: it cannot run here. The IAM
// token is made by the real signer, which signs locally with the credentials it finds.
const kafkaMock = mockClient(KafkaClient);
const CLUSTER_ARN = 'arn:aws:kafka:eu-west-1:123456789012:cluster/staysync-prod/abcd-1234';

afterEach(() => {
  kafkaMock.reset();
  vi.unstubAllEnvs();
});

describe('how reconcile reaches Kafka', () => {
  it('uses the given brokers as they are without authentication', async () => {
    const access = await kafkaAccess({ brokers: ['127.0.0.1:19092'] });
    expect(access).toEqual({ brokers: ['127.0.0.1:19092'] });
  });

  it('refuses to run without brokers, or with an unknown authentication', async () => {
    await expect(kafkaAccess({ brokers: [] })).rejects.toThrow(/no brokers/);
    await expect(kafkaAccess({ auth: 'scram', brokers: ['b:9092'] })).rejects.toThrow(
      /--kafka-auth must be one of none, msk-iam, got scram/,
    );
    await expect(kafkaAccess({ auth: 'msk-iam', brokers: ['b:9098'] })).rejects.toThrow(
      /needs a region/,
    );
    await expect(
      kafkaAccess({ auth: 'msk-iam', brokers: [], region: 'eu-west-1' }),
    ).rejects.toThrow(/--cluster-arn to look them up/);
  });

  it('looks up the IAM brokers of an MSK cluster and signs an IAM token for its region', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY');
    vi.stubEnv('AWS_PROFILE', '');
    kafkaMock.on(GetBootstrapBrokersCommand, { ClusterArn: CLUSTER_ARN }).resolves({
      BootstrapBrokerStringSaslIam:
        'b-1.prod.kafka.eu-west-1.amazonaws.com:9098,b-2.prod.kafka.eu-west-1.amazonaws.com:9098',
    });

    const access = await kafkaAccess({
      auth: 'msk-iam',
      brokers: [],
      clusterArn: CLUSTER_ARN,
      region: 'us-east-1', // the cluster ARN's region wins
      kafkaClient: new KafkaClient({ region: 'eu-west-1' }),
    });

    expect(access.brokers).toEqual([
      'b-1.prod.kafka.eu-west-1.amazonaws.com:9098',
      'b-2.prod.kafka.eu-west-1.amazonaws.com:9098',
    ]);
    expect(access.kafka?.ssl).toBe(true);
    const sasl = access.kafka?.sasl as SASLOptions & { mechanism: 'oauthbearer' };
    expect(sasl.mechanism).toBe('oauthbearer');
    const { value } = await sasl.oauthBearerProvider();
    const url = new URL(Buffer.from(value, 'base64url').toString('utf8'));
    expect(url.host).toBe('kafka.eu-west-1.amazonaws.com');
    expect(url.searchParams.get('Action')).toBe('kafka-cluster:Connect');
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(
      /^AKIDEXAMPLE\/\d{8}\/eu-west-1\/kafka-cluster\/aws4_request$/,
    );
  });
});
