import type {
  AggregateSpecJson,
  EnvelopeFormat,
  ProjectionSpecJson,
  Versioning,
} from '../../functions/contract/index.js';

/**
 * Typed stage configuration of a staysync pipeline: plain data (JSON-serialisable), so a
 * stage can live in code (`infra/config/stages.ts`), in `cdk.json` context or in a file.
 * `validatePipelineSettings` checks it and fills the documented defaults.
 */

/** The three sinks of DESIGN §3.2; each maps to `functions/sink-<kind>/handler.ts`. */
export const SinkKinds = ['dynamodb', 'opensearch', 's3-archive'] as const;
export type SinkKind = (typeof SinkKinds)[number];

export interface TopicSpec {
  /** Kafka topic name: 1-249 of `[a-zA-Z0-9._-]`. */
  readonly name: string;
  /** Number of partitions (can only grow after creation). */
  readonly partitions: number;
  /**
   * Replication factor.
   * @default - the cluster default (MSK Serverless always uses 3 and rejects other values)
   */
  readonly replicationFactor?: number;
  /**
   * How long records are kept, in hours; -1 keeps them forever.
   * @default 168 (7 days)
   */
  readonly retentionHours?: number;
  /**
   * Log compaction (`cleanup.policy=compact,delete` when retention is finite, `compact`
   * when it is infinite); without it `cleanup.policy=delete`.
   * @default false
   */
  readonly compaction?: boolean;
  /**
   * Versioning mode passed to the sinks in `STAYSYNC_PIPELINE` (DESIGN §3.1).
   * @default 'source'
   */
  readonly versioning?: Versioning;
  /**
   * Envelope format passed to the sinks in `STAYSYNC_PIPELINE` (docs/core.md).
   * @default - 'auto' (the sinks' default; not written)
   */
  readonly format?: EnvelopeFormat;
  /**
   * Entity of every record of the topic, passed to the sinks in `STAYSYNC_PIPELINE`.
   * @default - from the Kafka key or the Debezium source (not written)
   */
  readonly entity?: string;
  /**
   * A schema registry the sinks' event source mappings validate and decode the topic's
   * records with before invoking (Avro or Protobuf written by Debezium/Kafka Connect or any
   * Confluent serializer), delivered to the sinks as JSON (docs/infra.md).
   * @default - none: records are read as JSON
   */
  readonly schemaRegistry?: SchemaRegistrySpec;
  /**
   * What deleting the topic resource (removing it from the config, renaming it, deleting
   * the stack) does to the Kafka topic.
   * @default 'retain'
   */
  readonly removalPolicy?: 'retain' | 'delete';
}

/** Authentication of a Confluent-compatible schema registry (`AccessConfigs` type). */
export const SchemaRegistryAuthentications = [
  'BASIC_AUTH',
  'CLIENT_CERTIFICATE_TLS_AUTH',
  'SERVER_ROOT_CA_CERTIFICATE',
] as const;
export type SchemaRegistryAuthentication = (typeof SchemaRegistryAuthentications)[number];

/** The parts of a record a schema registry validates (`SchemaValidationConfigs`). */
export const SchemaValidationAttributes = ['KEY', 'VALUE'] as const;
export type SchemaValidationAttribute = (typeof SchemaValidationAttributes)[number];

/**
 * The event source mapping's schema registry integration (Lambda developer guide, "Using
 * schema registries with Kafka event sources in Lambda",
 * https://docs.aws.amazon.com/lambda/latest/dg/services-consume-kafka-events.html).
 * Exactly one of `glueRegistryArn` and `confluentUrl`.
 */
export interface SchemaRegistrySpec {
  /** An AWS Glue Schema Registry: `arn:aws:glue:<region>:<account>:registry/<name>`. */
  readonly glueRegistryArn?: string;
  /** A Confluent-compatible registry (Confluent Cloud, self-managed): its URL. */
  readonly confluentUrl?: string;
  /**
   * Secrets Manager secret (complete ARN) with the Confluent registry's credentials; the
   * sink functions are granted read access to it.
   * @default - none: the registry needs no authentication
   */
  readonly secretArn?: string;
  /**
   * How `secretArn` authenticates (Confluent only).
   * @default 'BASIC_AUTH' when `secretArn` is set
   */
  readonly authentication?: SchemaRegistryAuthentication;
  /**
   * What the mapping validates and decodes. Debezium with Confluent's AvroConverter writes
   * both key and value in Avro: list both.
   * @default ['VALUE']
   */
  readonly attributes?: readonly SchemaValidationAttribute[];
  /**
   * `JSON`: Lambda delivers decoded JSON, which the sinks parse. `SOURCE` (the original
   * bytes) is refused: the sinks do not decode Avro or Protobuf themselves.
   * @default 'JSON'
   */
  readonly eventRecordFormat?: 'JSON';
}

