import { GetBootstrapBrokersCommand, KafkaClient } from '@aws-sdk/client-kafka';
import { mockClient } from 'aws-sdk-client-mock';
import type { Admin } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { iamBootstrapBrokers } from '../../../functions/adapters/kafka-admin-msk.js';
import type { CfnRequest } from '../../../functions/topic-provisioner/cfn-response.js';
import { sendResponse } from '../../../functions/topic-provisioner/cfn-response.js';
import { createHandler } from '../../../functions/topic-provisioner/create-handler.js';
import { parseTopicProperties } from '../../../functions/topic-provisioner/desired-topic.js';
import { type CaughtResponse, startResponseCatcher } from './response-catcher.js';

const CLUSTER_ARN = 'arn:aws:kafka:eu-west-1:123456789012:cluster/staysync-dev/abcd-1234';
const kafkaMock = mockClient(KafkaClient);

let catcher: Awaited<ReturnType<typeof startResponseCatcher>>;
beforeAll(async () => {
  catcher = await startResponseCatcher();
});
afterAll(async () => {
  await catcher.close();
});
/** The handler's log lines (kept out of the test output; one test reads them). */
const logged: string[] = [];
const log = (line: string) => {
  logged.push(line);
};
afterEach(() => {
  kafkaMock.reset();
  catcher.received.length = 0;
  logged.length = 0;
});

const request = (overrides: Partial<CfnRequest> = {}): CfnRequest => ({
  RequestType: 'Create',
  ResponseURL: catcher.url,
  StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/staysync-dev/guid',
  RequestId: 'req-1',
  LogicalResourceId: 'TopicOrders',
  ResourceType: 'Custom::StaysyncKafkaTopic',
  // CloudFormation delivers every property value as a string.
  ResourceProperties: {
    ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:provisioner',
    ClusterArn: CLUSTER_ARN,
    TopicName: 'orders',
    Partitions: '6',
    ReplicationFactor: '-1',
    Configs: { 'retention.ms': '604800000', 'cleanup.policy': 'delete' },
    Versioning: 'source',
    RemovalPolicy: 'retain',
  },
  ...overrides,
});

/** An admin that fails the test if the handler reaches Kafka when it should not. */
const unreachableAdmin = (): Admin => {
  throw new Error('the handler must not talk to Kafka for this request');
};

const lastResponse = (): CaughtResponse => {
  const r = catcher.received.at(-1);
  if (r === undefined) throw new Error('no response was PUT to the ResponseURL');
  return r;
};

describe('topic properties', () => {
  it('parses the stringified numbers CloudFormation sends', () => {
    const t = parseTopicProperties(request().ResourceProperties);
    expect(t).toEqual({
      name: 'orders',
      partitions: 6,
      replicationFactor: undefined,
      configs: { 'retention.ms': '604800000', 'cleanup.policy': 'delete' },
      versioning: 'source',
      removalPolicy: 'retain',
    });
  });

  it('names the bad property in its error', () => {
    expect(() =>
      parseTopicProperties({ ...request().ResourceProperties, Partitions: 'six' }),
    ).toThrow(/Partitions must be an integer/);
    expect(() =>
      parseTopicProperties({ ...request().ResourceProperties, TopicName: 'bad topic' }),
    ).toThrow(/TopicName/);
    expect(() =>
      parseTopicProperties({ ...request().ResourceProperties, RemovalPolicy: 'snapshot' }),
    ).toThrow(/RemovalPolicy/);
  });
});

describe('bootstrap brokers', () => {
  it('asks the control plane for the SASL/IAM brokers of the cluster', async () => {
    kafkaMock
      .on(GetBootstrapBrokersCommand, { ClusterArn: CLUSTER_ARN })
      .resolves({ BootstrapBrokerStringSaslIam: 'b-1.example:9098,b-2.example:9098' });
    await expect(
      iamBootstrapBrokers(new KafkaClient({ region: 'eu-west-1' }), CLUSTER_ARN),
    ).resolves.toEqual(['b-1.example:9098', 'b-2.example:9098']);
  });

  it('explains a cluster without IAM authentication', async () => {
    kafkaMock
      .on(GetBootstrapBrokersCommand)
      .resolves({ BootstrapBrokerStringTls: 'b-1.example:9094' });
    await expect(
      iamBootstrapBrokers(new KafkaClient({ region: 'eu-west-1' }), CLUSTER_ARN),
    ).rejects.toThrow(/no SASL\/IAM bootstrap brokers: enable IAM client authentication/);
  });
});

