/**
 * A stage as `cdk deploy` would ship it, run on the local stack: the template's function
 * environments (tokens replaced by local table, bucket and endpoint names, and nothing
 * else) and, with bundling, the exact bundles CDK wrote to its asset output directory.
 * Shared by deploy-parity.test.ts (the handlers from source, in process) and
 * bundles-as-shipped.test.ts (the bundles, each in a fresh Node process).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { Client } from '@opensearch-project/opensearch';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, expect } from 'vitest';
import { EnvVar } from '../../../functions/contract/index.js';
import { aggregateItemKey } from '../../../functions/core/dynamodb/aggregates.js';
import type { MskBatchResponse, MskEvent } from '../../../functions/core/msk-event.js';
import type { StageConfig } from '../../../infra/config/types.js';
import { StaysyncStack } from '../../../infra/stacks/staysync-stack.js';
import { buildMskEvent, type FetchedRecord } from '../../../local/esm/event-builder.js';
import {
  createPkTable,
  emptyAndDeleteBucket,
  listAllKeys,
  localDynamoDb,
  localS3,
  uniqueName,
} from '../../support/aws.js';
import { readTopic } from '../../support/kafka-topic.js';
import { loadStackEnv } from '../../support/stack-env.js';
import { streamRecord } from '../../unit/relay-dynamodb-streams/stream-records.js';
import { ordersByCustomer, scanAll } from '../sink-dynamodb/support.js';
import { ProcessorChecks, type ProcessorStores, processorSettings } from './deployed-processors.js';

export const stack = loadStackEnv();
const kafka = new Kafka({ brokers: [...stack.kafkaBrokers], logLevel: logLevel.NOTHING });
const kafkaAdmin = kafka.admin();
const dynamo = localDynamoDb(stack);
const s3 = localS3(stack);
const search = new Client({ node: stack.opensearchEndpoint });

/** A Debezium (Postgres) topic whose records all carry the entity `order`. */
export const TOPIC = 'pg.public.orders';
export const SINKS = ['dynamodb', 'opensearch', 's3-archive'] as const;
export type Sink = (typeof SINKS)[number];
export const PROCESSORS = ['claims', 'transfers'] as const;
/** Every function of the stage that reads a stream, and the topic provisioner. */
export type FunctionName = Sink | (typeof PROCESSORS)[number] | 'relay' | 'topicProvisioner';
/** The stage's source (a created table relayed in CDC mode). */
const SOURCE = 'customers';

const aggregate = ordersByCustomer;

/**
 * Every feature the handlers have that a stage can declare (issue 16 item 8; the claims and
 * transfers processors of issue 20).
 */
export function parityStage(stores: LocalStores): StageConfig {
  const { indexPrefix, relayTopic } = stores;
  const { topics: processorTopics, ...processors } = processorSettings(stores);
  return {
    stageName: 'parity',
    kafka: { mode: 'serverless' },
    topics: [
      { name: TOPIC, partitions: 1, format: 'debezium', entity: 'order' },
      { name: relayTopic, partitions: 1 },
      ...processorTopics,
    ],
    sources: [
      {
        name: SOURCE,
        table: { partitionKey: 'id' },
        mode: 'cdc',
        entity: 'customer',
        keyAttributes: ['id'],
        versionAttribute: 'v',
        topic: relayTopic,
      },
    ],
    sinks: {
      dynamodb: {
        topics: [TOPIC],
        aggregates: [aggregate],
        projections: [{ entity: 'order', omit: ['note'], rename: { amount: 'total' } }],
      },
      opensearch: { topics: [TOPIC] },
      's3-archive': { topics: [TOPIC] },
    },
    ...processors,
    openSearch: {
      serviceLinkedRole: 'exists',
      dataNodes: 1,
      index: {
        numberOfShards: 2,
        numberOfReplicas: 0,
        settings: { 'index.refresh_interval': '7s' },
      },
    },
    indexPrefix,
  };
}

