import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { EnvVar } from '../../functions/contract/index.js';
import type { HouseFunction } from './house-function.js';
import type { KafkaCluster } from './kafka-cluster.js';
import type { SearchDomain } from './search-domain.js';

/**
 * One function per resource a sink uses: each sets the environment variable of DESIGN §3.2
 * (its name from the contract the functions read it by, functions/contract/env.ts) and
 * the matching IAM grant together, so the two cannot drift apart.
 */

// Exactly what the ledger/view adapters call (TransactWriteItems is authorised per item).
const TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
];

/** One identity statement on the function's role. */
const allow = (fn: HouseFunction, actions: string[], resources: string[]): void => {
  fn.addToRolePolicy(new iam.PolicyStatement({ actions, resources }));
};

export function bindLedger(fn: HouseFunction, table: dynamodb.ITable): void {
  fn.addEnvironment(EnvVar.ledgerTable, table.tableName);
  table.grant(fn, ...TABLE_ACTIONS);
}

/** The view sink also writes new keys as PartiQL INSERT statements (BatchExecuteStatement),
 *  authorised by `dynamodb:PartiQLInsert` on the table
 *  (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ql-iam.html). */
export function bindView(fn: HouseFunction, table: dynamodb.ITable): void {
  fn.addEnvironment(EnvVar.viewTable, table.tableName);
  table.grant(fn, ...TABLE_ACTIONS, 'dynamodb:PartiQLInsert');
}

/**
 * The claims processor's table (`CLAIMS_TABLE`) and decisions topic name
 * (`CLAIM_DECISIONS_TOPIC`; producing to it is {@link bindKafkaProducer}'s grant).
 */
export function bindClaims(
  fn: HouseFunction,
  table: dynamodb.ITable,
  decisionsTopic: string,
): void {
  fn.addEnvironment(EnvVar.claimsTable, table.tableName);
  fn.addEnvironment(EnvVar.claimDecisionsTopic, decisionsTopic);
  table.grant(fn, ...TABLE_ACTIONS);
}

/** The transfers processor's balances table (`BALANCES_TABLE`). */
export function bindBalances(fn: HouseFunction, table: dynamodb.ITable): void {
  fn.addEnvironment(EnvVar.balancesTable, table.tableName);
  table.grant(fn, ...TABLE_ACTIONS);
}

export function bindQuarantine(fn: HouseFunction, bucket: s3.IBucket): void {
  fn.addEnvironment(EnvVar.quarantineBucket, bucket.bucketName);
  fn.addToRolePolicy(
    new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [bucket.arnForObjects('*')] }),
  );
}

export function bindArchive(fn: HouseFunction, bucket: s3.IBucket, prefix: string): void {
  fn.addEnvironment(EnvVar.archiveBucket, bucket.bucketName);
  fn.addEnvironment(EnvVar.archivePrefix, prefix);
  // GetObject/HeadObject: after a crash the sink reads the end offset of an object it wrote.
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['s3:PutObject', 's3:GetObject'],
      resources: [bucket.arnForObjects(`${prefix}/*`)],
    }),
  );
  // ListBucket turns a missing key into 404 instead of 403; limited to the prefix.
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${prefix}/*`] } },
    }),
  );
}

/**
 * The domain, the index prefix and the index layout variables (`indexEnv`: the
 * `OPENSEARCH_*` index variables validate.ts built and checked with the sink's parser).
 */
export function bindSearch(
  fn: HouseFunction,
  search: SearchDomain,
  indexPrefix: string,
  indexEnv: Readonly<Record<string, string>>,
): void {
  fn.addEnvironment(EnvVar.openSearchEndpoint, `https://${search.domain.domainEndpoint}`);
  fn.addEnvironment(EnvVar.indexPrefix, indexPrefix);
  for (const [name, value] of Object.entries(indexEnv)) fn.addEnvironment(name, value);
  search.allowFunction(fn);
}

export function bindPipeline(fn: HouseFunction, sinkName: string, pipelineJson: string): void {
  fn.addEnvironment(EnvVar.sinkName, sinkName);
  fn.addEnvironment(EnvVar.pipeline, pipelineJson);
}

/**
 * The relay's source (`STAYSYNC_RELAY_SOURCE`, the JSON validate.ts checked with
 * `parseRelaySource`) and its name (`RELAY_NAME`). Reading the stream is granted by the
 * DynamoDB event source itself (`grantStreamRead`).
 */
export function bindRelaySource(fn: HouseFunction, name: string, relaySourceJson: string): void {
  fn.addEnvironment(EnvVar.relaySource, relaySourceJson);
  fn.addEnvironment(EnvVar.relayName, name);
}

/**
 * The MSK cluster a kafkajs idempotent producer writes to with IAM auth (`MSK_CLUSTER_ARN`),
 * and exactly what it calls:
 * - `kafka:GetBootstrapBrokers` on the cluster (the relay looks the SASL/IAM brokers up);
 * - "Produce data idempotently": `kafka-cluster:Connect`, `DescribeTopic`, `WriteData` and
 *   `WriteDataIdempotently` ("Common use cases for client authorization policy", MSK developer
 *   guide, https://docs.aws.amazon.com/msk/latest/developerguide/iam-access-control-use-cases.html);
 *   `Connect` and `WriteDataIdempotently` are cluster actions, `DescribeTopic` and `WriteData`
 *   topic actions, granted on this one topic's ARN.
 */
export function bindKafkaProducer(fn: HouseFunction, cluster: KafkaCluster, topic: string): void {
  fn.addEnvironment(EnvVar.mskClusterArn, cluster.clusterArn);
  allow(
    fn,
    ['kafka:GetBootstrapBrokers', 'kafka-cluster:Connect', 'kafka-cluster:WriteDataIdempotently'],
    [cluster.clusterArn],
  );
  allow(fn, ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'], [cluster.topicArn(topic)]);
}

/**
 * The MSK IAM data-plane permissions an event source mapping uses with the function's
 * role: connect to this cluster, read these topics, join and commit this consumer group.
 */
export function bindKafkaConsumer(
  fn: HouseFunction,
  cluster: KafkaCluster,
  topics: readonly string[],
  groups: readonly string[],
): void {
  allow(
    fn,
    [
      'kafka-cluster:Connect',
      'kafka-cluster:DescribeClusterDynamicConfiguration',
      'kafka:DescribeClusterV2',
    ],
    [cluster.clusterArn],
  );
  allow(
    fn,
    ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'],
    topics.map((t) => cluster.topicArn(t)),
  );
  allow(
    fn,
    ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'],
    groups.map((g) => cluster.groupArn(g)),
  );
}