describe('custom resource responses', () => {
  it('PUTs a FAILED response with the reason, the request ids and a fallback physical id when a Create is invalid', async () => {
    const handler = createHandler(
      { AWS_REGION: 'eu-west-1' },
      { kafkaClient: new KafkaClient({}), adminFor: unreachableAdmin, log },
    );
    await handler(
      request({ ResourceProperties: { ...request().ResourceProperties, Partitions: '0' } }),
      {
        logStreamName: '2026/01/01/[$LATEST]abc',
        getRemainingTimeInMillis: () => 60_000,
      },
    );
    const { method, headers, body } = lastResponse();
    expect(method).toBe('PUT');
    // The pre-signed URL is signed without a content type.
    expect(headers['content-type']).toBe('');
    expect(body).toEqual({
      Status: 'FAILED',
      Reason:
        'Create failed: Partitions must be an integer >= 1, got "0" (log stream 2026/01/01/[$LATEST]abc)',
      PhysicalResourceId: 'kafka-topic-not-created:req-1',
      StackId: request().StackId,
      RequestId: 'req-1',
      LogicalResourceId: 'TopicOrders',
      NoEcho: false,
    });
    // One JSON log line per request, at ERROR, with the response sent.
    expect(logged.map((line) => JSON.parse(line))).toEqual([
      {
        level: 'ERROR',
        message: 'custom resource response',
        requestType: 'Create',
        response: body,
      },
    ]);
  });

  it('reports an unreachable control plane as a failure instead of leaving the stack waiting', async () => {
    kafkaMock
      .on(GetBootstrapBrokersCommand)
      .rejects(new Error('connect ETIMEDOUT kafka.eu-west-1.amazonaws.com'));
    const handler = createHandler(
      { AWS_REGION: 'eu-west-1' },
      { kafkaClient: new KafkaClient({ region: 'eu-west-1' }), adminFor: unreachableAdmin, log },
    );
    await handler(request());
    expect(lastResponse().body).toMatchObject({
      Status: 'FAILED',
      Reason: 'Create failed: connect ETIMEDOUT kafka.eu-west-1.amazonaws.com',
    });
  });

  it('answers before the Lambda deadline when the work hangs', async () => {
    kafkaMock.on(GetBootstrapBrokersCommand).callsFake(() => new Promise(() => {}));
    const handler = createHandler(
      { AWS_REGION: 'eu-west-1' },
      { kafkaClient: new KafkaClient({ region: 'eu-west-1' }), adminFor: unreachableAdmin, log },
    );
    // 16 s left, 15 s safety margin: gives up after the 1 s floor.
    await handler(request(), { getRemainingTimeInMillis: () => 16_000 });
    expect(lastResponse().body).toMatchObject({
      Status: 'FAILED',
      Reason: expect.stringMatching(/^Create failed: gave up after 1 s before the Lambda timeout/),
    });
  });

  it('retains the topic on Delete by default, without calling AWS or Kafka', async () => {
    const handler = createHandler(
      { AWS_REGION: 'eu-west-1' },
      { kafkaClient: new KafkaClient({ region: 'eu-west-1' }), adminFor: unreachableAdmin, log },
    );
    await handler(request({ RequestType: 'Delete', PhysicalResourceId: 'kafka-topic:orders' }));
    expect(kafkaMock.calls()).toHaveLength(0);
    expect(lastResponse().body).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: 'kafka-topic:orders',
      Data: { TopicName: 'orders', Outcome: 'retained' },
    });
  });

  it('treats the Delete of a Create that never succeeded as done', async () => {
    const handler = createHandler(
      { AWS_REGION: 'eu-west-1' },
      { kafkaClient: new KafkaClient({ region: 'eu-west-1' }), adminFor: unreachableAdmin, log },
    );
    await handler(
      request({
        RequestType: 'Delete',
        PhysicalResourceId: 'kafka-topic-not-created:req-0',
        ResourceProperties: {
          ...request().ResourceProperties,
          RemovalPolicy: 'delete',
          Partitions: 'garbage',
        },
      }),
    );
    expect(lastResponse().body).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: 'kafka-topic-not-created:req-0',
    });
  });

  it('retries the PUT when the response endpoint answers 5xx, backing off between attempts', async () => {
    catcher.failNext(2);
    const slept: number[] = [];
    const body = {
      Status: 'SUCCESS',
      PhysicalResourceId: 'kafka-topic:orders',
      StackId: 's',
      RequestId: 'r',
      LogicalResourceId: 'l',
      NoEcho: false,
      Data: {},
    } as const;
    await sendResponse(catcher.url, body, 3, async (ms) => {
      slept.push(ms);
    });
    expect(catcher.received).toHaveLength(1);
    expect(slept).toEqual([400, 800]);
  });

  it('truncates a long failure reason so the response stays under the 4 KiB limit', async () => {
    const handler = createHandler(
      { AWS_REGION: 'eu-west-1' },
      { kafkaClient: new KafkaClient({}), adminFor: unreachableAdmin, log },
    );
    await handler(
      request({
        ResourceProperties: { ...request().ResourceProperties, TopicName: 'x'.repeat(5000) },
      }),
    );
    const body = lastResponse().body;
    expect(String(body.Reason).length).toBeLessThanOrEqual(2000);
    expect(JSON.stringify(body).length).toBeLessThan(4096);
  });
});
