import { readFileSync } from 'node:fs';
import { KafkaClient } from '@aws-sdk/client-kafka';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { MSK_API_CLIENT_CONFIG } from '../../../functions/topic-provisioner/create-handler.js';
import { stages } from '../../../infra/config/stages.js';
import type { StageConfig } from '../../../infra/config/types.js';
import { StaysyncStack } from '../../../infra/stacks/staysync-stack.js';
import { synthTemplates } from '../support/pipeline-app.js';

// Issue 16: what a first `cdk deploy` (and a clean delete) needs, pinned on the dev, prod and
// imported-cluster templates. The AWS pages each rule comes from are cited in docs/infra.md.
type Synth = ReturnType<typeof synthTemplates>;
let s: Synth;
beforeAll(() => {
  s = synthTemplates();
});

type Resource = {
  Type: string;
  Properties: Record<string, unknown>;
  DependsOn?: string[];
};
const resourcesOf = (which: keyof Synth, type: string): [string, Resource][] =>
  Object.entries(s[which].template.findResources(type)) as [string, Resource][];

describe('MSK API endpoint (the provisioner calls GetBootstrapBrokers without NAT)', () => {
  it('creates the dual-stack aws.api.<region>.kafka-api endpoint whose private DNS name the provisioner client resolves', async () => {
    // The host the provisioner's SDK client calls in eu-west-1 (the prod stage's region)...
    const client = new KafkaClient({
      region: 'eu-west-1',
      ...MSK_API_CLIENT_CONFIG,
      credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' },
    });
    const { url } = await client.config.endpointProvider({
      Region: 'eu-west-1',
      UseDualStack: await client.config.useDualstackEndpoint(),
      UseFIPS: false,
    });
    expect(url.hostname).toBe('kafka-api.eu-west-1.api.aws');
    // ...is the endpoint service name read backwards, and that endpoint has private DNS on.
    const service = url.hostname.split('.').reverse().join('.');
    expect(service).toBe('aws.api.eu-west-1.kafka-api');
    s.prod.template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: service,
      VpcEndpointType: 'Interface',
      PrivateDnsEnabled: true,
    });
  });

  it('no longer creates the com.amazonaws.<region>.kafka endpoint (unsupported for new connections)', () => {
    for (const which of ['dev', 'prod'] as const) {
      const names = resourcesOf(which, 'AWS::EC2::VPCEndpoint').map(([, r]) =>
        JSON.stringify(r.Properties.ServiceName),
      );
      expect(
        names.some((n) => /com\.amazonaws\.[^"]*\.kafka"/.test(n) || n.endsWith('.kafka"')),
      ).toBe(false);
      expect(names.some((n) => n.includes('.kafka-api'))).toBe(true);
    }
  });
});

describe('custom resources: ordering and timeout', () => {
  it('makes every topic resource depend on every VPC endpoint, their security group rules and the 9098 rule', () => {
    for (const which of ['dev', 'prod'] as const) {
      const endpoints = resourcesOf(which, 'AWS::EC2::VPCEndpoint').map(([id]) => id);
      expect(endpoints.length).toBe(5);
      const ingress = resourcesOf(which, 'AWS::EC2::SecurityGroupIngress');
      const kafkaRule = ingress.filter(([, r]) => r.Properties.FromPort === 9098).map(([id]) => id);
      expect(kafkaRule).toHaveLength(1);
      const endpointSg = s[which].stack.resolve(
        s[which].stack.pipeline.network.endpointSecurityGroup?.securityGroupId,
      ) as { 'Fn::GetAtt': [string, string] };
      const endpointRules = ingress
        .filter(([, r]) => JSON.stringify(r.Properties.GroupId) === JSON.stringify(endpointSg))
        .map(([id]) => id);
      expect(endpointRules.length).toBeGreaterThan(0);
      const topics = resourcesOf(which, 'Custom::StaysyncKafkaTopic');
      // dev also declares its claims and transfers topics
      expect(topics.length).toBe({ dev: 6, prod: 3 }[which]);
      for (const [, topic] of topics) {
        expect(topic.DependsOn).toEqual(
          expect.arrayContaining([...endpoints, ...kafkaRule, ...endpointRules]),
        );
      }
    }
  });

  it('gives every custom resource a ServiceTimeout well under the one-hour default', () => {
    for (const which of ['dev', 'prod', 'imp'] as const) {
      const custom = Object.values(
        s[which].template.toJSON().Resources as Record<string, Resource>,
      ).filter(
        (r) => r.Type.startsWith('Custom::') || r.Type === 'AWS::CloudFormation::CustomResource',
      );
      expect(custom.length).toBeGreaterThan(0);
      for (const r of custom) expect(Number(r.Properties.ServiceTimeout)).toBe(900);
    }
  });
});

