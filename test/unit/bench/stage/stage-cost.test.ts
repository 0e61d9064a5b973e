import { describe, expect, it } from 'vitest';
import { PRICES } from '../../../../bench/lib/prices.js';
import {
  fixedLines,
  mappingCost,
  pollerModel,
  stageCost,
} from '../../../../bench/stage/stage-cost.js';
import { HOURS_PER_MONTH, STAGE_PRICES } from '../../../../bench/stage/stage-prices.js';
import type { CfnTemplate } from '../../../../bench/stage/synth-stages.js';

const epuMonth = STAGE_PRICES.lambdaEpuHour.usd * HOURS_PER_MONTH;

const template: CfnTemplate = {
  Resources: {
    Cluster: { Type: 'AWS::MSK::ServerlessCluster', Properties: {} },
    TopicA: { Type: 'Custom::StaysyncKafkaTopic', Properties: { Partitions: 6 } },
    TopicB: { Type: 'Custom::StaysyncKafkaTopic', Properties: { Partitions: 4 } },
    Domain: {
      Type: 'AWS::OpenSearchService::Domain',
      Properties: {
        ClusterConfig: {
          InstanceCount: 2,
          InstanceType: 't3.small.search',
          DedicatedMasterEnabled: true,
          DedicatedMasterCount: 3,
          DedicatedMasterType: 'm7g.large.search',
        },
        EBSOptions: { VolumeSize: 10 },
      },
    },
    Sts: {
      Type: 'AWS::EC2::VPCEndpoint',
      Properties: { VpcEndpointType: 'Interface', SubnetIds: ['a', 'b'] },
    },
    S3: { Type: 'AWS::EC2::VPCEndpoint', Properties: { VpcEndpointType: 'Gateway' } },
    Plain: { Type: 'AWS::CloudWatch::Alarm', Properties: { MetricName: 'Errors' } },
    MathAlarm: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: { Metrics: [{ MetricStat: {} }, { MetricStat: {} }, { Expression: 'm1+m2' }] },
    },
    PipelineSinkdynamodbABC: { Type: 'AWS::Lambda::Function', Properties: { MemorySize: 1024 } },
    Map1: {
      Type: 'AWS::Lambda::EventSourceMapping',
      Properties: {
        Topics: ['t1'],
        BatchSize: 500,
        FunctionName: { Ref: 'PipelineSinkdynamodbABC' },
        ProvisionedPollerConfig: { MinimumPollers: 2, PollerGroupName: 'g' },
      },
    },
    Map2: {
      Type: 'AWS::Lambda::EventSourceMapping',
      Properties: {
        Topics: ['t2'],
        BatchSize: 500,
        FunctionName: { Ref: 'PipelineSinkdynamodbABC' },
        ProvisionedPollerConfig: { MinimumPollers: 1, PollerGroupName: 'g' },
      },
    },
  },
};

describe('deployed-stage cost model', () => {
  it('pools the minimum pollers of a poller group, 10 to an EPU, and prices ungrouped mappings an EPU each', () => {
    const six = Array.from({ length: 6 }, () => ({ minimumPollers: 1, group: 'stage' }));
    const grouped = pollerModel(six);
    expect(grouped.epus).toBe(1);
    expect(grouped.epusWithoutGroups).toBe(6);
    expect(grouped.usdPerMonth).toBeCloseTo(epuMonth, 6);
    expect(grouped.usdPerMonthWithoutGroups).toBeCloseTo(6 * epuMonth, 6);
    const mixed = pollerModel([
      { minimumPollers: 7, group: 'g' },
      { minimumPollers: 7, group: 'g' },
      { minimumPollers: 12, group: undefined },
    ]);
    expect(mixed.epus).toBe(2 + 2);
    expect(mixed.ungrouped).toBe(1);
  });

  it('prices each fixed resource of a template by the hour or the GB-month', () => {
    const lines = fixedLines(template);
    const usd = (prefix: string) => lines.find((l) => l.item.startsWith(prefix))?.usdPerMonth;
    const h = HOURS_PER_MONTH;
    expect(usd('MSK Serverless cluster')).toBeCloseTo(0.75 * h, 6);
    expect(usd('MSK Serverless partitions (10)')).toBeCloseTo(10 * 0.0015 * h, 6);
    expect(usd('OpenSearch data nodes (2 × t3.small.search)')).toBeCloseTo(2 * 0.036 * h, 6);
    expect(usd('OpenSearch masters (3 × m7g.large.search)')).toBeCloseTo(3 * 0.136 * h, 6);
    expect(usd('OpenSearch gp3 storage')).toBeCloseTo(20 * 0.122, 6);
    expect(usd('Interface VPC endpoints')).toBeCloseTo(2 * 0.01 * h, 6);
    expect(usd('CloudWatch alarms')).toBeCloseTo((1 + 2) * 0.1, 6);
  });

  it('prices a million events through a mapping from its batch size and memory', () => {
    const m = mappingCost(
      { sink: 'dynamodb', topic: 't', batchSize: 500, memoryMb: 1024 },
      {
        perEvent: {
          dynamodb: { cpuMs: 1, wru: 1 },
          opensearch: { cpuMs: 0, wru: 0 },
          's3-archive': { cpuMs: 0, wru: 0 },
        },
        requestLatencyMs: 10,
      },
    );
    const batches = 2000;
    expect(m.perMillion.dynamo).toBeCloseTo(
      ((1e6 + batches) * PRICES.dynamoWruPerMillion + batches * PRICES.dynamoRruPerMillion) / 1e6,
      9,
    );
    expect(m.perMillion.lambdaRequests).toBeCloseTo((batches * 0.2) / 1e6, 12);
    // 1 GB × (500 × 1 ms + 3 × 10 ms) per batch
    expect(m.perMillion.lambdaDuration).toBeCloseTo(batches * 0.53 * PRICES.lambdaArmGbSecond, 9);
    expect(m.perMillion.s3).toBe(0);
  });

  it('adds the event poller units to the fixed total and costs every sink mapping', () => {
    const s = stageCost(template, {
      perEvent: {
        dynamodb: { cpuMs: 1, wru: 1 },
        opensearch: { cpuMs: 0, wru: 0 },
        's3-archive': { cpuMs: 0, wru: 0 },
      },
      requestLatencyMs: 10,
    });
    expect(s.pollers.epus).toBe(1);
    expect(s.mappings.map((m) => `${m.sink}/${m.topic}/${m.memoryMb}`)).toEqual([
      'dynamodb/t1/1024',
      'dynamodb/t2/1024',
    ]);
    expect(s.fixedUsdPerMonth).toBeCloseTo(
      fixedLines(template).reduce((a, l) => a + l.usdPerMonth, 0) + epuMonth,
      6,
    );
  });
});
