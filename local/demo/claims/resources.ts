import { DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Admin } from 'kafkajs';
import { EnvVar } from '../../../functions/contract/env.js';
import { createPkTable, emptyAndDeleteBucket } from '../../aws/resources.js';

/** Everything one demo run creates, every name prefixed by its run id (a shared stack). */
export interface DemoResources {
  readonly claimsTopic: string;
  readonly decisionsTopic: string;
  readonly transfersTopic: string;
  readonly claimsTable: string;
  readonly balancesTable: string;
  readonly ledgerTable: string;
  readonly bucket: string;
  /** the claims function's environment */
  readonly claimsEnv: Record<string, string>;
  /** the transfers function's environment */
  readonly transfersEnv: Record<string, string>;
  drop(): Promise<void>;
}

export async function createDemoResources(
  vars: Readonly<Record<string, string>>,
  clients: { readonly ddb: DynamoDBClient; readonly s3: S3Client; readonly admin: Admin },
  runId: string,
  partitions: number,
): Promise<DemoResources> {
  const names = {
    claimsTopic: `${runId}-claims`,
    decisionsTopic: `${runId}-claim-decisions`,
    transfersTopic: `${runId}-transfers`,
    claimsTable: `${runId}-claims`,
    balancesTable: `${runId}-balances`,
    ledgerTable: `${runId}-ledger`,
    bucket: `${runId}-quarantine`,
  };
  const topics = [names.claimsTopic, names.decisionsTopic, names.transfersTopic];
  const tables = [names.claimsTable, names.balancesTable, names.ledgerTable];
  await clients.admin.createTopics({
    topics: topics.map((topic) => ({ topic, numPartitions: partitions })),
    waitForLeaders: true,
  });
  for (const table of tables) await createPkTable(clients.ddb, table);
  await clients.s3.send(new CreateBucketCommand({ Bucket: names.bucket }));
  const common = {
    ...vars,
    [EnvVar.ledgerTable]: names.ledgerTable,
    [EnvVar.quarantineBucket]: names.bucket,
    [EnvVar.kafkaBrokers]: vars[EnvVar.kafkaBrokers] ?? '',
  };
  return {
    ...names,
    claimsEnv: {
      ...common,
      [EnvVar.claimsTable]: names.claimsTable,
      [EnvVar.claimDecisionsTopic]: names.decisionsTopic,
    },
    transfersEnv: { ...common, [EnvVar.balancesTable]: names.balancesTable },
    drop: async () => {
      await clients.admin.deleteTopics({ topics });
      for (const TableName of tables) await clients.ddb.send(new DeleteTableCommand({ TableName }));
      await emptyAndDeleteBucket(clients.s3, names.bucket);
    },
  };
}
