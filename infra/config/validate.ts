import {
  ENTITY_PATTERN,
  EnvelopeFormats,
  EnvVar,
  type PipelineJson,
  parseOpenSearchIndexEnv,
  parsePipelineProjections,
  Versionings,
} from '../../functions/contract/index.js';
import { parseAggregateSpecs } from '../../functions/core/dynamodb/aggregates.js';
import { projectionFromSpec } from '../../functions/core/dynamodb/projection.js';
import type {
  ResolvedLifecycle,
  ResolvedPipeline,
  ResolvedSink,
  ResolvedTopic,
} from './resolved.js';
import {
  type ArchiveSpec,
  type KafkaSpec,
  type LifecycleSpec,
  type OpenSearchIndexSpec,
  type PipelineSettings,
  type SinkKind,
  SinkKinds,
  type SinkSpec,
  type TopicSpec,
} from './types.js';
import { resolveProcessors } from './validate-processors.js';
import { resolveSchemaRegistry } from './validate-schema-registry.js';
import { checkMappingLimits, resolvePollers, resolveSource } from './validate-sources.js';

/** Thrown for an invalid pipeline configuration; lists every problem found, one per line. */
export class PipelineConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`staysync: invalid pipeline configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'PipelineConfigError';
    this.problems = problems;
  }
}

// CloudWatch Logs accepts only these retention values.
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
];
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;
const STAGE_NAME = /^[a-z][a-z0-9-]{0,15}$/;
const CLUSTER_ARN =
  /^arn:aws[a-z-]*:kafka:[a-z0-9-]+:\d{12}:cluster\/[A-Za-z0-9-]{1,64}\/[A-Za-z0-9-]+$/;
const HOUR_MS = 3_600_000;

const isInt = (v: unknown, min: number, max: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

class Problems {
  readonly list: string[] = [];
  check(ok: boolean, message: string): void {
    if (!ok) this.list.push(message);
  }
  int(value: unknown, path: string, min: number, max: number): void {
    if (value !== undefined) {
      this.check(
        isInt(value, min, max),
        `${path} must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}`,
      );
    }
  }
}

function resolveTopic(t: TopicSpec, i: number, serverless: boolean, p: Problems): ResolvedTopic {
  const at = `topics[${i}] (${JSON.stringify(t.name)})`;
  p.check(
    typeof t.name === 'string' && TOPIC_NAME.test(t.name) && t.name !== '.' && t.name !== '..',
    `${at}.name must be 1-249 characters of [a-zA-Z0-9._-]`,
  );
  p.check(
    isInt(t.partitions, 1, 10_000),
    `${at}.partitions must be an integer in [1, 10000], got ${JSON.stringify(t.partitions)}`,
  );
  p.int(t.replicationFactor, `${at}.replicationFactor`, 1, 10);
  if (serverless && t.replicationFactor !== undefined) {
    p.check(
      t.replicationFactor === 3,
      `${at}.replicationFactor must be 3 or unset on MSK Serverless`,
    );
  }
  if (t.retentionHours !== undefined && t.retentionHours !== -1) {
    p.int(t.retentionHours, `${at}.retentionHours`, 1, 87_600);
  }
  p.check(
    t.versioning === undefined || Versionings.includes(t.versioning),
    `${at}.versioning must be one of ${Versionings.join(', ')}`,
  );
  p.check(
    t.format === undefined || EnvelopeFormats.includes(t.format),
    `${at}.format must be one of ${EnvelopeFormats.join(', ')}`,
  );
  p.check(
    t.entity === undefined || (typeof t.entity === 'string' && ENTITY_PATTERN.test(t.entity)),
    `${at}.entity must match ${ENTITY_PATTERN}`,
  );
  p.check(
    t.removalPolicy === undefined || t.removalPolicy === 'retain' || t.removalPolicy === 'delete',
    `${at}.removalPolicy must be 'retain' or 'delete'`,
  );
  const schemaRegistry = resolveSchemaRegistry(t.schemaRegistry, at, p);
  const retentionHours = t.retentionHours ?? 168;
  const retentionMs = retentionHours === -1 ? -1 : retentionHours * HOUR_MS;
  const compaction = t.compaction ?? false;
  return {
    name: t.name,
    partitions: t.partitions,
    replicationFactor: t.replicationFactor,
    retentionMs,
    cleanupPolicy: !compaction ? 'delete' : retentionMs === -1 ? 'compact' : 'compact,delete',
    versioning: t.versioning ?? 'source',
    ...(t.format === undefined ? {} : { format: t.format }),
    ...(t.entity === undefined ? {} : { entity: t.entity }),
    ...(schemaRegistry === undefined ? {} : { schemaRegistry }),
    removalPolicy: t.removalPolicy ?? 'retain',
  };
}

function resolveSink(
  kind: SinkKind,
  s: SinkSpec,
  topicNames: ReadonlySet<string>,
  p: Problems,
): ResolvedSink {
  const at = `sinks.${kind}`;
  p.check(
    Array.isArray(s.topics) && s.topics.length > 0,
    `${at}.topics must list at least one topic`,
  );
  for (const topic of s.topics ?? []) {
    p.check(
      topicNames.has(topic),
      `${at}.topics names ${JSON.stringify(topic)}, which is not in topics[]`,
    );
  }
  p.check(new Set(s.topics).size === (s.topics ?? []).length, `${at}.topics lists a topic twice`);
  checkMappingLimits(s, at, p);
  const { minimumPollers, maximumPollers } = resolvePollers(s.pollers, at, p);
  checkAggregates(kind, s.aggregates, p);
  checkProjections(kind, s.projections, p);
  if (s.viewTableName !== undefined) {
    p.check(kind === 'dynamodb', `sinks.${kind}.viewTableName: only the dynamodb sink has a view`);
    p.check(
      /^[A-Za-z0-9_.-]{3,255}$/.test(s.viewTableName),
      `sinks.${kind}.viewTableName must be a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -), got ${JSON.stringify(s.viewTableName)}`,
    );
  }
  return {
    kind,
    topics: [...(s.topics ?? [])],
    batchSize: s.batchSize ?? 500,
    batchingWindowSeconds: s.batchingWindowSeconds ?? 1,
    minimumPollers,
    maximumPollers,
    retryAttempts: s.retryAttempts ?? 10,
    maxRecordAgeSeconds: s.maxRecordAgeSeconds ?? -1,
    memoryMiB: s.memoryMiB ?? 1024,
    timeoutSeconds: s.timeoutSeconds ?? 120,
    ...(s.aggregates === undefined ? {} : { aggregates: s.aggregates }),
    ...(s.projections === undefined ? {} : { projections: s.projections }),
    ...(s.viewTableName === undefined ? {} : { viewTableName: s.viewTableName }),
  };
}

/** Aggregates are the DynamoDB sink's, checked as that sink checks them at its cold start. */
function checkAggregates(kind: SinkKind, aggregates: SinkSpec['aggregates'], p: Problems): void {
  if (aggregates === undefined) return;
  const at = `sinks.${kind}.aggregates`;
  p.check(kind === 'dynamodb', `${at}: only the dynamodb sink keeps aggregates`);
  try {
    parseAggregateSpecs(JSON.stringify({ topics: {}, aggregates }));
  } catch (err) {
    p.check(false, `${at}: ${(err as Error).message}`);
  }
}

/**
 * Projections are the DynamoDB sink's, checked as its cold start checks them: shape by the
 * contract's parser, meaning (no rename onto a reserved view name, …) by the core's.
 */
function checkProjections(kind: SinkKind, projections: SinkSpec['projections'], p: Problems) {
  if (projections === undefined) return;
  const at = `sinks.${kind}.projections`;
  p.check(kind === 'dynamodb', `${at}: only the dynamodb sink applies projections`);
  try {
    const specs = parsePipelineProjections(JSON.stringify({ topics: {}, projections }));
    specs.forEach(projectionFromSpec);
    const entities = specs.map((x) => x.entity);
    p.check(new Set(entities).size === entities.length, `${at}: one projection per entity`);
  } catch (err) {
    p.check(false, `${at}: ${(err as Error).message}`);
  }
}

/**
 * The OpenSearch sink's index variables for `index`, checked by the parser the sink runs at
 * its cold start (functions/contract/opensearch-index.ts).
 */
function resolveIndexEnv(
  index: OpenSearchIndexSpec | undefined,
  p: Problems,
): Readonly<Record<string, string>> {
  const env: Record<string, string> = {};
  if (index?.numberOfShards !== undefined)
    env[EnvVar.openSearchNumberOfShards] = String(index.numberOfShards);
  if (index?.numberOfReplicas !== undefined)
    env[EnvVar.openSearchNumberOfReplicas] = String(index.numberOfReplicas);
  if (index?.settings !== undefined)
    env[EnvVar.openSearchIndexSettings] = JSON.stringify(index.settings);
  if (index?.version !== undefined) env[EnvVar.openSearchIndexVersion] = String(index.version);
  try {
    parseOpenSearchIndexEnv(env);
  } catch (err) {
    p.check(false, `openSearch.index: ${(err as Error).message}`);
  }
  return env;
}

function resolveLifecycle(
  l: LifecycleSpec | undefined,
  at: string,
  defaults: ResolvedLifecycle,
  p: Problems,
): ResolvedLifecycle {
  const r: ResolvedLifecycle = {
    infrequentAccessAfterDays: l?.infrequentAccessAfterDays ?? defaults.infrequentAccessAfterDays,
    glacierAfterDays: l?.glacierAfterDays ?? defaults.glacierAfterDays,
    expireAfterDays: l?.expireAfterDays ?? defaults.expireAfterDays,
  };
  p.int(r.infrequentAccessAfterDays, `${at}.infrequentAccessAfterDays`, 0, 36_500);
  p.int(r.glacierAfterDays, `${at}.glacierAfterDays`, 0, 36_500);
  p.int(r.expireAfterDays, `${at}.expireAfterDays`, 0, 36_500);
  // S3 refuses a Standard-IA transition before 30 days.
  p.check(
    r.infrequentAccessAfterDays === 0 || r.infrequentAccessAfterDays >= 30,
    `${at}.infrequentAccessAfterDays must be 0 (never) or at least 30 (an S3 minimum)`,
  );
  if (r.infrequentAccessAfterDays > 0 && r.glacierAfterDays > 0) {
    p.check(
      r.glacierAfterDays >= r.infrequentAccessAfterDays + 30,
      `${at}.glacierAfterDays must be at least 30 days after infrequentAccessAfterDays (objects stay 30 days in Standard-IA)`,
    );
  }
  if (r.expireAfterDays > 0) {
    const last = Math.max(r.infrequentAccessAfterDays, r.glacierAfterDays);
    p.check(r.expireAfterDays > last, `${at}.expireAfterDays must come after every transition`);
  }
  return r;
}

function checkKafka(k: KafkaSpec, clientSubnets: number, p: Problems): void {
  switch (k?.mode) {
    case 'serverless':
      return;
    case 'provisioned': {
      p.int(k.brokerNodes, 'kafka.brokerNodes', 1, 30);
      p.int(k.volumeSizeGiB, 'kafka.volumeSizeGiB', 1, 16_384);
      // "When you create a cluster, Amazon MSK distributes the broker nodes evenly across the
      // subnets that you specify" (AWS::MSK::Cluster BrokerNodeGroupInfo, ClientSubnets): a
      // count that does not divide evenly is refused at create time, after the VPC exists.
      const brokers = k.brokerNodes ?? 3;
      p.check(
        brokers % clientSubnets === 0,
        `kafka.brokerNodes (${brokers}) must be a multiple of the number of client subnets (${clientSubnets}, one per availability zone: maxAzs or env.availabilityZones): Amazon MSK spreads brokers evenly over its client subnets`,
      );
      return;
    }
    case 'imported':
      p.check(
        typeof k.clusterArn === 'string' && CLUSTER_ARN.test(k.clusterArn),
        `kafka.clusterArn must look like arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>, got ${JSON.stringify(k.clusterArn)}`,
      );
      p.check(/^vpc-[0-9a-f]+$/.test(k.vpcId ?? ''), 'kafka.vpcId must be a VPC id (vpc-...)');
      p.check(
        (k.privateSubnetIds ?? []).length > 0 &&
          (k.privateSubnetIds ?? []).every((s) => /^subnet-[0-9a-f]+$/.test(s)),
        'kafka.privateSubnetIds must list subnet ids (subnet-...)',
      );
      p.check(
        (k.availabilityZones ?? []).length === (k.privateSubnetIds ?? []).length,
        'kafka.availabilityZones must list one AZ per private subnet',
      );
      p.check(
        /^sg-[0-9a-f]+$/.test(k.securityGroupId ?? ''),
        'kafka.securityGroupId must be a security group id (sg-...)',
      );
      if (k.privateRouteTableIds !== undefined) {
        p.check(
          k.privateRouteTableIds.length === (k.privateSubnetIds ?? []).length,
          'kafka.privateRouteTableIds must list one route table per private subnet',
        );
      }
      return;
    default:
      p.check(
        false,
        `kafka.mode must be 'serverless', 'provisioned' or 'imported', got ${JSON.stringify((k as { mode?: unknown } | undefined)?.mode)}`,
      );
  }
}

/** Most mappings one poller group may hold, and most maximum pollers they may add up to. */
const POLLER_GROUP_LIMITS = { mappings: 100, maximumPollers: 2000 } as const;

/**
 * Validates pipeline settings and fills every default. Throws one PipelineConfigError
 * listing all problems, so a broken stage is fixed in one pass.
 * `clientSubnets`: subnets (one per AZ) a created MSK cluster gets. @default maxAzs ?? 2
 */
export function validatePipelineSettings(
  s: PipelineSettings,
  clientSubnets: number = s.maxAzs ?? 2,
): ResolvedPipeline {
  const p = new Problems();
  p.check(
    typeof s.stageName === 'string' && STAGE_NAME.test(s.stageName),
    `stageName must match ${STAGE_NAME} (it names resources and consumer groups), got ${JSON.stringify(s.stageName)}`,
  );
  checkKafka(s.kafka, clientSubnets, p);
  const serverless = s.kafka?.mode === 'serverless';
  p.check(Array.isArray(s.topics) && s.topics.length > 0, 'topics must list at least one topic');
  const topics = (s.topics ?? []).map((t, i) => resolveTopic(t, i, serverless, p));
  const names = new Set(topics.map((t) => t.name));
  p.check(names.size === topics.length, 'topics must have unique names');
  const sinks: ResolvedSink[] = [];
  for (const [kind, spec] of Object.entries(s.sinks ?? {})) {
    if (!SinkKinds.includes(kind as SinkKind)) {
      p.check(false, `sinks.${kind} is not a sink; expected one of ${SinkKinds.join(', ')}`);
    } else if (spec !== undefined) {
      sinks.push(resolveSink(kind as SinkKind, spec, names, p));
    }
  }
  p.check(sinks.length > 0, 'sinks must configure at least one sink');
  const sources = (s.sources ?? []).map((src, i) => resolveSource(src, i, s.stageName, names, p));
  p.check(
    new Set(sources.map((x) => x.name)).size === sources.length,
    'sources must have unique names',
  );
  const processors = resolveProcessors(s, names, p);
  // A stage's mappings share one provisioned poller group (stream-settings.ts). "You can group
  // up to 100 ESMs per poller group and aggregate maximum pollers across all ESMs in a group
  // cannot exceed 2000" (ProvisionedPollerConfig, AWS Lambda API reference).
  const consumers = [...sinks, ...processors];
  const mappings = consumers.reduce((n, k) => n + k.topics.length, 0);
  const maxPollers = consumers.reduce((n, k) => n + k.topics.length * k.maximumPollers, 0);
  p.check(
    mappings <= POLLER_GROUP_LIMITS.mappings,
    `sinks define ${mappings} event source mappings; one poller group holds at most ${POLLER_GROUP_LIMITS.mappings}`,
  );
  p.check(
    maxPollers <= POLLER_GROUP_LIMITS.maximumPollers,
    `sinks.*.pollers.maximum times their topics add up to ${maxPollers}; the mappings of one poller group may add up to at most ${POLLER_GROUP_LIMITS.maximumPollers}`,
  );
  const archive: ArchiveSpec = s.archive ?? {};
  const prefix = archive.prefix ?? 'archive';
  p.check(
    /^[a-zA-Z0-9!_.*'()-]+(\/[a-zA-Z0-9!_.*'()-]+)*$/.test(prefix),
    'archive.prefix must be a key prefix without leading/trailing slash',
  );
  const projectionStartDate = archive.projectionStartDate ?? '2025-01-01';
  p.check(
    /^\d{4}-\d{2}-\d{2}$/.test(projectionStartDate),
    'archive.projectionStartDate must be yyyy-MM-dd',
  );
  const os = s.openSearch ?? {};
  p.int(os.dataNodes, 'openSearch.dataNodes', 1, 80);
  p.int(os.masterNodes, 'openSearch.masterNodes', 0, 5);
  p.int(os.volumeSizeGiB, 'openSearch.volumeSizeGiB', 10, 16_384);
  const dataNodes = os.dataNodes ?? 2;
  const masterNodes = os.masterNodes ?? 0;
  p.check(
    masterNodes === 0 || masterNodes === 3 || masterNodes === 5,
    'openSearch.masterNodes must be 0, 3 or 5',
  );
  const zoneAwareness = os.zoneAwareness ?? dataNodes > 1;
  const indexEnv = resolveIndexEnv(os.index, p);
  if (sinks.some((k) => k.kind === 'opensearch')) {
    p.check(
      os.serviceLinkedRole === 'create' || os.serviceLinkedRole === 'exists',
      `openSearch.serviceLinkedRole must be 'create' or 'exists': a VPC domain needs the service-linked role AWSServiceRoleForAmazonOpenSearchService, and creating it fails when the account already has it. Check with \`aws iam get-role --role-name AWSServiceRoleForAmazonOpenSearchService\`, got ${JSON.stringify(os.serviceLinkedRole)}`,
    );
  }
  p.check(
    !zoneAwareness || dataNodes % 2 === 0 || dataNodes % 3 === 0,
    'openSearch.dataNodes must be a multiple of 2 or 3 with zoneAwareness',
  );
  const logRetentionDays = s.logRetentionDays ?? 30;
  p.check(
    LOG_RETENTION_DAYS.includes(logRetentionDays),
    `logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(', ')}`,
  );
  p.int(s.alarms?.offsetLagThreshold, 'alarms.offsetLagThreshold', 1, Number.MAX_SAFE_INTEGER);
  p.int(s.alarms?.quarantineThreshold, 'alarms.quarantineThreshold', 0, Number.MAX_SAFE_INTEGER);
  p.int(s.alarms?.iteratorAgeThresholdSeconds, 'alarms.iteratorAgeThresholdSeconds', 1, 604_800);
  if (s.alarms?.alarmTopicArn !== undefined) {
    p.check(
      /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/.test(s.alarms.alarmTopicArn),
      'alarms.alarmTopicArn must be an SNS topic ARN',
    );
  }
  p.int(s.maxAzs, 'maxAzs', 2, 3);
  const indexPrefix = s.indexPrefix ?? `staysync-${s.stageName}`;
  p.check(
    /^[a-z0-9][a-z0-9_-]{0,100}$/.test(indexPrefix),
    'indexPrefix must be lowercase [a-z0-9_-] (an OpenSearch index name prefix)',
  );
  const archiveLifecycle = resolveLifecycle(
    archive.lifecycle,
    'archive.lifecycle',
    { infrequentAccessAfterDays: 30, glacierAfterDays: 90, expireAfterDays: 0 },
    p,
  );
  const quarantineLifecycle = resolveLifecycle(
    s.quarantineLifecycle,
    'quarantineLifecycle',
    { infrequentAccessAfterDays: 30, glacierAfterDays: 0, expireAfterDays: 365 },
    p,
  );
  if (p.list.length > 0) throw new PipelineConfigError(p.list);
  return {
    stageName: s.stageName,
    topics,
    sinks,
    sources,
    processors,
    kafka: s.kafka,
    openSearch: {
      instanceType: os.instanceType ?? 'r7g.large.search',
      dataNodes,
      masterNodes,
      masterInstanceType: os.masterInstanceType ?? 'm7g.large.search',
      volumeSizeGiB: os.volumeSizeGiB ?? 20,
      zoneAwareness,
      indexEnv,
      createServiceLinkedRole: os.serviceLinkedRole === 'create',
    },
    archive: { prefix, lifecycle: archiveLifecycle, projectionStartDate },
    quarantineLifecycle,
    alarms: {
      offsetLagThreshold: s.alarms?.offsetLagThreshold ?? 10_000,
      quarantineThreshold: s.alarms?.quarantineThreshold ?? 0,
      iteratorAgeThresholdSeconds: s.alarms?.iteratorAgeThresholdSeconds ?? 300,
      alarmTopicArn: s.alarms?.alarmTopicArn,
    },
    logRetentionDays,
    dataRemovalPolicy: s.dataRemovalPolicy ?? 'retain',
    indexPrefix,
    maxAzs: s.maxAzs ?? 2,
  };
}

/**
 * The `STAYSYNC_PIPELINE` JSON for one sink (the schema of functions/contract/pipeline.ts):
 * the settings of each topic it consumes (`format` and `entity` only when set), its
 * aggregates and its projections (when declared).
 */
export function pipelineJson(
  resolved: ResolvedPipeline,
  sink: Pick<ResolvedSink, 'topics' | 'aggregates' | 'projections'>,
): string {
  const topics: Record<string, PipelineJson['topics'][string]> = {};
  for (const name of sink.topics) {
    const topic = resolved.topics.find((t) => t.name === name);
    if (topic === undefined) continue;
    topics[name] = {
      versioning: topic.versioning,
      ...(topic.format === undefined ? {} : { format: topic.format }),
      ...(topic.entity === undefined ? {} : { entity: topic.entity }),
    };
  }
  const json: PipelineJson = {
    topics,
    ...(sink.aggregates === undefined ? {} : { aggregates: sink.aggregates }),
    ...(sink.projections === undefined ? {} : { projections: sink.projections }),
  };
  return JSON.stringify(json);
}
