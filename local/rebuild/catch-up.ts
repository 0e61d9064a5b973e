/**
 * The build step every rebuild shares: the archive replayed first (`--from archive`), then
 * a catch-up from Kafka, both through the sink's handler under the rebuild's namespace.
 */
import type { KafkaConfig } from 'kafkajs';
import { DynamoLedger } from '../../functions/adapters/ledger-dynamodb.js';
import { EnvVar, requireEnv } from '../../functions/contract/index.js';
import { dynamoDbClient, s3Client } from '../../functions/runtime/aws-clients.js';
import { readS3ArchiveSinkConfig } from '../../functions/sink-s3-archive/config.js';
import {
  createToolSinkHandler,
  errorOnlyLogger,
  type SinkKind,
  type ToolSinkOptions,
} from '../sinks/handlers.js';
import { type FeedTarget, feedFromArchive, feedFromKafka } from './feed.js';
import { progressPrinter } from './progress.js';

export interface CatchUpInput {
  readonly target: FeedTarget;
  readonly kafka: {
    readonly brokers: readonly string[];
    readonly kafka?: Omit<KafkaConfig, 'brokers'>;
  };
  readonly from: 'kafka' | 'archive';
  /** where the archive is (`ARCHIVE_BUCKET`, `ARCHIVE_PREFIX`) */
  readonly env: NodeJS.ProcessEnv;
  readonly progress: (phase: string) => (done: number, total: number) => void;
  readonly log: (line: string) => void;
}

export async function replayAndCatchUp(input: CatchUpInput) {
  const { target, kafka, progress } = input;
  if (input.from === 'archive') {
    const archive = readS3ArchiveSinkConfig(input.env);
    const { records } = await feedFromArchive({
      ...target,
      s3: s3Client(input.env),
      bucket: archive.archiveBucket,
      prefix: archive.archivePrefix,
      onProgress: progress('archive'),
    });
    input.log(`  archive replayed: ${records} records applied or skipped`);
  }
  return feedFromKafka({ ...target, ...kafka, onProgress: progress('kafka catch-up') });
}

export interface FeedSetupInput {
  readonly kind: SinkKind;
  /** the environment of the sink as the rebuild runs it (its namespace, its target) */
  readonly env: NodeJS.ProcessEnv;
  readonly ledgerTable: string;
  /** the rebuild's options: topics, Kafka access, batch size, clock */
  readonly run: {
    readonly topics: readonly string[];
    readonly brokers: readonly string[];
    readonly kafka?: Omit<KafkaConfig, 'brokers'>;
    readonly batchSize?: number;
    readonly now?: () => number;
  };
  readonly log: (line: string) => void;
  readonly handlerOptions?: ToolSinkOptions;
}

/** The sink's real handler under the rebuild's namespace, its ledger and the Kafka access. */
export function feedSetup(input: FeedSetupInput) {
  const { run } = input;
  const sink = requireEnv(EnvVar.sinkName, input.env);
  const handler = createToolSinkHandler(input.kind, input.env, {
    ...input.handlerOptions,
    logger: errorOnlyLogger(input.log),
    metrics: { publish: () => undefined },
  });
  const ledger = new DynamoLedger(dynamoDbClient(input.env), input.ledgerTable);
  const target: FeedTarget = {
    handler,
    ledger,
    sink,
    topics: run.topics,
    ...(run.batchSize === undefined ? {} : { batchSize: run.batchSize }),
  };
  const kafka = {
    brokers: run.brokers,
    ...(run.kafka === undefined ? {} : { kafka: run.kafka }),
  };
  return { target, kafka, ledger, progress: progressPrinter(input.log, run.now) };
}
