import { randomBytes } from 'node:crypto';
import { GetBootstrapBrokersCommand, KafkaClient } from '@aws-sdk/client-kafka';
import { mockClient } from 'aws-sdk-client-mock';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CfnRequest } from '../../../functions/topic-provisioner/cfn-response.js';
import { createHandler } from '../../../functions/topic-provisioner/create-handler.js';
import { loadStackEnv } from '../../support/stack-env.js';
import { startResponseCatcher } from '../../unit/topic-provisioner/response-catcher.js';

// The MSK control plane is mocked (GetBootstrapBrokers answers the local brokers); the
// topic work runs against the real local Kafka, over PLAINTEXT instead of IAM/TLS.
const CLUSTER_ARN = 'arn:aws:kafka:eu-west-1:123456789012:cluster/staysync-test/abcd-1234';
const stack = loadStackEnv();
const kafka = new Kafka({
  clientId: 'topic-provisioner-test',
  brokers: [...stack.kafkaBrokers],
  logLevel: logLevel.NOTHING,
});
const kafkaMock = mockClient(KafkaClient);
const created: string[] = [];

let catcher: Awaited<ReturnType<typeof startResponseCatcher>>;
let observer: Admin;
beforeAll(async () => {
  catcher = await startResponseCatcher();
  observer = kafka.admin();
  await observer.connect();
});
afterAll(async () => {
  const existing = await observer.listTopics();
  const mine = created.filter((t) => existing.includes(t));
  if (mine.length > 0) await observer.deleteTopics({ topics: mine });
  await observer.disconnect();
  await catcher.close();
});
beforeEach(() => {
  kafkaMock.reset();
  kafkaMock
    .on(GetBootstrapBrokersCommand, { ClusterArn: CLUSTER_ARN })
    .resolves({ BootstrapBrokerStringSaslIam: stack.kafkaBrokers.join(',') });
});

const handler = createHandler(
  { AWS_REGION: 'eu-west-1' },
  {
    kafkaClient: new KafkaClient({ region: 'eu-west-1' }),
    adminFor: () => kafka.admin(),
    log: () => undefined,
  },
);

function topicName(): string {
  const name = `prov-${randomBytes(5).toString('hex')}`;
  created.push(name);
  return name;
}

const props = (name: string, overrides: Record<string, unknown> = {}) => ({
  ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:provisioner',
  ClusterArn: CLUSTER_ARN,
  TopicName: name,
  Partitions: '3',
  ReplicationFactor: '-1',
  Configs: { 'retention.ms': '86400000', 'cleanup.policy': 'delete' },
  Versioning: 'source',
  RemovalPolicy: 'retain',
  ...overrides,
});

const request = (
  type: CfnRequest['RequestType'],
  resourceProperties: Record<string, unknown>,
  physicalId?: string,
): CfnRequest => ({
  RequestType: type,
  ResponseURL: catcher.url,
  StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/staysync-test/guid',
  RequestId: `req-${randomBytes(4).toString('hex')}`,
  LogicalResourceId: 'Topic',
  ResourceType: 'Custom::StaysyncKafkaTopic',
  ResourceProperties: resourceProperties,
  ...(physicalId === undefined ? {} : { PhysicalResourceId: physicalId }),
});

async function partitionsOf(name: string): Promise<number> {
  const meta = await observer.fetchTopicMetadata({ topics: [name] });
  return meta.topics[0]?.partitions.length ?? 0;
}

async function configOf(name: string, key: string): Promise<string | undefined> {
  const res = await observer.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: 2 /* TOPIC */, name, configNames: [key] }],
  });
  return res.resources[0]?.configEntries.find((e) => e.configName === key)?.configValue;
}

