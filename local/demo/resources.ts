/**
 * Names and lifecycle of everything one demo run uses, all derived from a run id so runs
 * (and test runs) never share a topic, table, bucket, index or consumer group.
 */
import { DeleteTableCommand, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import type { Admin } from 'kafkajs';
import { EnvVar } from '../../functions/contract/index.js';
import { dynamoDbClient, s3Client } from '../../functions/runtime/aws-clients.js';
import { createPkTable, emptyAndDeleteBucket } from '../aws/resources.js';

export const SinkNames = ['dynamodb', 'opensearch', 's3-archive'] as const;
export type SinkName = (typeof SinkNames)[number];

export interface RunNames {
  readonly runId: string;
  readonly topics: { readonly customer: string; readonly order: string };
  readonly ledgerTable: string;
  readonly viewTable: string;
  readonly archiveBucket: string;
  readonly archivePrefix: string;
  readonly quarantineBucket: string;
  readonly failureBucket: string;
  readonly indexPrefix: string;
  readonly groupOf: (sink: SinkName) => string;
}

export function runNames(runId: string): RunNames {
  if (!/^[a-z0-9][a-z0-9-]{0,30}$/.test(runId)) {
    throw new Error(
      `run id must be lowercase letters, digits and "-" (≤ 31), got ${JSON.stringify(runId)}`,
    );
  }
  const base = `ss-${runId}`;
  return {
    runId,
    topics: { customer: `${base}-customers`, order: `${base}-orders` },
    ledgerTable: `${base}-ledger`,
    viewTable: `${base}-view`,
    archiveBucket: `${base}-archive`,
    archivePrefix: 'archive',
    quarantineBucket: `${base}-quarantine`,
    failureBucket: `${base}-esm-failures`,
    indexPrefix: base,
    groupOf: (sink) => `staysync-${runId}-${sink}`,
  };
}

export async function createResources(
  names: RunNames,
  admin: Admin,
  partitions: number,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  await admin.createTopics({
    waitForLeaders: true,
    topics: Object.values(names.topics).map((topic) => ({
      topic,
      numPartitions: partitions,
      replicationFactor: 1,
    })),
  });
  const ddb = dynamoDbClient(env);
  for (const table of [names.ledgerTable, names.viewTable]) {
    await createPkTable(ddb, table, 60);
    await ddb.send(
      new UpdateTimeToLiveCommand({
        TableName: table,
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      }),
    );
  }
  const s3 = s3Client(env);
  for (const bucket of [names.archiveBucket, names.quarantineBucket, names.failureBucket]) {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  }
  // OpenSearch: each sink creates its index template, index and aliases on first use.
}

/** Deletes what `createResources` made and what the sinks created under the run's names. */
export async function deleteResources(
  names: RunNames,
  admin: Admin,
  env: NodeJS.ProcessEnv,
  openSearchEndpoint: string | undefined,
): Promise<void> {
  const settle = (p: Promise<unknown>) => p.catch(() => undefined);
  await settle(admin.deleteTopics({ topics: Object.values(names.topics) }));
  await settle(admin.deleteGroups(SinkNames.map(names.groupOf)));
  const ddb = dynamoDbClient(env);
  for (const table of [names.ledgerTable, names.viewTable])
    await settle(ddb.send(new DeleteTableCommand({ TableName: table })));
  const s3 = s3Client(env);
  for (const bucket of [names.archiveBucket, names.quarantineBucket, names.failureBucket]) {
    await settle(emptyAndDeleteBucket(s3, bucket));
  }
  if (openSearchEndpoint !== undefined) {
    const base = openSearchEndpoint.replace(/\/$/, '');
    await settle(
      fetch(`${base}/${names.indexPrefix}-*?expand_wildcards=all`, { method: 'DELETE' }),
    );
    await settle(fetch(`${base}/_index_template/${names.indexPrefix}-*`, { method: 'DELETE' }));
  }
}

/** The environment of one sink function (DESIGN §3.2), pointing at the local stack. */
export function sinkEnv(
  sink: SinkName,
  names: RunNames,
  stack: Readonly<Record<string, string>>,
  pipelineJson: string,
): Record<string, string> {
  // Each AWS service's own endpoint variable (Dynoxide for DynamoDB, moto for S3).
  const aws = {
    AWS_ENDPOINT_URL_DYNAMODB: stack.AWS_ENDPOINT_URL_DYNAMODB ?? '',
    AWS_ENDPOINT_URL_S3: stack.AWS_ENDPOINT_URL_S3 ?? '',
    AWS_REGION: stack.AWS_REGION ?? 'us-east-1',
    AWS_ACCESS_KEY_ID: stack.AWS_ACCESS_KEY_ID ?? 'test',
    AWS_SECRET_ACCESS_KEY: stack.AWS_SECRET_ACCESS_KEY ?? 'test',
  };
  const common = {
    ...aws,
    [EnvVar.sinkName]: sink,
    [EnvVar.ledgerTable]: names.ledgerTable,
    [EnvVar.quarantineBucket]: names.quarantineBucket,
    [EnvVar.pipeline]: pipelineJson,
    POWERTOOLS_LOG_LEVEL: 'WARN',
  };
  switch (sink) {
    case 'dynamodb':
      return { ...common, [EnvVar.viewTable]: names.viewTable };
    case 'opensearch':
      return {
        ...common,
        [EnvVar.openSearchEndpoint]: stack[EnvVar.openSearchEndpoint] ?? '',
        [EnvVar.indexPrefix]: names.indexPrefix,
      };
    case 's3-archive':
      return {
        ...common,
        [EnvVar.archiveBucket]: names.archiveBucket,
        [EnvVar.archivePrefix]: names.archivePrefix,
      };
  }
}
