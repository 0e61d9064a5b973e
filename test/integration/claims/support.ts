import { randomUUID } from 'node:crypto';
import { DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Admin } from 'kafkajs';
import { EnvVar } from '../../../functions/contract/env.js';
import { createPkTable, emptyAndDeleteBucket, uniqueName } from '../../support/aws.js';
import type { StackEnv } from '../../support/stack-env.js';

/** A claim request as an application would publish it (docs/claims.md). */
export const request = (
  type: 'claim' | 'release',
  namespace: string,
  value: string,
  owner: string,
  requestId: string = randomUUID(),
) => ({
  key: `${namespace}:${value}`,
  value: JSON.stringify({
    type,
    requestId,
    namespace,
    value,
    owner,
    requestedAt: '2026-12-03T10:00:00Z',
  }),
});

/** Tables, topics and a bucket with names no other run uses; `drop()` removes them. */
export async function claimsResources(
  stack: StackEnv,
  ddb: DynamoDBClient,
  s3: S3Client,
  admin: Admin,
  prefix: string,
  partitions = 2,
) {
  const claimsTopic = uniqueName(`${prefix}-claims`);
  const tables: string[] = [];
  const topics: string[] = [claimsTopic];
  const bucket = uniqueName(`${prefix}-quarantine`);
  await admin.createTopics({
    topics: [{ topic: claimsTopic, numPartitions: partitions }],
    waitForLeaders: true,
  });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));

  /** A fresh, empty set of stores (claims table, ledger, decisions topic) for one run. */
  const stores = async (sinkName = 'claims') => {
    const claimsTable = uniqueName(`${prefix}-claims`);
    const ledgerTable = uniqueName(`${prefix}-ledger`);
    const decisionsTopic = uniqueName(`${prefix}-decisions`);
    for (const t of [claimsTable, ledgerTable]) await createPkTable(ddb, t);
    tables.push(claimsTable, ledgerTable);
    await admin.createTopics({
      topics: [{ topic: decisionsTopic, numPartitions: partitions }],
      waitForLeaders: true,
    });
    topics.push(decisionsTopic);
    const env: Record<string, string> = {
      ...stack.vars,
      [EnvVar.sinkName]: sinkName,
      [EnvVar.claimsTable]: claimsTable,
      [EnvVar.ledgerTable]: ledgerTable,
      [EnvVar.quarantineBucket]: bucket,
      [EnvVar.claimDecisionsTopic]: decisionsTopic,
      [EnvVar.kafkaBrokers]: stack.kafkaBrokers.join(','),
    };
    return { claimsTable, ledgerTable, decisionsTopic, env };
  };

  return {
    claimsTopic,
    bucket,
    stores,
    drop: async () => {
      await admin.deleteTopics({ topics });
      for (const TableName of tables) await ddb.send(new DeleteTableCommand({ TableName }));
      await emptyAndDeleteBucket(s3, bucket);
    },
  };
}