describe('least privilege on the on-failure destination', () => {
  it('grants each sink only s3:PutObject on the failure bucket objects and s3:ListBucket on it', () => {
    for (const which of ['dev', 'prod', 'imp'] as const) {
      const { stack, template } = s[which];
      const bucket = stack.resolve(stack.pipeline.buckets.failures.bucketArn);
      const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
        (p) =>
          (
            p as {
              Properties: {
                PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] };
              };
            }
          ).Properties.PolicyDocument.Statement,
      );
      const onFailureBucket = statements.filter((st) =>
        JSON.stringify(st.Resource).includes(JSON.stringify(bucket).slice(1, -1)),
      );
      expect(onFailureBucket.length).toBeGreaterThan(0);
      const actions = new Set(onFailureBucket.flatMap((st) => [st.Action].flat() as string[]));
      expect([...actions].sort()).toEqual(['s3:ListBucket', 's3:PutObject']);
    }
  });
});

/** Synthesizes one stage on its own (for settings the app's stages do not use). */
function synthStage(stage: StageConfig): Template {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  return Template.fromStack(new StaysyncStack(app, `staysync-${stage.stageName}`, { stage }));
}
const devStage = stages.dev as StageConfig;

describe('OpenSearch service-linked role (explicit: create or exists)', () => {
  it("creates the role, retained on deletion, before the domain when the stage says 'create'", () => {
    const { template } = s.dev;
    const roles = Object.entries(template.findResources('AWS::IAM::ServiceLinkedRole'));
    expect(roles).toHaveLength(1);
    const [roleId, role] = roles[0] as [string, { Properties: unknown; DeletionPolicy: string }];
    expect(role.Properties).toMatchObject({ AWSServiceName: 'opensearchservice.amazonaws.com' });
    expect(role.DeletionPolicy).toBe('Retain');
    const [domain] = Object.values(template.findResources('AWS::OpenSearchService::Domain')) as {
      DependsOn?: string[];
    }[];
    expect(domain?.DependsOn).toContain(roleId);
  });

  it("creates no role when the stage says 'exists'", () => {
    s.prod.template.resourceCountIs('AWS::IAM::ServiceLinkedRole', 0);
  });

  it('refuses at synth an OpenSearch stage that does not say which, with how to find out', () => {
    const { serviceLinkedRole: _, ...openSearch } = devStage.openSearch ?? {};
    expect(() => synthStage({ ...devStage, stageName: 'noslr', openSearch })).toThrow(
      /openSearch\.serviceLinkedRole must be 'create' or 'exists'.*aws iam get-role --role-name AWSServiceRoleForAmazonOpenSearchService/s,
    );
  });
});

