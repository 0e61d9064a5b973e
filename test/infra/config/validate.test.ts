import { describe, expect, it } from 'vitest';
import { EnvVar, parseOpenSearchIndexEnv } from '../../../functions/contract/index.js';
import {
  parsePipelineAggregates,
  parsePipelineConfig,
  parsePipelineProjections,
} from '../../../functions/contract/pipeline.js';
import { stages } from '../../../infra/config/stages.js';
import type { PipelineSettings } from '../../../infra/config/types.js';
import {
  PipelineConfigError,
  pipelineJson,
  validatePipelineSettings,
} from '../../../infra/config/validate.js';

const valid: PipelineSettings = {
  stageName: 'test',
  kafka: { mode: 'serverless' },
  topics: [{ name: 'orders', partitions: 3 }],
  sinks: { dynamodb: { topics: ['orders'] } },
};

const problemsOf = (settings: PipelineSettings): readonly string[] => {
  try {
    validatePipelineSettings(settings);
  } catch (err) {
    if (err instanceof PipelineConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a PipelineConfigError');
};

describe('stage configuration', () => {
  it('accepts every stage the app synthesizes', () => {
    for (const stage of Object.values(stages))
      expect(() => validatePipelineSettings(stage)).not.toThrow();
  });

  it('fills the documented defaults', () => {
    const r = validatePipelineSettings(valid);
    expect(r.topics[0]).toEqual({
      name: 'orders',
      partitions: 3,
      replicationFactor: undefined,
      retentionMs: 168 * 3_600_000,
      cleanupPolicy: 'delete',
      versioning: 'source',
      removalPolicy: 'retain',
    });
    expect(r.sinks[0]).toMatchObject({
      batchSize: 500,
      batchingWindowSeconds: 1,
      minimumPollers: 1,
      maximumPollers: 10,
      retryAttempts: 10,
      maxRecordAgeSeconds: -1,
    });
    expect(r.indexPrefix).toBe('staysync-test');
    expect(r.dataRemovalPolicy).toBe('retain');
  });

  it('maps compaction with infinite retention to compact, and with finite retention to compact,delete', () => {
    const r = validatePipelineSettings({
      ...valid,
      topics: [
        { name: 'a', partitions: 1, compaction: true, retentionHours: -1 },
        { name: 'b', partitions: 1, compaction: true, retentionHours: 24 },
      ],
      sinks: { dynamodb: { topics: ['a', 'b'] } },
    });
    expect(r.topics.map((t) => [t.cleanupPolicy, t.retentionMs])).toEqual([
      ['compact', -1],
      ['compact,delete', 86_400_000],
    ]);
  });

  it('lists every problem at once, each naming its field', () => {
    const problems = problemsOf({
      stageName: 'Prod!',
      kafka: { mode: 'serverless' },
      topics: [
        { name: 'orders', partitions: 0, replicationFactor: 2 },
        { name: 'orders', partitions: 3 },
      ],
      sinks: {
        dynamodb: {
          topics: ['orders', 'missing'],
          batchSize: 20_000,
          pollers: { minimum: 5, maximum: 2 },
        },
      },
      archive: { lifecycle: { infrequentAccessAfterDays: 10 } },
      logRetentionDays: 10,
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^stageName must match/),
        expect.stringMatching(
          /^topics\[0\] \("orders"\)\.partitions must be an integer in \[1, 10000\], got 0/,
        ),
        'topics[0] ("orders").replicationFactor must be 3 or unset on MSK Serverless',
        'topics must have unique names',
        'sinks.dynamodb.topics names "missing", which is not in topics[]',
        'sinks.dynamodb.batchSize must be an integer in [1, 10000], got 20000',
        'sinks.dynamodb.pollers.minimum (5) must not exceed pollers.maximum (2)',
        'archive.lifecycle.infrequentAccessAfterDays must be 0 (never) or at least 30 (an S3 minimum)',
        expect.stringMatching(/^logRetentionDays must be one of/),
      ]),
    );
  });

  it('rejects an imported cluster given without the network it needs', () => {
    const problems = problemsOf({
      ...valid,
      kafka: {
        mode: 'imported',
        clusterArn: 'arn:aws:kafka:eu-west-1:1:cluster/x',
        vpcId: 'vpc-1',
        availabilityZones: ['a'],
        privateSubnetIds: [],
        securityGroupId: 'x',
      },
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^kafka.clusterArn must look like/),
        'kafka.privateSubnetIds must list subnet ids (subnet-...)',
        'kafka.availabilityZones must list one AZ per private subnet',
        'kafka.securityGroupId must be a security group id (sg-...)',
      ]),
    );
  });

  it('rejects an unknown sink and a pipeline without sinks', () => {
    expect(
      problemsOf({
        ...valid,
        sinks: { redis: { topics: ['orders'] } } as PipelineSettings['sinks'],
      }),
    ).toEqual([
      'sinks.redis is not a sink; expected one of dynamodb, opensearch, s3-archive',
      'sinks must configure at least one sink',
    ]);
  });

  it('passes format, entity and aggregates to the sinks in STAYSYNC_PIPELINE, as they parse it', () => {
    const aggregates = [
      { name: 'n', entity: 'order', groupBy: 'customerId', measures: { n: { count: true } } },
    ] as const;
    const r = validatePipelineSettings({
      ...valid,
      topics: [{ name: 'orders', partitions: 3, format: 'debezium', entity: 'order' }],
      sinks: { dynamodb: { topics: ['orders'], aggregates } },
    });
    const json = pipelineJson(r, r.sinks[0] as (typeof r.sinks)[number]);
    expect(parsePipelineConfig(json)).toEqual({
      topics: { orders: { versioning: 'source', format: 'debezium', entity: 'order' } },
    });
    expect(parsePipelineAggregates(json)).toEqual(aggregates);
  });

  it('writes only the versioning of a topic that sets nothing else', () => {
    const r = validatePipelineSettings(valid);
    expect(pipelineJson(r, r.sinks[0] as (typeof r.sinks)[number])).toBe(
      '{"topics":{"orders":{"versioning":"source"}}}',
    );
  });

  it('rejects a bad format or entity, and aggregates on a sink other than dynamodb or invalid', () => {
    const problems = problemsOf({
      ...valid,
      topics: [{ name: 'orders', partitions: 3, format: 'xml' as 'auto', entity: 'bad entity' }],
      sinks: {
        dynamodb: {
          topics: ['orders'],
          aggregates: [{ name: 'n', entity: 'order', groupBy: 'c', measures: {} }],
        },
        opensearch: {
          topics: ['orders'],
          aggregates: [
            { name: 'n', entity: 'order', groupBy: 'c', measures: { n: { count: true } } },
          ],
        },
      },
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/format must be one of auto, native, debezium/),
        expect.stringMatching(/entity must match/),
        expect.stringMatching(/sinks\.dynamodb\.aggregates: /),
        expect.stringMatching(/sinks\.opensearch\.aggregates: only the dynamodb sink/),
      ]),
    );
  });

  it('passes projections to the dynamodb sink in STAYSYNC_PIPELINE, as it parses them', () => {
    const projections = [{ entity: 'order', omit: ['note'], rename: { id: 'orderId' } }];
    const r = validatePipelineSettings({
      ...valid,
      sinks: { dynamodb: { topics: ['orders'], projections } },
    });
    const json = pipelineJson(r, r.sinks[0] as (typeof r.sinks)[number]);
    expect(parsePipelineProjections(json)).toEqual(projections);
  });

  it('rejects projections the sink would refuse at cold start, and on other sinks', () => {
    const problems = problemsOf({
      ...valid,
      sinks: {
        dynamodb: { topics: ['orders'], projections: [{ entity: 'order', rename: { id: 'pk' } }] },
        's3-archive': { topics: ['orders'], projections: [{ entity: 'order', pick: [''] }] },
      },
    });
    expect(problems).toEqual([
      expect.stringMatching(
        /^sinks\.dynamodb\.projections: projection order: rename id → pk: pk is reserved/,
      ),
      'sinks.s3-archive.projections: only the dynamodb sink applies projections',
      expect.stringMatching(
        /^sinks\.s3-archive\.projections: staysync: \w+\.projections\[0\]\.pick must be a list/,
      ),
    ]);
    expect(
      problemsOf({
        ...valid,
        sinks: {
          dynamodb: { topics: ['orders'], projections: [{ entity: 'a' }, { entity: 'a' }] },
        },
      }),
    ).toEqual(['sinks.dynamodb.projections: one projection per entity']);
  });

  it('turns openSearch.index into the sink variables its own parser reads back', () => {
    const settings = { 'index.refresh_interval': '5s' };
    const r = validatePipelineSettings({
      ...valid,
      openSearch: { index: { numberOfShards: 3, numberOfReplicas: 0, settings, version: 2 } },
    });
    expect(r.openSearch.indexEnv[EnvVar.openSearchNumberOfShards]).toBe('3');
    expect(parseOpenSearchIndexEnv(r.openSearch.indexEnv)).toEqual({
      numberOfShards: 3,
      numberOfReplicas: 0,
      extraSettings: settings,
      indexVersion: 2,
    });
    expect(validatePipelineSettings(valid).openSearch.indexEnv).toEqual({});
    expect(problemsOf({ ...valid, openSearch: { index: { numberOfShards: 0 } } })).toEqual([
      `openSearch.index: staysync: ${EnvVar.openSearchNumberOfShards} must be an integer ≥ 1, got "0"`,
    ]);
  });

  it("rejects a source the relay's own parser would refuse, and one on an unknown topic or stream", () => {
    const problems = problemsOf({
      ...valid,
      sources: [
        {
          name: 'cust',
          table: { partitionKey: 'id' },
          mode: 'cdc',
          entity: 'customer',
          versionAttribute: 'v',
          topic: 'orders',
        },
        {
          name: 'shop',
          table: {
            tableArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/shop',
            tableStreamArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/other/stream/1',
          },
          mode: 'outbox',
          topic: 'missing',
        },
      ],
    });
    expect(problems).toEqual([
      expect.stringMatching(
        /^sources\[0\] \("cust"\) is invalid:\n- keyAttributes must be a non-empty list/,
      ),
      'sources[1] ("shop").topic names "missing", which is not in topics[]',
      expect.stringMatching(
        /^sources\[1\] \("shop"\)\.table\.tableStreamArn must be the table's stream ARN/,
      ),
    ]);
  });

  it('fills source defaults and names a created table after the stage and the source', () => {
    const r = validatePipelineSettings({
      ...valid,
      sources: [{ name: 'shop', table: { partitionKey: 'pk' }, mode: 'outbox', topic: 'orders' }],
    });
    expect(r.sources[0]).toMatchObject({
      tableName: 'staysync-test-shop',
      batchSize: 100,
      batchingWindowSeconds: 0,
      retryAttempts: 10,
      maxRecordAgeSeconds: -1,
    });
    expect(JSON.parse(r.sources[0]?.relaySourceJson ?? '{}')).toEqual({
      mode: 'outbox',
      table: 'staysync-test-shop',
      topic: 'orders',
      envelopeAttribute: 'envelope',
    });
  });
});

