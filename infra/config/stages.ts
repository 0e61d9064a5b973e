import type { StageConfig, TopicSpec } from './types.js';

/** Example topics shared by the stages below; teams replace them with their own. */
const topics: readonly TopicSpec[] = [
  { name: 'customer-changes', partitions: 6, retentionHours: -1, compaction: true },
  { name: 'order-changes', partitions: 12, retentionHours: 24 * 14 },
  { name: 'audit-events', partitions: 3, retentionHours: 24 * 30, versioning: 'log' },
];

/**
 * The topics of the `dev` stage's claims and transfers examples. The requests and the
 * steps are the processors' whole input (replaying them rebuilds every decision and
 * balance), so they are kept forever and never compacted (a compacted key would lose all
 * but its last request); decisions only need to outlive a requester's wait. Offsets order
 * them: keys never move between partitions.
 */
const constraintTopics: readonly TopicSpec[] = [
  { name: 'username-claims', partitions: 6, retentionHours: -1, versioning: 'log' },
  { name: 'username-decisions', partitions: 6, retentionHours: 24 * 7, versioning: 'log' },
  { name: 'account-transfers', partitions: 6, retentionHours: -1, versioning: 'log' },
];

/**
 * The stages `infra/app.ts` synthesizes (select one with `-c stage=<name>`; all by default).
 * `dev` is environment-agnostic on MSK Serverless; `prod` pins an account/region (example
 * values) and runs a provisioned MSK cluster with dedicated OpenSearch masters.
 */
export const stages: Readonly<Record<string, StageConfig>> = {
  dev: {
    stageName: 'dev',
    kafka: { mode: 'serverless' },
    topics: [...topics, ...constraintTopics],
    sinks: {
      dynamodb: { topics: ['customer-changes', 'order-changes'] },
      opensearch: { topics: ['customer-changes'], batchSize: 200 },
      's3-archive': {
        topics: ['customer-changes', 'order-changes', 'audit-events'],
        batchSize: 2000,
        batchingWindowSeconds: 30,
      },
    },
    // An application's table relayed into the log (issue 18): its committed changes become
    // customer-changes records; the application bumps `version` on every write.
    sources: [
      {
        name: 'customers',
        table: { partitionKey: 'customerId' },
        mode: 'cdc',
        entity: 'customer',
        keyAttributes: ['customerId'],
        versionAttribute: 'version',
        topic: 'customer-changes',
        ttlDeletes: 'delete',
      },
    ],
    // Constraints without distributed transactions (issue 20, docs/claims.md): unique
    // usernames decided per value in log order, and transfers between accounts as debit and
    // credit steps. Each adds a table and a function; drop them if the stage needs neither.
    claims: { requestsTopic: 'username-claims', decisionsTopic: 'username-decisions' },
    transfers: { topic: 'account-transfers' },
    // 'create' for the first OpenSearch stage of an account; 'exists' once it has the role.
    openSearch: {
      dataNodes: 1,
      instanceType: 't3.small.search',
      volumeSizeGiB: 10,
      serviceLinkedRole: 'create',
    },
    logRetentionDays: 14,
    dataRemovalPolicy: 'destroy',
  },
  prod: {
    stageName: 'prod',
    env: {
      account: '123456789012',
      region: 'eu-west-1',
      availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
    },
    maxAzs: 3,
    kafka: { mode: 'provisioned', brokerNodes: 3, instanceType: 'kafka.m7g.large' },
    topics: topics.map((t) => ({ ...t, replicationFactor: 3 })),
    sinks: {
      dynamodb: {
        topics: ['customer-changes', 'order-changes'],
        pollers: { minimum: 2, maximum: 20 },
      },
      opensearch: {
        topics: ['customer-changes'],
        batchSize: 200,
        pollers: { minimum: 1, maximum: 10 },
      },
      's3-archive': {
        topics: ['customer-changes', 'order-changes', 'audit-events'],
        batchSize: 5000,
        batchingWindowSeconds: 60,
      },
    },
    openSearch: { dataNodes: 3, masterNodes: 3, zoneAwareness: true, serviceLinkedRole: 'exists' },
    archive: { lifecycle: { infrequentAccessAfterDays: 30, glacierAfterDays: 180 } },
    alarms: { offsetLagThreshold: 50_000 },
    logRetentionDays: 90,
  },
};