export interface SynthesizedStage {
  readonly stack: StaysyncStack;
  readonly template: Template;
  /** the cloud assembly directory (asset output) */
  readonly outdir: string;
}

/** Synthesizes the stage into `outdir`; with `bundle`, esbuild writes every function's bundle. */
export function synthesize(stage: StageConfig, outdir: string, bundle: boolean): SynthesizedStage {
  const app = new App({
    outdir,
    context: bundle ? {} : { 'aws:cdk:bundling-stacks': [] },
  });
  const s = new StaysyncStack(app, `staysync-${stage.stageName}`, { stage });
  app.synth();
  return { stack: s, template: Template.fromStack(s), outdir };
}

type Cfn = { Properties: Record<string, unknown> };

/** The logical id of the AWS::Lambda::Function a construct path belongs to. */
function functionResource(synth: SynthesizedStage, sink: FunctionName): Cfn {
  const { stack: s, template } = synth;
  const fn =
    sink === 'topicProvisioner'
      ? s.pipeline.topicProvisioning.function
      : sink === 'relay'
        ? s.pipeline.relays.get(SOURCE)?.function
        : sink === 'claims' || sink === 'transfers'
          ? s.pipeline.processors.get(sink)?.function
          : s.pipeline.sinks.get(sink)?.function;
  if (fn === undefined) throw new Error(`no ${sink} function in the stage`);
  const id = (s.resolve(fn.functionName) as { Ref: string }).Ref;
  const resource = template.toJSON().Resources[id] as Cfn | undefined;
  if (resource === undefined) throw new Error(`no resource ${id}`);
  return resource;
}

/** The function's `Environment.Variables` exactly as the template has them. */
export function templateEnvironment(
  synth: SynthesizedStage,
  sink: FunctionName,
): Record<string, unknown> {
  const env = functionResource(synth, sink).Properties.Environment as
    | { Variables: Record<string, unknown> }
    | undefined;
  return { ...(env?.Variables ?? {}) };
}

/** The directory of the bundle CDK wrote for the function (asset of its `Code`). */
export function bundleDirectory(synth: SynthesizedStage, sink: FunctionName): string {
  const code = functionResource(synth, sink).Properties.Code as { S3Key: string };
  const hash = code.S3Key.replace(/\.zip$/, '');
  const manifest = JSON.parse(
    readFileSync(path.join(synth.outdir, `${synth.stack.artifactId}.assets.json`), 'utf8'),
  ) as { files: Record<string, { source: { path: string } }> };
  const asset = manifest.files[hash];
  if (asset === undefined) throw new Error(`no asset ${hash} in the assembly`);
  return path.join(synth.outdir, asset.source.path);
}

/** Local stores standing in for the stage's tables, buckets and domain; `drop()` removes them. */
export class LocalStores implements ProcessorStores {
  readonly indexPrefix = uniqueName('parity');
  readonly ledger = uniqueName('parity-ledger');
  readonly view = uniqueName('parity-view');
  readonly quarantine = uniqueName('parity-quarantine');
  readonly archive = uniqueName('parity-archive');
  readonly relayTopic = uniqueName('parity-relay');
  readonly claimsTopic = uniqueName('parity-claims');
  readonly decisionsTopic = uniqueName('parity-decisions');
  readonly transfersTopic = uniqueName('parity-transfers');
  readonly claimsTable = uniqueName('parity-claims');
  readonly balancesTable = uniqueName('parity-balances');
  readonly processors = new ProcessorChecks(kafka, dynamo, stack.kafkaBrokers, this);

