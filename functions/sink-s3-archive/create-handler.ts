import { S3ArchiveStore } from '../adapters/s3-archive-store.js';
import { s3Client } from '../runtime/aws-clients.js';
import {
  engineOverrides,
  type SinkOverrides,
  sinkLedgerAndQuarantine,
} from '../runtime/sink-config.js';
import { createSinkHandler, type SinkHandler } from '../runtime/sink-handler.js';
import { readS3ArchiveSinkConfig } from './config.js';
import { S3ArchiveSink } from './s3-archive-sink.js';

/**
 * The archive takes every record Lambda can deliver: the invocation payload (6 MB) bounds
 * a record, not the 1 MiB default meant for DynamoDB items and documents.
 */
const LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024;

/**
 * The `sink-s3-archive` Lambda: reads and validates its environment once (cold start)
 * and returns the shared engine handler over the S3 archive sink, the DynamoDB ledger
 * and the S3 quarantine. docs/sink-s3-archive.md lists the variables.
 */
export function createHandler(env: NodeJS.ProcessEnv, overrides: SinkOverrides = {}): SinkHandler {
  const config = readS3ArchiveSinkConfig(env);
  const { ledger, quarantine } = sinkLedgerAndQuarantine(config, env, overrides);
  const sink = new S3ArchiveSink({
    name: config.sinkName,
    prefix: config.archivePrefix,
    store: new S3ArchiveStore(s3Client(env), config.archiveBucket, { sink: config.sinkName }),
    ledger,
    scanLookbackDays: config.scanLookbackDays,
  });
  return createSinkHandler({
    ...engineOverrides(overrides),
    sink,
    ledger,
    quarantine,
    pipeline: config.pipeline,
    limits: { maxValueBytes: LAMBDA_PAYLOAD_BYTES, maxKeyBytes: LAMBDA_PAYLOAD_BYTES },
  });
}