describe('provisioned MSK broker count', () => {
  it('refuses at synth brokers that cannot be spread evenly over the client subnets, naming the rule', () => {
    const stage: StageConfig = {
      ...devStage,
      stageName: 'uneven',
      maxAzs: 2,
      kafka: { mode: 'provisioned', brokerNodes: 3 },
    };
    expect(() => synthStage(stage)).toThrow(
      /kafka\.brokerNodes \(3\) must be a multiple of the number of client subnets \(2.*spreads brokers evenly/s,
    );
    expect(() =>
      synthStage({ ...stage, kafka: { mode: 'provisioned', brokerNodes: 4 } }),
    ).not.toThrow();
  });
});

describe('event poller cost: one provisioned poller group per stage', () => {
  it('puts every mapping of a stage in the staysync-<stage> poller group, keeping its own minimum and maximum', () => {
    for (const which of ['dev', 'prod', 'imp'] as const) {
      const stage = s[which].stack.pipeline.config.stageName;
      // MSK mappings (they have Topics); a relay's DynamoDB stream mapping has no poller group.
      const mappings = resourcesOf(which, 'AWS::Lambda::EventSourceMapping').filter(
        ([, m]) => m.Properties.Topics !== undefined,
      );
      expect(mappings.length).toBeGreaterThan(0);
      for (const [, m] of mappings) {
        expect(m.Properties.ProvisionedPollerConfig).toMatchObject({
          PollerGroupName: `staysync-${stage}`,
          MinimumPollers: expect.any(Number),
          MaximumPollers: expect.any(Number),
        });
      }
    }
    s.prod.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      Topics: ['order-changes'],
      FunctionName: Match.anyValue(),
      ProvisionedPollerConfig: {
        MinimumPollers: 2,
        MaximumPollers: 20,
        PollerGroupName: 'staysync-prod',
      },
    });
  });

  it('refuses a stage whose mappings exceed what one poller group may hold', () => {
    // Only the two sink mappings count here: the dev stage's claims and transfers are left out.
    const { claims: _claims, transfers: _transfers, ...sinksOnly } = devStage;
    const stage: StageConfig = {
      ...sinksOnly,
      stageName: 'toomany',
      sinks: {
        dynamodb: { topics: ['customer-changes', 'order-changes'], pollers: { maximum: 1001 } },
      },
    };
    expect(() => synthStage(stage)).toThrow(/add up to 2002.*at most 2000/s);
  });
});

describe('alarms: only documented metrics, as the docs/infra.md alarm table lists them', () => {
  type Row = { namespace: string; metric: string; dimensions: string[]; missing: string };
  const table = (): Row[] => {
    const md = readFileSync(new URL('../../../docs/infra.md', import.meta.url), 'utf8');
    const block = md.split('<!-- alarm-table:start -->')[1]?.split('<!-- alarm-table:end -->')[0];
    if (block === undefined) throw new Error('docs/infra.md has no alarm table');
    const code = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '');
    return block
      .split('\n')
      .filter((l) => l.startsWith('| `'))
      .map((l) => {
        const [, , ns = '', metric = '', dims = '', missing = ''] = l.split('|');
        return {
          namespace: code(ns)[0] ?? '',
          metric: code(metric)[0] ?? '',
          dimensions: code(dims).sort(),
          missing: code(missing)[0] ?? '',
        };
      });
  };

  it('publishes each alarm on a metric, dimension set and missing-data rule of the table', () => {
    const rows = table();
    expect(rows.length).toBe(6);
    for (const which of ['dev', 'prod', 'imp'] as const) {
      for (const [id, alarm] of resourcesOf(which, 'AWS::CloudWatch::Alarm')) {
        const p = alarm.Properties as {
          Namespace?: string;
          MetricName?: string;
          Dimensions?: { Name: string }[];
          Metrics?: {
            MetricStat: {
              Metric: { Namespace: string; MetricName: string; Dimensions: { Name: string }[] };
            };
          }[];
          TreatMissingData?: string;
        };
        const m = p.Metrics?.[0]?.MetricStat.Metric ?? {
          Namespace: p.Namespace,
          MetricName: p.MetricName,
          Dimensions: p.Dimensions ?? [],
        };
        const row = rows.find((r) => r.namespace === m.Namespace && r.metric === m.MetricName);
        expect(
          row,
          `${which} ${id}: ${m.Namespace}/${m.MetricName} is not in the table`,
        ).toBeDefined();
        expect(m.Dimensions.map((d) => d.Name).sort(), `${which} ${id}`).toEqual(row?.dimensions);
        expect(p.TreatMissingData, `${which} ${id}`).toBe(row?.missing);
      }
    }
  });
});