export interface PollerSpec {
  /** @default 1 */
  readonly minimum?: number;
  /** @default 10 */
  readonly maximum?: number;
}

export interface SinkSpec {
  /** Topics this sink consumes; each needs a `topics` entry. One event source mapping each. */
  readonly topics: readonly string[];
  /**
   * Records per invocation (1-10000).
   * @default 500
   */
  readonly batchSize?: number;
  /**
   * Batching window in seconds (0-300).
   * @default 1
   */
  readonly batchingWindowSeconds?: number;
  /**
   * Provisioned pollers per mapping.
   * @default { minimum: 1, maximum: 10 }
   */
  readonly pollers?: PollerSpec;
  /**
   * Retries of a failing batch before it goes to the on-failure destination (-1 = forever).
   * @default 10
   */
  readonly retryAttempts?: number;
  /**
   * Records older than this are sent to the on-failure destination (-1 = never; else 60-604800).
   * @default -1
   */
  readonly maxRecordAgeSeconds?: number;
  /** @default 1024 */
  readonly memoryMiB?: number;
  /** @default 120 */
  readonly timeoutSeconds?: number;
  /**
   * Declarative aggregates passed in `STAYSYNC_PIPELINE.aggregates` (the `dynamodb` sink
   * only; docs/sink-dynamodb.md).
   * @default - none
   */
  readonly aggregates?: readonly AggregateSpecJson[];
  /**
   * Declarative projections passed in `STAYSYNC_PIPELINE.projections` (the `dynamodb` sink
   * only): per entity, which fields the view keeps (`pick`, `omit`) and under which names
   * (`rename`); checked at synth by the sink's own parsers (`parsePipelineProjections`,
   * `projectionFromSpec`). docs/sink-dynamodb.md.
   * @default - none: the view stores each envelope's `data` as it is
   */
  readonly projections?: readonly ProjectionSpecJson[];
  /**
   * An existing table the `dynamodb` sink uses as its view instead of the one the construct
   * creates: the new table a `npm run rebuild -- --sink dynamodb` built, switched to by a
   * deploy (docs/rebuild-redrive.md). The construct's own view table stays in the stack
   * (nothing is deleted by the switch); the grants follow the named table.
   * @default - the construct's own view table
   */
  readonly viewTableName?: string;
}

/** The mapping and function settings a log-ordered processor (claims, transfers) shares with sinks. */
export type ProcessorSpec = Pick<
  SinkSpec,
  | 'batchSize'
  | 'batchingWindowSeconds'
  | 'pollers'
  | 'retryAttempts'
  | 'maxRecordAgeSeconds'
  | 'memoryMiB'
  | 'timeoutSeconds'
>;

/**
 * The claims processor (docs/claims.md): decides `claim`/`release` requests on
 * `requestsTopic` (keyed `<namespace>:<value>`) first come, first served, keeps holders and
 * decisions in a table of its own and publishes the decisions to `decisionsTopic`.
 */
export interface ClaimsSpec extends ProcessorSpec {
  /** Topic of the requests; needs a `topics` entry. */
  readonly requestsTopic: string;
  /** Topic the decisions are published to; needs a `topics` entry. */
  readonly decisionsTopic: string;
}

/**
 * The transfers processor (docs/claims.md, "Transfers"): applies deposit, transfer (debit)
 * and credit steps of `topic` (keyed `account:<id>`) to a balances table, and publishes
 * the credit step of each accepted transfer back to `topic`.
 */
export interface TransfersSpec extends ProcessorSpec {
  /** Needs a `topics` entry. */
  readonly topic: string;
}

/** A source table the construct creates, with a `NEW_AND_OLD_IMAGES` stream. */
export interface CreatedSourceTableSpec {
  /** Partition key attribute (type S). */
  readonly partitionKey: string;
  /** Sort key attribute (type S). @default - none */
  readonly sortKey?: string;
  /**
   * Fixed table name: it is part of every relayed event id (`ddb:<table>/…`), so it must not
   * change when the table is replaced.
   * @default `staysync-<stageName>-<source name>`
   */
  readonly tableName?: string;
  /** TTL attribute (epoch seconds) of the table. @default - no TTL */
  readonly timeToLiveAttribute?: string;
}

/** An existing table whose stream (`NEW_AND_OLD_IMAGES`) is already enabled. */
export interface ImportedSourceTableSpec {
  /** `arn:<partition>:dynamodb:<region>:<account>:table/<name>` */
  readonly tableArn: string;
  /** `<tableArn>/stream/<label>` */
  readonly tableStreamArn: string;
}

/**
 * A DynamoDB table whose stream a relay function turns into Kafka records
 * (functions/relay-dynamodb-streams, docs/relay-dynamodb-streams.md). Checked at synth by
 * the relay's own parser (`parseRelaySource`).
 */
