import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, Names, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { ManagedKafkaEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { ResolvedPipeline } from '../config/resolved.js';
import type { PipelineSettings, SinkKind } from '../config/types.js';
import { pipelineJson, validatePipelineSettings } from '../config/validate.js';
import { ArchiveCatalog } from './archive-catalog.js';
import {
  bindArchive,
  bindKafkaConsumer,
  bindLedger,
  bindPipeline,
  bindQuarantine,
  bindSearch,
  bindView,
} from './bindings.js';
import { PipelineBuckets } from './buckets.js';
import { ConstraintProcessor } from './constraint-processor.js';
import { HouseFunction } from './house-function.js';
import { KafkaCluster } from './kafka-cluster.js';
import { Network } from './network.js';
import { type MonitoredSink, Operations } from './operations.js';
import { schemaRegistryConfig } from './schema-registry.js';
import { SearchDomain } from './search-domain.js';
import { SourceRelay } from './source-relay.js';
import { consumerGroupId, kafkaStreamSettings } from './stream-settings.js';
import { PipelineTables } from './tables.js';
import { TopicProvisioning } from './topic-provisioning.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Entry files of the functions, by role. */
export interface FunctionEntries {
  /** @default `<repo>/functions/sink-dynamodb/handler.ts` */
  readonly dynamodb?: string;
  /** @default `<repo>/functions/sink-opensearch/handler.ts` */
  readonly opensearch?: string;
  /** @default `<repo>/functions/sink-s3-archive/handler.ts` */
  readonly 's3-archive'?: string;
  /** @default `<repo>/functions/topic-provisioner/handler.ts` */
  readonly topicProvisioner?: string;
  /** @default `<repo>/functions/relay-dynamodb-streams/handler.ts` */
  readonly relay?: string;
  /** @default `<repo>/functions/claims/handler.ts` */
  readonly claims?: string;
  /** @default `<repo>/functions/transfers/handler.ts` */
  readonly transfers?: string;
}

export interface SyncPipelineProps extends PipelineSettings {
  /**
   * Where the function sources are (teams embedding the construct point at their copy).
   * @default - the staysync repository's `functions/` folders
   */
  readonly entries?: FunctionEntries;
  /** Availability zones of a new VPC (needed when the stack has a fixed region). @default - the stack's AZs */
  readonly availabilityZones?: readonly string[];
}

export interface SinkDeployment {
  readonly kind: SinkKind;
  readonly function: HouseFunction;
  /** One per consumed topic. */
  readonly eventSources: ReadonlyMap<string, ManagedKafkaEventSource>;
}

/**
 * A complete staysync pipeline: MSK (created or imported) and its topics, one Lambda per
 * sink with one MSK event source mapping per consumed topic, the stores (ledger and view
 * tables, OpenSearch domain, archive/quarantine/failure buckets, Glue table for Athena),
 * the VPC endpoints that spare a NAT, and the alarms and dashboard.
 *
 * @example
 * new SyncPipeline(stack, 'Pipeline', {
 *   stageName: 'dev',
 *   kafka: { mode: 'serverless' },
 *   topics: [{ name: 'customer-changes', partitions: 6 }],
 *   sinks: { dynamodb: { topics: ['customer-changes'] } },
 * });
 */
export class SyncPipeline extends Construct {
  readonly config: ResolvedPipeline;
  readonly network: Network;
  readonly cluster: KafkaCluster;
  readonly tables: PipelineTables;
  readonly buckets: PipelineBuckets;
  readonly search: SearchDomain | undefined;
  readonly catalog: ArchiveCatalog;
  readonly topicProvisioning: TopicProvisioning;
  readonly sinks: ReadonlyMap<SinkKind, SinkDeployment>;
  /** One relay per configured source, by source name. */
  readonly relays: ReadonlyMap<string, SourceRelay>;
  /** The claims and transfers processors, when configured. */
  readonly processors: ReadonlyMap<'claims' | 'transfers', ConstraintProcessor>;
  readonly operations: Operations;

  constructor(scope: Construct, id: string, props: SyncPipelineProps) {
    super(scope, id);
    // Throws PipelineConfigError listing every problem.
    const config = validatePipelineSettings(
      props,
      props.availabilityZones?.length ?? props.maxAzs ?? 2,
    );
    this.config = config;
    // RetentionDays' values are the day counts; validation admits only those CloudWatch accepts.
    const retention = config.logRetentionDays as logs.RetentionDays;
    const removal =
      config.dataRemovalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    const entry = (key: keyof FunctionEntries, folder: string) =>
      props.entries?.[key] ?? path.join(REPO_ROOT, 'functions', folder, 'handler.ts');

    this.network = new Network(this, 'Network', {
      ...(config.kafka.mode === 'imported' ? { imported: config.kafka } : {}),
      maxAzs: config.maxAzs,
      ...(props.availabilityZones === undefined
        ? {}
        : { availabilityZones: props.availabilityZones }),
      logRetention: retention,
    });
    this.cluster = new KafkaCluster(this, 'Kafka', {
      spec: config.kafka,
      network: this.network,
      stageName: config.stageName,
      logRetention: retention,
    });
    // Pollers (in the cluster's group) call STS and Lambda; the provisioner (same group) calls
    // the Kafka API; the sinks call STS through the SDK's credential chain only if configured.
    this.network.allowEndpointsFrom(
      this.cluster.securityGroup,
      'MSK pollers and topic provisioner',
    );
    this.network.allowEndpointsFrom(this.network.functionSecurityGroup, 'staysync sink functions');
    this.tables = new PipelineTables(this, 'Tables', { removalPolicy: removal });
    this.buckets = new PipelineBuckets(this, 'Buckets', {
      archiveLifecycle: config.archive.lifecycle,
      quarantineLifecycle: config.quarantineLifecycle,
      removalPolicy: removal,
    });
    const usesSearch = config.sinks.some((s) => s.kind === 'opensearch');
    this.search = usesSearch
      ? new SearchDomain(this, 'Search', {
          spec: config.openSearch,
          network: this.network,
          domainName: `staysync-${config.stageName}`,
          logRetention: retention,
          removalPolicy: removal,
        })
      : undefined;
    this.catalog = new ArchiveCatalog(this, 'Catalog', {
      stageName: config.stageName,
      archive: this.buckets.archive,
      prefix: config.archive.prefix,
      results: this.buckets.athenaResults,
      topics: config.topics.map((t) => t.name),
      maxPartitions: Math.max(...config.topics.map((t) => t.partitions)),
      projectionStartDate: config.archive.projectionStartDate,
    });
    this.topicProvisioning = new TopicProvisioning(this, 'Topics', {
      entry: entry('topicProvisioner', 'topic-provisioner'),
      cluster: this.cluster,
      network: this.network,
      topics: config.topics,
      logRetention: retention,
    });

    const sinks = new Map<SinkKind, SinkDeployment>();
    for (const sink of config.sinks) {
      const fn = new HouseFunction(this, `Sink-${sink.kind}`, {
        entry: entry(sink.kind, `sink-${sink.kind}`),
        description: `staysync ${config.stageName}: ${sink.kind} sink`,
        logRetention: retention,
        vpc: this.network.vpc,
        vpcSubnets: this.network.privateSubnets,
        securityGroups: [this.network.functionSecurityGroup],
        memorySize: sink.memoryMiB,
        timeout: Duration.seconds(sink.timeoutSeconds),
      });
      bindPipeline(fn, sink.kind, pipelineJson(config, sink));
      bindLedger(fn, this.tables.ledger);
      bindQuarantine(fn, this.buckets.quarantine);
      if (sink.kind === 'dynamodb') {
        // A rebuilt view is switched to by naming it (docs/rebuild-redrive.md).
        const view =
          sink.viewTableName === undefined
            ? this.tables.view
            : dynamodb.Table.fromTableName(this, 'RebuiltView', sink.viewTableName);
        bindView(fn, view);
      }
      if (sink.kind === 'opensearch' && this.search !== undefined)
        bindSearch(fn, this.search, config.indexPrefix, config.openSearch.indexEnv);
      if (sink.kind === 's3-archive') bindArchive(fn, this.buckets.archive, config.archive.prefix);
      bindKafkaConsumer(
        fn,
        this.cluster,
        sink.topics,
        sink.topics.map((t) => consumerGroupId(config.stageName, sink.kind, t)),
      );

      const eventSources = new Map<string, ManagedKafkaEventSource>();
      for (const topic of sink.topics) {
        const registry = config.topics.find((t) => t.name === topic)?.schemaRegistry;
        const source = new ManagedKafkaEventSource(
          kafkaStreamSettings({
            clusterArn: this.cluster.clusterArn,
            topic,
            stageName: config.stageName,
            sink,
            failureBucket: this.buckets.failures,
            ...(registry === undefined
              ? {}
              : {
                  schemaRegistry: schemaRegistryConfig(
                    fn,
                    `SchemaRegistrySecret-${topic}`,
                    registry,
                  ),
                }),
          }),
        );
        fn.addEventSource(source);
        // The mapping fails to start on a topic that does not exist yet.
        const mapping = fn.node.findChild(
          `KafkaEventSource:${Names.nodeUniqueId(fn.node)}${topic}`,
        ) as lambda.EventSourceMapping;
        mapping.node.addDependency(this.topicProvisioning.resourceOf(topic));
        eventSources.set(topic, source);
      }
      sinks.set(sink.kind, { kind: sink.kind, function: fn, eventSources });
    }
    this.sinks = sinks;

    const relays = new Map<string, SourceRelay>();
    for (const source of config.sources) {
      const relay = new SourceRelay(this, `Source-${source.name}`, {
        source,
        entry: entry('relay', 'relay-dynamodb-streams'),
        stageName: config.stageName,
        cluster: this.cluster,
        network: this.network,
        quarantine: this.buckets.quarantine,
        failures: this.buckets.failures,
        logRetention: retention,
        removalPolicy: removal,
      });
      // The relay produces to its topic: the topic must exist before the first batch.
      relay.function.node.addDependency(this.topicProvisioning.resourceOf(source.topic));
      relays.set(source.name, relay);
    }
    this.relays = relays;

    const processors = new Map<'claims' | 'transfers', ConstraintProcessor>();
    for (const proc of config.processors) {
      const processor = new ConstraintProcessor(this, `Processor-${proc.kind}`, {
        processor: proc,
        entry: entry(proc.kind, proc.kind),
        stageName: config.stageName,
        pipelineJson: pipelineJson(config, { topics: proc.topics }),
        cluster: this.cluster,
        network: this.network,
        ledger: this.tables.ledger,
        quarantine: this.buckets.quarantine,
        failures: this.buckets.failures,
        logRetention: retention,
        removalPolicy: removal,
      });
      // It consumes one topic and produces to another (or the same): both must exist first.
      processor.mapping.node.addDependency(this.topicProvisioning.resourceOf(processor.topic));
      processor.function.node.addDependency(this.topicProvisioning.resourceOf(proc.produces));
      processors.set(proc.kind, processor);
    }
    this.processors = processors;

    const monitored: MonitoredSink[] = [
      ...[...sinks.values()].map((s) => ({
        kind: s.kind,
        function: s.function,
        topics: [...s.eventSources.keys()],
      })),
      ...[...processors].map(([kind, p]) => ({ kind, function: p.function, topics: [p.topic] })),
    ].map((s) => ({
      sinkName: s.kind,
      function: s.function,
      mappings: s.topics.map((topic) => ({
        topic,
        consumerGroup: consumerGroupId(config.stageName, s.kind, topic),
      })),
    }));
    this.operations = new Operations(this, 'Operations', {
      stageName: config.stageName,
      clusterName: this.cluster.name,
      sinks: monitored,
      otherFunctions: [{ name: 'topic-provisioner', function: this.topicProvisioning.function }],
      relays: [...relays.entries()].map(([name, r]) => ({ name, function: r.function })),
      iteratorAgeThresholdSeconds: config.alarms.iteratorAgeThresholdSeconds,
      failureBucket: this.buckets.failures,
      offsetLagThreshold: config.alarms.offsetLagThreshold,
      quarantineThreshold: config.alarms.quarantineThreshold,
      alarmTopicArn: config.alarms.alarmTopicArn,
    });
  }
}
