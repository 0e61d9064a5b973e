import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { StageConfig } from '../../../infra/config/types.js';
import { StaysyncStack } from '../../../infra/stacks/staysync-stack.js';
import { importedStage } from '../support/pipeline-app.js';

// A stage whose topics carry Avro: `orders` through a Confluent-compatible registry with
// basic auth (Debezium's usual setup: key and value), `ledger-log` through AWS Glue,
// `audit` through an unauthenticated Confluent registry (value only).
const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:registry-creds-AbCdEf';
const GLUE = 'arn:aws:glue:eu-west-1:123456789012:registry/cdc';
const stage: StageConfig = {
  ...importedStage,
  stageName: 'avro',
  topics: [
    {
      name: 'orders',
      partitions: 3,
      format: 'debezium',
      schemaRegistry: {
        confluentUrl: 'https://registry.example.com',
        secretArn: SECRET,
        attributes: ['KEY', 'VALUE'],
      },
    },
    { name: 'ledger-log', partitions: 2, schemaRegistry: { glueRegistryArn: GLUE } },
    { name: 'audit', partitions: 1, schemaRegistry: { confluentUrl: 'http://10.0.0.5:8081' } },
  ],
  sinks: {
    dynamodb: { topics: ['orders', 'ledger-log', 'audit'] },
    's3-archive': { topics: ['orders'] },
  },
};

let template: Template;
beforeAll(() => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  template = Template.fromStack(new StaysyncStack(app, 'staysync-avro', { stage }));
});

const mappingOf = (topic: string) => {
  const found = Object.values(
    template.findResources('AWS::Lambda::EventSourceMapping', {
      Properties: { Topics: [topic] },
    }),
  ) as Array<{ Properties: Record<string, unknown> }>;
  if (found.length === 0) throw new Error(`no mapping for ${topic}`);
  return found.map((m) => m.Properties);
};

/** MSK mappings keep it in AmazonManagedKafkaEventSourceConfig (CloudFormation reference). */
const registryOf = (mapping: Record<string, unknown> | undefined) =>
  (mapping?.AmazonManagedKafkaEventSourceConfig as { SchemaRegistryConfig?: unknown } | undefined)
    ?.SchemaRegistryConfig;

const statements = () =>
  Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (p) =>
      (p as { Properties: { PolicyDocument: { Statement: Array<Record<string, unknown>> } } })
        .Properties.PolicyDocument.Statement,
  );

describe('a topic schema registry', () => {
  it('synthesizes a Confluent SchemaRegistryConfig with basic auth, key and value, JSON, on provisioned mappings', () => {
    for (const mapping of mappingOf('orders')) {
      expect(registryOf(mapping)).toEqual({
        SchemaRegistryURI: 'https://registry.example.com',
        EventRecordFormat: 'JSON',
        AccessConfigs: [{ Type: 'BASIC_AUTH', URI: SECRET }],
        SchemaValidationConfigs: [{ Attribute: 'KEY' }, { Attribute: 'VALUE' }],
      });
      expect(mapping.ProvisionedPollerConfig).toBeDefined();
    }
    expect(mappingOf('orders')).toHaveLength(2); // dynamodb and s3-archive sinks
  });

  it('synthesizes a Glue SchemaRegistryConfig (value by default) without AccessConfigs', () => {
    const [mapping] = mappingOf('ledger-log');
    expect(registryOf(mapping)).toEqual({
      SchemaRegistryURI: GLUE,
      EventRecordFormat: 'JSON',
      SchemaValidationConfigs: [{ Attribute: 'VALUE' }],
    });
  });

  it('synthesizes an unauthenticated Confluent registry as its URL only', () => {
    const [mapping] = mappingOf('audit');
    expect(registryOf(mapping)).toEqual({
      SchemaRegistryURI: 'http://10.0.0.5:8081',
      EventRecordFormat: 'JSON',
      SchemaValidationConfigs: [{ Attribute: 'VALUE' }],
    });
  });

  it('grants reading the registry secret and the Glue registry, scoped to them', () => {
    const all = statements();
    const secretReads = all.filter((s) => JSON.stringify(s.Action).includes('secretsmanager:'));
    expect(secretReads.length).toBeGreaterThan(0);
    for (const s of secretReads) {
      expect(s.Action).toEqual(
        expect.arrayContaining(['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret']),
      );
      expect(s.Resource).toBe(SECRET);
    }
    expect(all).toContainEqual(
      expect.objectContaining({ Action: 'glue:GetRegistry', Resource: GLUE }),
    );
    expect(all).toContainEqual(
      expect.objectContaining({
        Action: 'glue:GetSchemaVersion',
        Resource: expect.arrayContaining([GLUE]),
      }),
    );
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'glue:GetSchemaVersion', Resource: Match.anyValue() }),
        ]),
      },
    });
  });
});