describe('topic schema registries', () => {
  const withRegistry = (schemaRegistry: unknown): PipelineSettings => ({
    ...valid,
    topics: [{ name: 'orders', partitions: 3, schemaRegistry } as PipelineSettings['topics'][0]],
  });

  it('resolves a Confluent registry with a secret to basic auth, value only', () => {
    const r = validatePipelineSettings(
      withRegistry({
        confluentUrl: 'https://sr.example.com',
        secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:sr-AbCdEf',
      }),
    );
    expect(r.topics[0]?.schemaRegistry).toEqual({
      kind: 'confluent',
      url: 'https://sr.example.com',
      auth: {
        secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:sr-AbCdEf',
        type: 'BASIC_AUTH',
      },
      attributes: ['VALUE'],
      eventRecordFormat: 'JSON',
    });
  });

  it.each([
    [{}, /exactly one of glueRegistryArn and confluentUrl/],
    [
      { glueRegistryArn: 'arn:aws:glue:eu-west-1:1:registry/r', confluentUrl: 'https://x' },
      /exactly one/,
    ],
    [{ glueRegistryArn: 'arn:aws:glue:eu-west-1:1:schema/r/s' }, /glueRegistryArn must match/],
    [{ confluentUrl: 'ftp://x' }, /confluentUrl must be an http\(s\) URL/],
    [{ confluentUrl: 'https://x', authentication: 'BASIC_AUTH' }, /authentication needs secretArn/],
    [{ confluentUrl: 'https://x', secretArn: 'creds' }, /secretArn must be/],
    [
      { glueRegistryArn: 'arn:aws:glue:eu-west-1:1:registry/r', secretArn: 'x' },
      /secretArn and authentication are for Confluent/,
    ],
    [{ confluentUrl: 'https://x', attributes: [] }, /attributes must list KEY and\/or VALUE/],
    [{ confluentUrl: 'https://x', attributes: ['VALUE', 'VALUE'] }, /each once/],
    [
      { confluentUrl: 'https://x', eventRecordFormat: 'SOURCE' },
      /eventRecordFormat must be 'JSON'/,
    ],
  ])('refuses %j at synth', (registry, message) => {
    expect(problemsOf(withRegistry(registry)).join('\n')).toMatch(message);
  });
});