describe('topic provisioner against a real Kafka broker', () => {
  it('creates the topic with its partitions and configs and answers SUCCESS with its physical id', async () => {
    const name = topicName();
    const res = await handler(request('Create', props(name)));
    expect(res).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: `kafka-topic:${name}`,
      Data: { Partitions: '3', Outcome: 'created' },
    });
    expect(catcher.received.at(-1)?.body).toEqual(res);
    expect(await partitionsOf(name)).toBe(3);
    expect(await configOf(name, 'retention.ms')).toBe('86400000');
  });

  it('grows partitions and changes configs on Update', async () => {
    const name = topicName();
    await handler(request('Create', props(name)));
    const res = await handler(
      request(
        'Update',
        props(name, {
          Partitions: '6',
          Configs: { 'retention.ms': '3600000', 'cleanup.policy': 'compact,delete' },
        }),
        `kafka-topic:${name}`,
      ),
    );
    expect(res).toMatchObject({ Status: 'SUCCESS', Data: { Partitions: '6', Outcome: 'updated' } });
    expect(res.Data?.Changes).toBe(
      'partitions 3 -> 6; retention.ms 86400000 -> 3600000; cleanup.policy delete -> compact,delete',
    );
    expect(await partitionsOf(name)).toBe(6);
    // The controller has committed the change; the broker's view follows within moments.
    await expect.poll(() => configOf(name, 'retention.ms'), { timeout: 10_000 }).toBe('3600000');
    await expect
      .poll(() => configOf(name, 'cleanup.policy'), { timeout: 10_000 })
      .toBe('compact,delete');
  });

  it('reports an Update that changes nothing as unchanged', async () => {
    const name = topicName();
    await handler(request('Create', props(name)));
    const res = await handler(request('Update', props(name), `kafka-topic:${name}`));
    expect(res).toMatchObject({ Status: 'SUCCESS', Data: { Outcome: 'unchanged', Changes: '' } });
  });

  it('refuses a partition decrease with the reason, leaving the topic as it was', async () => {
    const name = topicName();
    await handler(request('Create', props(name, { Partitions: '4' })));
    const res = await handler(
      request('Update', props(name, { Partitions: '2' }), `kafka-topic:${name}`),
    );
    expect(res.Status).toBe('FAILED');
    expect(res.PhysicalResourceId).toBe(`kafka-topic:${name}`);
    expect(res.Reason).toContain(
      `cannot decrease the partitions of topic ${name} from 4 to 2: Kafka cannot remove partitions`,
    );
    expect(await partitionsOf(name)).toBe(4);
  });

  it('refuses to add partitions to a log-versioned topic, whose keys must never move', async () => {
    const name = topicName();
    await handler(request('Create', props(name, { Versioning: 'log' })));
    const res = await handler(
      request('Update', props(name, { Versioning: 'log', Partitions: '5' }), `kafka-topic:${name}`),
    );
    expect(res.Status).toBe('FAILED');
    expect(res.Reason).toContain('it is log-versioned');
    expect(await partitionsOf(name)).toBe(3);
  });

  it('adopts a topic that already exists on Create instead of failing', async () => {
    const name = topicName();
    await observer.createTopics({ topics: [{ topic: name, numPartitions: 2 }] });
    const res = await handler(request('Create', props(name)));
    expect(res).toMatchObject({ Status: 'SUCCESS', Data: { Outcome: 'updated' } });
    expect(await partitionsOf(name)).toBe(3);
  });

  it('keeps the topic on Delete when the removal policy is retain', async () => {
    const name = topicName();
    await handler(request('Create', props(name)));
    const res = await handler(request('Delete', props(name), `kafka-topic:${name}`));
    expect(res).toMatchObject({ Status: 'SUCCESS', Data: { Outcome: 'retained' } });
    expect(await observer.listTopics()).toContain(name);
  });

  it('deletes the topic on Delete when the removal policy is delete, and succeeds again when it is gone', async () => {
    const name = topicName();
    await handler(request('Create', props(name, { RemovalPolicy: 'delete' })));
    const res = await handler(
      request('Delete', props(name, { RemovalPolicy: 'delete' }), `kafka-topic:${name}`),
    );
    expect(res).toMatchObject({ Status: 'SUCCESS', Data: { Outcome: 'deleted' } });
    await expect
      .poll(async () => (await observer.listTopics()).includes(name), { timeout: 30_000 })
      .toBe(false);
    const again = await handler(
      request('Delete', props(name, { RemovalPolicy: 'delete' }), `kafka-topic:${name}`),
    );
    expect(again).toMatchObject({ Status: 'SUCCESS', Data: { Outcome: 'absent' } });
  });
});