export interface SourceSpec {
  /** `[a-z][a-z0-9-]{0,31}`, unique in the stage: names the relay (`RELAY_NAME`) and its resources. */
  readonly name: string;
  /** Created here (`partitionKey`, …) or imported (`tableArn` + `tableStreamArn`). */
  readonly table: CreatedSourceTableSpec | ImportedSourceTableSpec;
  /** `cdc`: the table is the system of record; `outbox`: its outbox items hold envelopes. */
  readonly mode: 'cdc' | 'outbox';
  /** Topic the relay produces to; needs a `topics` entry. */
  readonly topic: string;
  /** Entity of every item (`cdc` only; required there). */
  readonly entity?: string;
  /** Attributes forming an item's key (`cdc` only; required there). */
  readonly keyAttributes?: readonly string[];
  /** Numeric attribute the application increases on every write (`cdc` only; required there). */
  readonly versionAttribute?: string;
  /** What a TTL expiry becomes (`cdc` only). @default 'delete' */
  readonly ttlDeletes?: 'delete' | 'ignore';
  /** Attribute of an outbox item holding the envelope (`outbox` only). @default 'envelope' */
  readonly envelopeAttribute?: string;
  /** Stream records per invocation (1-10000). @default 100 */
  readonly batchSize?: number;
  /** Batching window in seconds (0-300). @default 0 */
  readonly batchingWindowSeconds?: number;
  /** Retries of a failing batch before it goes to the on-failure destination (-1 = until the record expires). @default 10 */
  readonly retryAttempts?: number;
  /** Records older than this go to the on-failure destination (-1 = never; else 60-604800). @default -1 */
  readonly maxRecordAgeSeconds?: number;
  /** @default 512 */
  readonly memoryMiB?: number;
  /** @default 60 */
  readonly timeoutSeconds?: number;
}

export interface ServerlessKafkaSpec {
  readonly mode: 'serverless';
}

export interface ProvisionedKafkaSpec {
  readonly mode: 'provisioned';
  /** @default '3.8.x' */
  readonly kafkaVersion?: string;
  /** @default 'kafka.m7g.large' */
  readonly instanceType?: string;
  /** A multiple of the number of availability zones. @default 3 */
  readonly brokerNodes?: number;
  /** @default 100 */
  readonly volumeSizeGiB?: number;
}

/** An existing MSK cluster with IAM auth; everything needed to reach it without lookups. */
export interface ImportedKafkaSpec {
  readonly mode: 'imported';
  /** `arn:<partition>:kafka:<region>:<account>:cluster/<name>/<uuid>` */
  readonly clusterArn: string;
  readonly vpcId: string;
  readonly availabilityZones: readonly string[];
  /** Private subnets (one per AZ) the functions run in; they must reach the brokers. */
  readonly privateSubnetIds: readonly string[];
  /**
   * Security group of the cluster. It must allow itself on 9098 (IAM over TLS): the
   * event source mappings and the topic provisioner use it.
   */
  readonly securityGroupId: string;
  /** Route tables of `privateSubnetIds`, needed to add gateway endpoints. @default - no gateway endpoints */
  readonly privateRouteTableIds?: readonly string[];
}

export type KafkaSpec = ServerlessKafkaSpec | ProvisionedKafkaSpec | ImportedKafkaSpec;

/**
 * Settings of the indices the OpenSearch sink creates (one per entity, through its template),
 * passed as the sink's `OPENSEARCH_*` variables and checked at synth by the sink's own parser
 * (`parseOpenSearchIndexEnv`, functions/contract/opensearch-index.ts). Mappings are not
 * configurable: the sink fixes a `strict` root mapping and maps the entity's `data` dynamically.
 */
export interface OpenSearchIndexSpec {
  /** `index.number_of_shards` (OPENSEARCH_NUMBER_OF_SHARDS). @default 1 */
  readonly numberOfShards?: number;
  /** `index.number_of_replicas` (OPENSEARCH_NUMBER_OF_REPLICAS). @default - the domain's default (1) */
  readonly numberOfReplicas?: number;
  /**
   * Further index settings merged last (OPENSEARCH_INDEX_SETTINGS), e.g.
   * `{ 'index.refresh_interval': '5s' }`.
   * @default - none
   */
  readonly settings?: Readonly<Record<string, unknown>>;
  /** Generation of the physical indices (OPENSEARCH_INDEX_VERSION); raise it to reindex. @default 1 */
  readonly version?: number;
}

