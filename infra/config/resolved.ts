/**
 * The pipeline configuration after validation: every default applied, every value
 * checked (see validate.ts). The constructs read only these types.
 */
import type {
  AggregateSpecJson,
  EnvelopeFormat,
  ProjectionSpecJson,
  Versioning,
} from '../../functions/contract/index.js';
import type {
  CreatedSourceTableSpec,
  ImportedSourceTableSpec,
  KafkaSpec,
  SchemaRegistryAuthentication,
  SchemaValidationAttribute,
  SinkKind,
} from './types.js';

export interface ResolvedTopic {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number | undefined;
  /** -1 = forever */
  readonly retentionMs: number;
  readonly cleanupPolicy: 'delete' | 'compact' | 'compact,delete';
  readonly versioning: Versioning;
  readonly format?: EnvelopeFormat;
  readonly entity?: string;
  readonly schemaRegistry?: ResolvedSchemaRegistry;
  readonly removalPolicy: 'retain' | 'delete';
}

/** A topic's schema registry, validated (validate-schema-registry.ts). */
export type ResolvedSchemaRegistry = {
  readonly attributes: readonly SchemaValidationAttribute[];
  readonly eventRecordFormat: 'JSON';
} & (
  | { readonly kind: 'glue'; readonly registryArn: string }
  | {
      readonly kind: 'confluent';
      readonly url: string;
      readonly auth?: {
        readonly secretArn: string;
        readonly type: SchemaRegistryAuthentication;
      };
    }
);

export interface ResolvedSink {
  readonly kind: SinkKind;
  readonly topics: readonly string[];
  readonly batchSize: number;
  readonly batchingWindowSeconds: number;
  readonly minimumPollers: number;
  readonly maximumPollers: number;
  readonly retryAttempts: number;
  readonly maxRecordAgeSeconds: number;
  readonly memoryMiB: number;
  readonly timeoutSeconds: number;
  readonly aggregates?: readonly AggregateSpecJson[];
  readonly projections?: readonly ProjectionSpecJson[];
  /** the dynamodb sink's view, when it is not the construct's own table */
  readonly viewTableName?: string;
}

/** The claims or transfers processor with its defaults filled in. */
export interface ResolvedProcessor
  extends Omit<ResolvedSink, 'kind' | 'aggregates' | 'projections' | 'viewTableName'> {
  readonly kind: 'claims' | 'transfers';
  /** the topic it produces to (decisions; for transfers, its own topic) */
  readonly produces: string;
}

export interface ResolvedSource {
  readonly name: string;
  /** the source table's name (known at synth: it is part of every event id) */
  readonly tableName: string;
  readonly table:
    | (CreatedSourceTableSpec & { readonly tableName: string })
    | ImportedSourceTableSpec;
  readonly topic: string;
  /** `STAYSYNC_RELAY_SOURCE`, checked by `parseRelaySource` */
  readonly relaySourceJson: string;
  readonly batchSize: number;
  readonly batchingWindowSeconds: number;
  readonly retryAttempts: number;
  readonly maxRecordAgeSeconds: number;
  readonly memoryMiB: number;
  readonly timeoutSeconds: number;
}

export interface ResolvedLifecycle {
  readonly infrequentAccessAfterDays: number;
  readonly glacierAfterDays: number;
  readonly expireAfterDays: number;
}

export interface ResolvedOpenSearch {
  readonly instanceType: string;
  readonly dataNodes: number;
  readonly masterNodes: number;
  readonly masterInstanceType: string;
  readonly volumeSizeGiB: number;
  readonly zoneAwareness: boolean;
  /**
   * The sink's `OPENSEARCH_*` index variables (name → value), only those configured;
   * checked by the sink's parser.
   */
  readonly indexEnv: Readonly<Record<string, string>>;
  /** Whether the stack creates the OpenSearch service-linked role. */
  readonly createServiceLinkedRole: boolean;
}

export interface ResolvedPipeline {
  readonly stageName: string;
  readonly topics: readonly ResolvedTopic[];
  readonly sinks: readonly ResolvedSink[];
  readonly sources: readonly ResolvedSource[];
  /** claims and transfers, when configured */
  readonly processors: readonly ResolvedProcessor[];
  readonly kafka: KafkaSpec;
  readonly openSearch: ResolvedOpenSearch;
  readonly archive: {
    readonly prefix: string;
    readonly lifecycle: ResolvedLifecycle;
    readonly projectionStartDate: string;
  };
  readonly quarantineLifecycle: ResolvedLifecycle;
  readonly alarms: {
    readonly offsetLagThreshold: number;
    readonly quarantineThreshold: number;
    readonly iteratorAgeThresholdSeconds: number;
    readonly alarmTopicArn: string | undefined;
  };
  readonly logRetentionDays: number;
  readonly dataRemovalPolicy: 'retain' | 'destroy';
  readonly indexPrefix: string;
  readonly maxAzs: number;
}