  // Claims requests reach the function as events only; the other topics are produced to.
  get #topics(): string[] {
    return [this.relayTopic, this.decisionsTopic, this.transfersTopic];
  }
  get #tables(): string[] {
    return [this.ledger, this.view, this.claimsTable, this.balancesTable];
  }

  async create(): Promise<void> {
    await kafkaAdmin.connect();
    await kafkaAdmin.createTopics({
      topics: this.#topics.map((topic) => ({ topic, numPartitions: 1 })), // as the stage declares
      waitForLeaders: true,
    });
    for (const table of this.#tables) await createPkTable(dynamo, table);
    for (const Bucket of [this.quarantine, this.archive])
      await s3.send(new CreateBucketCommand({ Bucket }));
  }

  async drop(): Promise<void> {
    await kafkaAdmin.deleteTopics({ topics: this.#topics }).catch(() => undefined);
    await kafkaAdmin.disconnect();
    for (const TableName of this.#tables)
      await dynamo.send(new DeleteTableCommand({ TableName })).catch(() => undefined);
    for (const bucket of [this.quarantine, this.archive])
      await emptyAndDeleteBucket(s3, bucket).catch(() => undefined);
    await search.transport.request(
      {
        method: 'DELETE',
        path: `/${this.indexPrefix}-*`,
        querystring: { expand_wildcards: 'all' },
      },
      { ignore: [404] },
    );
    await search.transport.request(
      { method: 'DELETE', path: `/_index_template/${this.indexPrefix}-*` },
      { ignore: [404] },
    );
  }

  /**
   * The template's variables with each CloudFormation reference replaced by the local
   * resource it stands for. A reference to anything else fails: a variable the handler
   * needs must come from the template, not from the test.
   */
  localize(synth: SynthesizedStage, variables: Record<string, unknown>): Record<string, string> {
    const { pipeline } = synth.stack;
    const domain = pipeline.search?.domain;
    const processorTable = (kind: (typeof PROCESSORS)[number], local: string) => {
      const table = pipeline.processors.get(kind)?.table;
      return table === undefined ? [] : [[table.tableName, local] as const];
    };
    const known = new Map<string, string>(
      [
        [pipeline.tables.ledger.tableName, this.ledger],
        [pipeline.tables.view.tableName, this.view],
        ...processorTable('claims', this.claimsTable),
        ...processorTable('transfers', this.balancesTable),
        [pipeline.buckets.quarantine.bucketName, this.quarantine],
        [pipeline.buckets.archive.bucketName, this.archive],
        ...(domain === undefined
          ? []
          : [[`https://${domain.domainEndpoint}`, stack.opensearchEndpoint] as const]),
      ].map(([token, local]) => [JSON.stringify(synth.stack.resolve(token)), local]),
    );
    const clusterArn = JSON.stringify(synth.stack.resolve(pipeline.cluster.clusterArn));
    return Object.fromEntries(
      Object.entries(variables).map(([name, value]) => {
        if (typeof value === 'string') return [name, value];
        // The local broker speaks plaintext, not MSK IAM: the relay's other documented
        // target, KAFKA_BROKERS, stands in for the cluster (taken when MSK_CLUSTER_ARN is unset).
        if (name === EnvVar.mskClusterArn && JSON.stringify(value) === clusterArn)
          return [EnvVar.kafkaBrokers, stack.kafkaBrokers.join(',')];
        const local = known.get(JSON.stringify(value));
        if (local === undefined)
          throw new Error(`${name}: no local stand-in for ${JSON.stringify(value)}`);
        return [name, local];
      }),
    );
  }
}

/** The SDK's variables pointing at the local emulators (region, credentials, endpoints). */
export const localSdkVariables = (): Record<string, string> =>
  Object.fromEntries(Object.entries(stack.vars).filter(([k]) => k.startsWith('AWS_')));

/**
 * Two Debezium inserts of orders of one customer (Postgres `lsn` positions), as MSK
 * delivers them: the key a JSON struct, the value Debezium's envelope.
 */
export function debeziumEvent(): MskEvent {
  const order = (offset: number, id: number, amount: number): FetchedRecord => ({
    topic: TOPIC,
    partition: 0,
    offset,
    timestamp: Date.parse('2026-11-26T10:00:00Z') + offset,
    timestampType: 'CREATE_TIME',
    key: Buffer.from(JSON.stringify({ id })),
    value: Buffer.from(
      JSON.stringify({
        before: null,
        after: { id, customerId: 'c-1', amount, note: 'internal' },
        op: 'c',
        ts_ms: 1_764_151_200_000 + offset,
        source: { name: 'pg', table: 'orders', lsn: 1000 * (offset + 1), ts_ms: 1_764_151_200_000 },
      }),
    ),
    headers: [],
  });
  return buildMskEvent(
    {
      eventSourceArn: 'arn:aws:kafka:us-east-1:123456789012:cluster/parity/uuid-1',
      bootstrapServers: stack.kafkaBrokers.join(','),
    },
    [order(0, 7, 12.5), order(1, 8, 7.25)],
  );
}

/** Each sink applied both orders: the projected view and the aggregate, the documents, the archive. */
export async function expectLanded(
  sink: Sink,
  stores: LocalStores,
  response: MskBatchResponse,
): Promise<void> {
  expect(response.batchItemFailures).toEqual([]);
  if (sink === 'dynamodb') {
    const items = await scanAll(dynamo, stores.view);
    const order7 = items.find((i) => i.pk === 'order#7');
    // The projection: `note` omitted, `amount` renamed (the aggregate sums the change's own `amount`).
    expect(order7).toMatchObject({ id: 7, customerId: 'c-1', total: 12.5 });
    expect(order7).not.toHaveProperty('note');
    expect(order7).not.toHaveProperty('amount');
    const total = items.find((i) => i.pk === aggregateItemKey(aggregate.name, 'c-1'));
    expect({ count: Number(total?.orderCount), sum: Number(total?.totalSpent) }).toEqual({
      count: 2,
      sum: 19.75,
    });
  } else if (sink === 'opensearch') {
    const alias = `${stores.indexPrefix}-order`;
    await search.indices.refresh({ index: alias });
    const hits = await search.search({ index: alias, body: { query: { match_all: {} } } });
    expect(hits.body.hits.hits.map((h) => h._id).sort()).toEqual(['7', '8']);
    const settings = await search.indices.getSettings({ index: alias });
    const index = Object.values(settings.body)[0]?.settings?.index as Record<string, unknown>;
    expect(index).toMatchObject({
      number_of_shards: '2',
      number_of_replicas: '0',
      refresh_interval: '7s',
    });
  } else {
    const keys = await listAllKeys(s3, stores.archive);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(new RegExp(`^archive/topic=${TOPIC}/dt=2026-11-26/partition=0/`));
  }
}

/**
 * The parity stage for one test file: synthesized (with bundling or without) into a fresh
 * directory and backed by fresh local stores before the tests; all removed after them.
 */
export function useDeployedStage(bundle: boolean): {
  readonly stores: LocalStores;
  readonly synth: () => SynthesizedStage;
} {
  const stores = new LocalStores();
  const outdir = mkdtempSync(path.join(tmpdir(), 'staysync-stage-'));
  let synth: SynthesizedStage | undefined;
  beforeAll(async () => {
    synth = synthesize(parityStage(stores), outdir, bundle);
    await stores.create();
  }, 600_000);
  afterAll(async () => {
    await stores.drop();
    rmSync(outdir, { recursive: true, force: true });
  });
  return {
    stores,
    synth: () => {
      if (synth === undefined) throw new Error('the stage is synthesized in beforeAll');
      return synth;
    },
  };
}

/** One INSERT of the source table as its DynamoDB stream delivers it to the relay. */
export const streamEvent = () => ({
  Records: [
    streamRecord('INSERT', { newImage: { id: { S: '42' }, v: { N: '3' }, name: { S: 'Ada' } } }),
  ],
});

/** The relay published the insert to its topic: keyed `customer:42`, an upsert at 2v. */
export async function expectRelayed(stores: LocalStores, response: unknown): Promise<void> {
  expect(response).toEqual({ batchItemFailures: [] });
  const [record] = await readTopic(kafka, stores.relayTopic, 1);
  expect(record?.key?.toString()).toBe('customer:42');
  expect(JSON.parse(String(record?.value))).toMatchObject({
    entity: 'customer',
    key: '42',
    op: 'upsert',
    version: 6,
    data: { id: '42', v: 3, name: 'Ada' },
  });
}