export interface OpenSearchSpec {
  /** Index layout of the sink's indices. @default - defaults of OpenSearchIndexSpec */
  readonly index?: OpenSearchIndexSpec;
  /** @default 'r7g.large.search' */
  readonly instanceType?: string;
  /** @default 2 */
  readonly dataNodes?: number;
  /** Dedicated master nodes (0 = none). @default 0 */
  readonly masterNodes?: number;
  /** @default 'm7g.large.search' */
  readonly masterInstanceType?: string;
  /** @default 20 */
  readonly volumeSizeGiB?: number;
  /** Spread data nodes over AZs (needs dataNodes to be a multiple of the AZ count). @default true when dataNodes > 1 */
  readonly zoneAwareness?: boolean;
  /**
   * The OpenSearch VPC service-linked role (AWSServiceRoleForAmazonOpenSearchService) must
   * exist before a VPC domain is created. `create`: this stack creates it (and retains it on
   * deletion: other domains of the account may use it); fails if the account already has it.
   * `exists`: the account already has it. **Required** when the opensearch sink is configured:
   * `aws iam get-role --role-name AWSServiceRoleForAmazonOpenSearchService` tells which.
   * @default - none: synth fails with this explanation
   */
  readonly serviceLinkedRole?: 'create' | 'exists';
}

export interface LifecycleSpec {
  /** Days before objects move to Standard-IA (>= 30; 0 = never). @default 30 */
  readonly infrequentAccessAfterDays?: number;
  /** Days before objects move to Glacier Instant Retrieval (0 = never). @default 90 */
  readonly glacierAfterDays?: number;
  /** Days before objects expire (0 = never). @default 0 */
  readonly expireAfterDays?: number;
}

export interface ArchiveSpec {
  /** Key prefix of archive objects (ARCHIVE_PREFIX). @default 'archive' */
  readonly prefix?: string;
  /** @default { infrequentAccessAfterDays: 30, glacierAfterDays: 90, expireAfterDays: 0 } */
  readonly lifecycle?: LifecycleSpec;
  /** First day partition projection offers for `dt` (yyyy-MM-dd). @default '2025-01-01' */
  readonly projectionStartDate?: string;
}

export interface AlarmSpec {
  /** OffsetLag (records) above which a mapping alarms. @default 10000 */
  readonly offsetLagThreshold?: number;
  /** Quarantined records per 5 minutes above which the sink alarms. @default 0 */
  readonly quarantineThreshold?: number;
  /** Age (seconds) of the last stream record a relay read above which it alarms. @default 300 */
  readonly iteratorAgeThresholdSeconds?: number;
  /** SNS topic ARN the alarms notify. @default - alarms without actions */
  readonly alarmTopicArn?: string;
}

export interface StageEnvSpec {
  readonly account: string;
  readonly region: string;
  /** Needed with a fixed region: the app never looks AZs up. */
  readonly availabilityZones: readonly string[];
}

/** Everything a pipeline needs; the input of both `SyncPipeline` and the app's stages. */
export interface PipelineSettings {
  /** Short lowercase stage name (`[a-z][a-z0-9-]{0,15}`), used in resource names and consumer groups. */
  readonly stageName: string;
  readonly topics: readonly TopicSpec[];
  readonly sinks: Readonly<Partial<Record<SinkKind, SinkSpec>>>;
  /** DynamoDB tables relayed into topics (one relay function each). @default - none */
  readonly sources?: readonly SourceSpec[];
  /** Uniqueness claims decided per value in log order. @default - none */
  readonly claims?: ClaimsSpec;
  /** Transfers split into per-partition debit and credit steps. @default - none */
  readonly transfers?: TransfersSpec;
  readonly kafka: KafkaSpec;
  /** Needed when the opensearch sink is configured. @default - defaults of OpenSearchSpec */
  readonly openSearch?: OpenSearchSpec;
  /** @default - defaults of ArchiveSpec */
  readonly archive?: ArchiveSpec;
  /** Lifecycle of quarantine objects. @default { infrequentAccessAfterDays: 30, glacierAfterDays: 0, expireAfterDays: 365 } */
  readonly quarantineLifecycle?: LifecycleSpec;
  /** @default - defaults of AlarmSpec */
  readonly alarms?: AlarmSpec;
  /** Log retention of every log group, in days (a CloudWatch-allowed value). @default 30 */
  readonly logRetentionDays?: number;
  /** Removal policy of the stores (tables, buckets, domain). @default 'retain' */
  readonly dataRemovalPolicy?: 'retain' | 'destroy';
  /** Prefix of OpenSearch index aliases (INDEX_PREFIX). @default `staysync-<stageName>` */
  readonly indexPrefix?: string;
  /** Number of AZs of a created VPC (ignored for imported clusters). @default 2 */
  readonly maxAzs?: number;
}

/** A deployable stage: the pipeline settings plus where the stack goes. */
export interface StageConfig extends PipelineSettings {
  /** @default - environment-agnostic stack */
  readonly env?: StageEnvSpec;
}
